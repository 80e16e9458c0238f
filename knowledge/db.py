"""Engines, sessions and the Alembic configuration for a database URL."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

PACKAGE_DIR = Path(__file__).resolve().parent


def _enable_sqlite_foreign_keys(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@lru_cache(maxsize=16)
def get_engine(url: str) -> Engine:
    """One engine per URL and process (engines pool connections)."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    return engine


def session_factory(url: str) -> sessionmaker:
    return _session_factory(get_engine(url))


@lru_cache(maxsize=16)
def _session_factory(engine: Engine) -> sessionmaker:
    """One factory per engine; it owns the engine's look-up cache (knowledge.lookup) and
    hands it to every session it makes in Session.info."""
    from knowledge.lookup import SESSION_INFO_KEY, LookupCache

    return sessionmaker(
        bind=engine,
        future=True,
        expire_on_commit=False,
        info={SESSION_INFO_KEY: LookupCache()},
    )


def open_session(url: str | None = None) -> Session:
    """A new session on `url` (default: settings.database_url)."""
    if url is None:
        from quartierslotse.settings import get_settings

        url = get_settings().database_url
    return session_factory(url)()


def alembic_config(url: str) -> Config:
    config = Config(str(PACKAGE_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(PACKAGE_DIR / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config
