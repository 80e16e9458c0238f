"""storage.schema.upgrade: from an empty database, from the schema the previous code created
(create_all and hand-written ALTERs, checked out from git), concurrently, and the result
matches the SQLAlchemy models of every room."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from channels import outbox, ratings
from handoff import models as handoff_models
from insight import models as insight_models
from knowledge import models as knowledge_models
from quartierslotse.settings import PROJECT_ROOT
from storage.engine import get_engine
from storage.schema import current_revision, head, upgrade

# the last commit whose rooms created their tables themselves (only knowledge had Alembic)
PREVIOUS_CODE = "a76c956"
PREVIOUS_ROOMS = ("quartierslotse", "knowledge", "handoff", "channels", "insight", "privacy",
                  "security", "safety")
# what the previous code ran at start-up: knowledge's Alembic history (head 0004), the handoff's
# create_all + ALTER list, the outbox's create_all + ALTER, insight's create_all; plus one row
# in tables of each room, which must survive the upgrade
PREVIOUS_START = """
import sys
import sqlalchemy as sa
from datetime import datetime
url = sys.argv[1]
from knowledge.bootstrap import migrate
migrate(url)
from handoff import service
service.ensure_schema(url)
from channels.outbox import Outbox
Outbox(url).append_sync("webchat:old", "bot", "Antwort von früher", response="utter_greet")
from insight import models
engine = sa.create_engine(url)
models.create_tables(engine)
with engine.begin() as conn:
    conn.execute(models.state.insert().values(key="salt", value="alt"))
"""
ROOM_METADATA = (knowledge_models.Base.metadata, handoff_models.Base.metadata,
                 outbox.Base.metadata, ratings.Base.metadata, insight_models.metadata)


def differences(url: str) -> list[object]:
    with get_engine(url).connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection), ROOM_METADATA))


def run_python(code: str, url: str, pythonpath: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    return subprocess.run([sys.executable, "-c", code, url], env=env, cwd=pythonpath,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def previous_code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rooms as of PREVIOUS_CODE, extracted from git."""
    target = tmp_path_factory.mktemp("previous")
    archive = subprocess.run(["git", "archive", "--format=tar", PREVIOUS_CODE, *PREVIOUS_ROOMS],
                             cwd=PROJECT_ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(target)
    return target


def test_upgrade_from_an_empty_database(database_url: str) -> None:
    upgrade(database_url)
    assert current_revision(database_url) == head()
    assert differences(database_url) == []
    upgrade(database_url)  # at head: nothing to do
    assert current_revision(database_url) == head()


def test_upgrade_in_place_from_the_previous_schema(database_url: str,
                                                   previous_code: Path) -> None:
    started = run_python(PREVIOUS_START, database_url, previous_code)
    assert started.returncode == 0, started.stderr
    assert current_revision(database_url) == "0004"

    upgrade(database_url)
    assert current_revision(database_url) == head()
    assert differences(database_url) == []
    with get_engine(database_url).connect() as conn:
        assert conn.execute(sa.select(outbox.OutboxEntry.text)).scalars().all() == [
            "Antwort von früher"]
        assert conn.execute(sa.select(insight_models.state.c.value)).scalars().all() == ["alt"]
        assert conn.execute(sa.select(sa.func.count(handoff_models.CannedReply.id))).scalar()


def test_upgrade_adds_the_column_an_older_outbox_lacks(database_url: str) -> None:
    upgrade(database_url, "0004")
    old = sa.MetaData()
    sa.Table("webchat_outbox", old, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("sender", sa.String(64), nullable=False),
             sa.Column("role", sa.String(16), nullable=False),
             sa.Column("text", sa.Text, nullable=False),
             sa.Column("buttons", sa.Text), sa.Column("handoff", sa.String(32)),
             sa.Column("created_at", sa.DateTime, nullable=False))
    old.create_all(get_engine(database_url))

    upgrade(database_url)
    columns = {c["name"] for c in sa.inspect(get_engine(database_url)).get_columns(
        "webchat_outbox")}
    assert "response" in columns
    assert differences(database_url) == []


def test_two_processes_upgrade_at_once(database_url: str) -> None:
    code = "import sys\nfrom storage.schema import upgrade\nupgrade(sys.argv[1])\n"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    processes = [subprocess.Popen([sys.executable, "-c", code, database_url], env=env,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    errors = [process.communicate(timeout=300)[1] for process in processes]
    assert [process.returncode for process in processes] == [0, 0], errors
    assert current_revision(database_url) == head()
    assert differences(database_url) == []
