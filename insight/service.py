"""One entry point for web and CLI: ingest new events, then build the protected report."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from insight import models
from insight.config import InsightConfig
from insight.disclosure import Disclosure
from insight.ingest import Ingestor, IngestStats
from insight.presentation import Table, build_tables
from insight.report import Report, ReportFilter, build_report
from storage.engine import get_engine
from storage.schema import upgrade


@dataclass
class Insight:
    config: InsightConfig

    @property
    def target(self) -> Engine:
        return get_engine(self.config.database_url)

    @property
    def source(self) -> Engine:
        return get_engine(self.config.tracker_store_url)

    @property
    def disclosure(self) -> Disclosure:
        return Disclosure(self.config.min_count, self.config.rounding_base)

    def ensure_schema(self) -> None:
        upgrade(self.config.database_url)

    def ingest(self, **kwargs: object) -> IngestStats:
        if not sa.inspect(self.source).has_table("events"):
            self.ensure_schema()
            return IngestStats()
        return Ingestor(self.config, self.source, self.target).run(**kwargs)  # type: ignore[arg-type]

    def report(self, flt: ReportFilter, refresh: bool = True) -> tuple[Report, list[Table]]:
        if refresh:
            self.ingest()
        else:
            self.ensure_schema()
        report = build_report(self.target, flt)
        return report, build_tables(report, self.disclosure)

    def municipalities(self) -> list[str]:
        c = models.conversations
        with self.target.connect() as conn:
            return [m for (m,) in conn.execute(
                sa.select(c.c.municipality).where(c.c.municipality != "").distinct()
                .order_by(c.c.municipality))]
