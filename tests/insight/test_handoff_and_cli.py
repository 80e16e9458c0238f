"""Handoff tickets/callbacks in the report, and the command line."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from handoff import models
from insight import __main__ as cli
from insight import review
from insight.config import InsightConfig
from insight.ingest import Ingestor
from insight.report import ReportFilter, build_report
from insight.synthetic import generate
from quartierslotse import settings as settings_module


def test_report_uses_handoff_tickets_and_callbacks(db_urls: tuple[str, str]) -> None:
    tracker_url, app_url = db_urls
    target = sa.create_engine(app_url)
    generate(sa.create_engine(tracker_url), conversations=200, days=7, seed=2)
    Ingestor(InsightConfig(tracker_store_url=tracker_url, database_url=app_url,
                           ingest_lag_seconds=0), target=target).run()
    models.Base.metadata.create_all(target, tables=[models.Advisor.__table__,
                                                    models.Ticket.__table__,
                                                    models.Callback.__table__])
    t0 = datetime(2026, 3, 3, 9, 0)  # UTC
    tickets = [  # reason, municipality, minutes until claimed (None: never)
        *[("request", "Dortmund", 4)] * 6, *[("fallback", "Dortmund", 12)] * 5,
        ("emergency", "Dortmund", 1), *[("topic", "Krefeld", None)] * 3,
    ]
    callbacks = [*["done"] * 7, *["failed"] * 2, "open"]
    with target.begin() as conn:
        conn.execute(models.Ticket.__table__.insert(), [
            {"sender_id": f"s{i}", "channel": "webchat", "municipality": m, "reason": r,
             "priority": 10, "status": "closed", "preview": "", "summary": "",
             "created_at": t0 + timedelta(hours=i),
             "claimed_at": None if w is None else t0 + timedelta(hours=i, minutes=w)}
            for i, (r, m, w) in enumerate(tickets)])
        conn.execute(models.Callback.__table__.insert(), [
            {"sender_id": f"c{i}", "channel": "telegram", "municipality": "Dortmund",
             "topic": "pflege", "consent_at": t0, "status": s, "created_at": t0}
            for i, s in enumerate(callbacks)])
    report = build_report(target, ReportFilter(date(2026, 3, 1), date(2026, 3, 31)))
    assert report.handoff_reason_source == "tickets" and report.tickets == 15
    assert dict(report.handoff_reasons) == {"request": 6, "fallback": 5, "emergency": 1,
                                            "topic": 3}
    assert report.ticket_wait is not None and report.ticket_wait.count == 12
    assert report.ticket_wait.median_seconds == pytest.approx(4 * 60)  # 1, 6x4, 5x12 minutes
    assert dict(report.callbacks) == {"done": 7, "failed": 2, "open": 1}
    krefeld = build_report(target, ReportFilter(date(2026, 3, 1), date(2026, 3, 31), "Krefeld"))
    assert dict(krefeld.handoff_reasons) == {"topic": 3} and krefeld.callbacks == []
    april = build_report(target, ReportFilter(date(2026, 4, 1), date(2026, 4, 30)))
    assert april.tickets is None and april.callbacks == []


@pytest.fixture
def project_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    tracker, app = f"sqlite:///{tmp_path / 'tracker.db'}", f"sqlite:///{tmp_path / 'app.db'}"
    generate(sa.create_engine(tracker), conversations=400, days=28, seed=9)
    monkeypatch.setenv("QL_TRACKER_STORE_URL", tracker)
    monkeypatch.setenv("QL_DATABASE_URL", app)
    monkeypatch.setenv("QL_INSIGHT_INGEST_LAG_SECONDS", "0")
    settings_module.get_settings.cache_clear()
    yield tmp_path
    settings_module.get_settings.cache_clear()


def test_cli_export_and_review_export(project_env: Path, capsys: pytest.CaptureFixture) -> None:
    from openpyxl import load_workbook

    out_csv = project_env / "bericht.csv"
    assert cli.main(["export", "--from", "2026-01-01", "--to", "2026-12-31", "--format", "csv",
                     "--municipality", "Dortmund", "--out", str(out_csv)]) == 0
    text = out_csv.read_text(encoding="utf-8-sig")
    assert "Kommune;Dortmund" in text and "Gespräche nach Kanal" in text
    out_xlsx = project_env / "bericht.xlsx"
    assert cli.main(["export", "--from", "2026-01-01", "--to", "2026-12-31", "--format", "xlsx",
                     "--period", "week", "--out", str(out_xlsx)]) == 0
    book = load_workbook(out_xlsx)
    assert book["Verlauf"]["A2"].value == "Woche"

    config = InsightConfig.from_settings()
    engine = sa.create_engine(config.database_url)
    first = review.items(engine, limit=1)[0]
    review.label(engine, first["id"], "request_human", "cli-test")
    out_yml = project_env / "nlu.yml"
    assert cli.main(["review-export", "--out", str(out_yml)]) == 0
    exported = yaml.safe_load(out_yml.read_text())
    assert exported["version"] == "3.1"
    assert "Beispiele" in capsys.readouterr().out

    with pytest.raises(SystemExit):
        cli.main(["export", "--from", "2026-12-31", "--to", "2026-01-01"])
