"""Create or migrate the schema and load the seed files on first start."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select

from knowledge.db import alembic_config, get_engine, open_session
from knowledge.models import Municipality

logger = logging.getLogger(__name__)

SEED_DIR = Path(__file__).resolve().parent / "data"


def seed_files() -> list[Path]:
    return sorted(SEED_DIR.glob("*.yml"))


def _current_revision(url: str) -> str | None:
    with get_engine(url).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(url: str) -> None:
    """alembic upgrade head, skipped when the database is already at head."""
    config = alembic_config(url)
    head = ScriptDirectory.from_config(config).get_current_head()
    if _current_revision(url) != head:
        command.upgrade(config, "head")


def ensure_database(url: str) -> None:
    """Schema at head; seed files imported when the database holds no municipality."""
    migrate(url)
    with open_session(url) as session:
        count = session.execute(select(func.count(Municipality.id))).scalar_one()
    if count == 0:
        from knowledge.importer import import_files

        report = import_files(seed_files(), url)
        logger.info("Wissensdatenbank befüllt: %s", report.summary())
