"""Migrate the schema (storage.schema) and load the seed files on first start."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import func, select

from knowledge.db import open_session
from knowledge.models import Municipality
from storage.schema import upgrade

logger = logging.getLogger(__name__)

SEED_DIR = Path(__file__).resolve().parent / "data"


def seed_files() -> list[Path]:
    return sorted(SEED_DIR.glob("*.yml"))


def ensure_database(url: str) -> None:
    """Schema at head; seed files imported when the database holds no municipality."""
    upgrade(url)
    with open_session(url) as session:
        count = session.execute(select(func.count(Municipality.id))).scalar_one()
    if count == 0:
        from knowledge.importer import import_files

        report = import_files(seed_files(), url)
        logger.info("Wissensdatenbank befüllt: %s", report.summary())
