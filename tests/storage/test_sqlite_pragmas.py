"""SQLite settings of storage.engine: WAL and the busy timeout on every connection, also when
another process holds the database while it is being switched to WAL."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage import engine


class _LockedCursor:
    """A cursor whose first `locked` statements fail as SQLite fails a contended WAL switch."""

    def __init__(self, locked: int, message: str = "database is locked") -> None:
        self.locked, self.message, self.executed = locked, message, []

    def execute(self, statement: str) -> None:
        if self.locked:
            self.locked -= 1
            raise sqlite3.OperationalError(self.message)
        self.executed.append(statement)


def test_a_new_database_gets_wal_and_the_busy_timeout(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'neu.db'}"
    try:
        with engine.get_engine(url).connect() as connection:
            raw = connection.connection.driver_connection
            assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
            assert raw.execute("PRAGMA busy_timeout").fetchone() == (
                engine.SQLITE_BUSY_TIMEOUT_SECONDS * 1000,)
            assert raw.execute("PRAGMA foreign_keys").fetchone() == (1,)
    finally:
        engine.dispose(url)


def test_a_locked_database_is_retried_until_the_statement_runs() -> None:
    cursor = _LockedCursor(locked=3)
    engine.execute_when_unlocked(cursor, "PRAGMA journal_mode=WAL")
    assert cursor.executed == ["PRAGMA journal_mode=WAL"]


def test_other_errors_are_not_retried() -> None:
    cursor = _LockedCursor(locked=1, message="disk I/O error")
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        engine.execute_when_unlocked(cursor, "PRAGMA journal_mode=WAL")
    assert cursor.executed == []
