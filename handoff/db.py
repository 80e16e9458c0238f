"""Engine and session handling shared by handoff/, channels/outbox.py and advisor/."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def get_engine(url: str) -> Engine:
    """One engine per database URL and process; SQLite gets WAL and a busy timeout so that
    Rasa, the action server and the console can write concurrently."""
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            if url.startswith("sqlite"):
                engine = create_engine(
                    url, future=True, connect_args={"check_same_thread": False, "timeout": 15}
                )

                @event.listens_for(engine, "connect")
                def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
                    cursor = dbapi_connection.cursor()
                    cursor.execute("PRAGMA journal_mode=WAL")
                    cursor.execute("PRAGMA busy_timeout=15000")
                    cursor.close()

            else:
                engine = create_engine(url, future=True, pool_pre_ping=True)
            _engines[url] = engine
        return engine


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    factory = sessionmaker(bind=get_engine(url), future=True, expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
