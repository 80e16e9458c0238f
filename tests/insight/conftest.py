"""Fixtures: temporary tracker-store and insight databases on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

PG_ADMIN_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


def _postgres_available() -> bool:
    try:
        engine = sa.create_engine(PG_ADMIN_URL)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture
def pg_database() -> Iterator[str]:
    """URL of a fresh PostgreSQL database, dropped afterwards."""
    if not _postgres_available():
        pytest.fail("PostgreSQL läuft nicht auf 127.0.0.1:5432 (make services startet es)")
    name = f"ql_insight_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_urls(request: pytest.FixtureRequest, tmp_path) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """(tracker-store URL, insight database URL) on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tracker.db'}", f"sqlite:///{tmp_path / 'app.db'}"
    url = request.getfixturevalue("pg_database")
    return url, url  # one database, as in a small production setup
