"""One Alembic history for every table of the project (storage/migrations): `upgrade(url)`
brings a database to head; it is a cheap no-op at head and safe when several processes
(Rasa replicas, action server, console, retention job) start at once."""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from storage.engine import get_engine, sqlite_path

PACKAGE_DIR = Path(__file__).resolve().parent
# key of the PostgreSQL advisory lock that serialises migrations of one database
PG_MIGRATION_LOCK = 0x51_4C_4D_49  # "QLMI"

_process_lock = threading.Lock()


def alembic_config(connection: Connection | None = None) -> Config:
    """The Alembic configuration of storage/migrations, running on `connection`."""
    config = Config(str(PACKAGE_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(PACKAGE_DIR / "migrations"))
    config.attributes["connection"] = connection
    return config


@cache
def head() -> str | None:
    """The newest revision of storage/migrations (read once per process)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(url: str) -> str | None:
    with get_engine(url).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(url: str, revision: str = "head") -> None:
    """alembic upgrade to `revision` (default head); skipped when the database is at head."""
    if revision == "head" and current_revision(url) == head():
        return
    with _process_lock, _sqlite_file_lock(url), get_engine(url).begin() as connection:
        if connection.dialect.name == "postgresql":
            # a second process waits here and then finds the database migrated
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": PG_MIGRATION_LOCK})
        command.upgrade(alembic_config(connection), revision)


@contextmanager
def _sqlite_file_lock(url: str) -> Iterator[None]:
    """An exclusive lock file next to a SQLite database while it is migrated (SQLite runs most
    DDL outside transactions, so the database itself does not serialise two migrations)."""
    path = sqlite_path(url)
    if path is None:
        yield
        return
    with open(path.with_name(path.name + ".migrate.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
