"""The one SQLAlchemy engine per database URL and process, and sessions on it.

SQLite gets its settings here and nowhere else: foreign keys on, WAL and a busy timeout, so
that Rasa, the action server, the console and the retention job can write concurrently.
Server databases get `pool_pre_ping` (connections dropped by the server are replaced)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_SECONDS = 15
SQLITE_PRAGMAS = (
    "PRAGMA foreign_keys=ON",
    "PRAGMA journal_mode=WAL",
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}",
)

_engines: dict[str, Engine] = {}
_factories: dict[str, sessionmaker] = {}
_lock = threading.RLock()  # reentrant: _default_factory calls get_engine


def _apply_sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            execute_when_unlocked(cursor, pragma)
    finally:
        cursor.close()


def execute_when_unlocked(cursor: Any, statement: str) -> None:
    """Run `statement`, retrying while SQLite says "database is locked" (within the busy timeout).

    When two processes open a new database at the same moment, switching it to WAL fails at
    once with "database is locked" in one of them: SQLite does not wait its busy timeout there
    (two processes upgrading one database at once failed 3 times in 25).
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_SECONDS
    delay = 0.01
    while True:
        try:
            cursor.execute(statement)
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.25)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _create(url: str) -> Engine:
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, future=True, pool_pre_ping=True)
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True, connect_args={
        "check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
    event.listen(engine, "connect", _apply_sqlite_pragmas)
    return engine


def get_engine(url: str) -> Engine:
    """The engine of `url` (created on first use; engines pool their connections)."""
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = _create(url)
        return engine


def dispose(url: str) -> None:
    """Close the pooled connections of `url` and forget its engine (e.g. before the database
    is dropped); the next get_engine(url) creates a new one."""
    with _lock:
        engine = _engines.pop(url, None)
        _factories.pop(url, None)
    if engine is not None:
        engine.dispose()


def session_factory(url: str, info: dict[str, Any] | None = None) -> sessionmaker:
    """A new session factory on the engine of `url`; objects stay readable after commit.
    `info` becomes every session's Session.info (a room's per-factory state)."""
    return sessionmaker(bind=get_engine(url), future=True, expire_on_commit=False,
                        info=info or {})


def _default_factory(url: str) -> sessionmaker:
    with _lock:
        if url not in _factories:
            _factories[url] = session_factory(url)
        return _factories[url]


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A session on `url` that commits at the end of the block and rolls back on errors."""
    session = _default_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
