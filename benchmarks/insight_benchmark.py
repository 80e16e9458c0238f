"""Hotline insight with 100,000 conversations on SQLite and PostgreSQL.

Writes synthetic conversations into a fresh Rasa tracker-store table (the SQLTrackerStore
schema), then measures
  - the first ingest (all events -> insight tables),
  - an incremental ingest with nothing new (what every report request pays),
  - building the report (exact aggregates + protection + tables) for a year, per week,
    and for one municipality,
  - rendering the charts, CSV and XLSX.

Run: .venv/bin/python benchmarks/insight_benchmark.py [--conversations 100000]
         [--backends sqlite,postgres] [--pg-url postgresql+psycopg2://postgres@127.0.0.1:5432/postgres]
Prints one line per figure; nothing here runs in CI.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from insight import charts  # noqa: E402
from insight.config import InsightConfig  # noqa: E402
from insight.disclosure import Disclosure  # noqa: E402
from insight.export import to_csv, to_xlsx  # noqa: E402
from insight.ingest import Ingestor  # noqa: E402
from insight.presentation import build_tables, heatmap_values  # noqa: E402
from insight.report import Report, ReportFilter, build_report  # noqa: E402
from insight.synthetic import generate  # noqa: E402
from insight.topics import WEEKDAY_NAMES  # noqa: E402


def timed(label: str, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    print(f"  {label:<48} {time.perf_counter() - start:8.2f} s", flush=True)
    return result


def full_report(engine: sa.engine.Engine, flt: ReportFilter) -> Report:
    d = Disclosure()
    report = build_report(engine, flt)
    tables = build_tables(report, d)
    by_key = {t.key: t for t in tables}
    charts.column_chart("Verlauf", by_key["series"].chart)
    charts.heatmap("Wochentag", list(WEEKDAY_NAMES), heatmap_values(report, d))
    for key in ("topics", "channels", "municipalities", "offices", "handoff_reasons"):
        charts.hbar_chart(key, by_key[key].chart)
    return report


def run(backend: str, url: str, conversations: int) -> None:
    print(f"{backend}: {conversations:,} conversations".replace(",", "."), flush=True)
    source = sa.create_engine(url)
    expected = timed("generate tracker-store events", generate, source, conversations=conversations,
                     start=datetime(2025, 11, 1, tzinfo=ZoneInfo("Europe/Berlin")), days=365,
                     seed=1)
    print(f"  {'events in the tracker store':<48} {expected.events:>10,}".replace(",", "."))
    config = InsightConfig(tracker_store_url=url, database_url=url, ingest_lag_seconds=0)
    stats = timed("first ingest (all events)", Ingestor(config, source, source).run)
    assert stats.conversations == conversations, stats
    timed("incremental ingest, nothing new", Ingestor(config, source, source).run)
    year = ReportFilter(date(2025, 1, 1), date(2026, 12, 31), period="month")
    report = timed("report: whole period, per month", full_report, source, year)
    assert report.conversations == conversations and report.messages == expected.messages
    timed("report: whole period, per week", full_report, source,
          ReportFilter(date(2025, 1, 1), date(2026, 12, 31), period="week"))
    timed("report: whole period, per day", full_report, source,
          ReportFilter(date(2025, 1, 1), date(2026, 12, 31), period="day"))
    timed("report: one municipality (Krefeld), per week", full_report, source,
          ReportFilter(date(2025, 1, 1), date(2026, 12, 31), "Krefeld", "week"))
    timed("report: one month", full_report, source,
          ReportFilter(date(2026, 6, 1), date(2026, 6, 30), period="day"))
    d = Disclosure()
    tables = build_tables(report, d)
    timed("CSV export", to_csv, report, tables, d)
    timed("XLSX export", to_xlsx, report, tables, d)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--pg-url", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                run("SQLite", f"sqlite:///{Path(tmp) / 'tracker.db'}", args.conversations)
        elif backend == "postgres":
            name = f"ql_insight_bench_{uuid.uuid4().hex[:8]}"
            admin = sa.create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            url = sa.engine.make_url(args.pg_url).set(database=name)
            try:
                run("PostgreSQL", str(url), args.conversations)
            finally:
                sa.create_engine(url).dispose()
                with admin.connect() as conn:
                    conn.execute(sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))


if __name__ == "__main__":
    main()
