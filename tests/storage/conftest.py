"""A fresh database per test, on SQLite and PostgreSQL (a missing server fails the test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.engine import dispose
from tests.knowledge.conftest import BACKENDS, drop_database, make_database


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    url = make_database(request.param, tmp_path)
    yield url
    dispose(url)
    drop_database(url)
