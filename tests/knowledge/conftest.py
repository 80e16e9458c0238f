"""Knowledge-base fixtures: seeded and empty databases on SQLite and on PostgreSQL.

PostgreSQL tests create and drop their own temporary database on the server at
127.0.0.1:5432 (trust auth, user postgres); `make test` starts it via
scripts/ensure_services.sh.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from knowledge.bootstrap import ensure_database
from storage.engine import dispose

PG_SERVER = "postgresql+psycopg2://postgres@127.0.0.1:5432"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _admin_engine():  # type: ignore[no-untyped-def]
    return create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT", future=True)


def _create_pg_database() -> str:
    name = f"ql_test_{uuid.uuid4().hex[:10]}"
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - turn any connection problem into a clear failure
        pytest.fail(
            f"PostgreSQL auf 127.0.0.1:5432 nicht erreichbar (scripts/ensure_services.sh): {exc}"
        )
    finally:
        engine.dispose()
    return f"{PG_SERVER}/{name}"


def _drop_pg_database(url: str) -> None:
    dispose(url)
    name = url.rsplit("/", 1)[1]
    engine = _admin_engine()
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def make_database(backend: str, tmp_dir: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_dir / f'kb_{uuid.uuid4().hex[:8]}.db'}"
    return _create_pg_database()


def drop_database(url: str) -> None:
    if url.startswith("postgresql"):
        _drop_pg_database(url)


@pytest.fixture(scope="session", params=BACKENDS)
def seeded_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database with the schema and the seed files, shared by read-only tests."""
    url = make_database(request.param, tmp_path_factory.mktemp("kb"))
    ensure_database(url)
    yield url
    drop_database(url)


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database without schema, for import/migration tests."""
    url = make_database(request.param, tmp_path)
    yield url
    drop_database(url)


@pytest.fixture
def session(seeded_url: str):  # type: ignore[no-untyped-def]
    from knowledge.db import open_session

    with open_session(seeded_url) as db_session:
        yield db_session
