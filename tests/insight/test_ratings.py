""""hilfreich / nicht hilfreich" in the statistics: per topic and per answer through the
small-count rules, in the CSV export, and the "nicht hilfreich" texts in the review queue."""

from __future__ import annotations

from datetime import date, datetime, timezone

import sqlalchemy as sa

from channels.outbox import Outbox
from insight import models, review
from insight.disclosure import Disclosure
from insight.export import to_csv
from insight.presentation import build_tables
from insight.report import ReportFilter, build_report
from storage.schema import upgrade

TODAY = datetime.now(timezone.utc).date()
FLT = ReportFilter(date(TODAY.year - 1, 1, 1), date(TODAY.year + 1, 12, 31))


def _rate(outbox: Outbox, n: int, response: str | None, value: str, municipality: str = "Dortmund",
          text: str = "") -> None:
    for i in range(n):
        sender = f"webchat:r{abs(hash((response, value, municipality, i))) % 10**10:010d}"
        answer = outbox.append_sync(sender, "bot", "Antwort", response=response)
        assert outbox.rate_sync(sender, answer["id"], value, text, municipality)


def _setup(tmp_path) -> tuple[sa.engine.Engine, Outbox]:  # type: ignore[name-defined]
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    return sa.create_engine(url), Outbox(url)


def test_ratings_per_topic_and_answer_through_disclosure(tmp_path) -> None:
    engine, outbox = _setup(tmp_path)
    _rate(outbox, 12, "utter_ask_pflegegrad/pflegegeld", "hilfreich")
    _rate(outbox, 3, "utter_ask_pflegegrad/pflegegeld", "nicht_hilfreich")
    _rate(outbox, 6, "utter_ask_pflegegrad/frist", "nicht_hilfreich")
    _rate(outbox, 7, "utter_ask_wohnen/hausnotruf", "hilfreich", municipality="Bochum")
    _rate(outbox, 2, None, "hilfreich")
    report = build_report(engine, FLT)
    assert report.ratings_by_topic == [("pflege", 12, 9), ("wohnen", 7, 0), ("", 2, 0)]
    assert ("utter_ask_pflegegrad/pflegegeld", 12, 3) in report.ratings_by_response
    tables = {t.key: t for t in build_tables(report, Disclosure(5, 5))}
    assert tables["ratings_topics"].header == ["Thema", "hilfreich", "nicht hilfreich"]
    assert tables["ratings_topics"].rows == [["Pflege", 10, 10], ["Wohnen", 5, "<5"],
                                             ["Ohne Thema", "<5", "<5"]]
    answers = {row[0]: row[1:] for row in tables["ratings_answers"].rows}
    assert answers["pflegegrad/pflegegeld"] == [10, "<5"]  # 12 -> 10, 3 -> <5
    assert answers["pflegegrad/frist"] == ["<5", 5]
    csv = to_csv(report, list(tables.values()), Disclosure(5, 5))
    assert "Bewertungen nach Thema" in csv and "Bewertungen nach Antwort" in csv
    assert "pflegegrad/pflegegeld;10;<5" in csv
    # a municipality admin sees their municipality only
    scoped = build_report(engine, ReportFilter(FLT.date_from, FLT.date_to, "Bochum"))
    assert scoped.ratings_by_topic == [("wohnen", 7, 0)]


def test_no_ratings_table_is_fine(tmp_path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'app.db'}")
    models.metadata.create_all(engine)  # insight's tables only, as older versions made them
    report = build_report(engine, FLT)
    assert report.ratings_by_topic is None
    tables = {t.key: t for t in build_tables(report, Disclosure())}
    assert tables["ratings_topics"].rows == [] and "Keine" in tables["ratings_topics"].note
    assert review.feedback(engine) == []


def test_unhelpful_texts_reach_the_review_queue_redacted(tmp_path) -> None:
    engine, outbox = _setup(tmp_path)
    _rate(outbox, 1, "utter_ask_pflegegrad/frist", "nicht_hilfreich",
          text="Meine Mail ist erika@example.org, die Frist fehlt")
    _rate(outbox, 1, "utter_ask_wohnen/umbau", "nicht_hilfreich", municipality="Bochum",
          text="Zu lang")
    _rate(outbox, 1, "utter_ask_wohnen/umbau", "nicht_hilfreich")  # no text: not listed
    _rate(outbox, 1, "utter_ask_wohnen/umbau", "hilfreich", text="toll")  # no text kept
    items = review.feedback(engine)
    assert [i["text"] for i in items] == ["Zu lang", "Meine Mail ist [E-Mail], die Frist fehlt"]
    assert items[1]["response"] == "utter_ask_pflegegrad/frist" and items[1]["topic"] == "pflege"
    assert [i["text"] for i in review.feedback(engine, "Dortmund")] == [
        "Meine Mail ist [E-Mail], die Frist fehlt"]


def test_the_report_days_are_local_days_also_in_the_hour_after_local_midnight(tmp_path) -> None:
    """23:30 UTC on 6 December is already 7 December in Berlin: the default report ("up to
    today") must count a rating given then, on a server whose clock runs in UTC."""
    from insight.report import local_today

    late = datetime(2026, 12, 6, 23, 30, tzinfo=timezone.utc)
    assert local_today("Europe/Berlin", late) == date(2026, 12, 7)
    assert local_today("UTC", late) == date(2026, 12, 6)
    engine, outbox = _setup(tmp_path)
    _rate(outbox, 1, "utter_ask_pflegegrad/pflegegeld", "hilfreich")
    with engine.begin() as conn:  # the rating was given at that moment
        conn.execute(sa.text("UPDATE answer_ratings SET created_at = :at"),
                     {"at": late.replace(tzinfo=None)})
    day = local_today("Europe/Berlin", late)
    assert build_report(engine, ReportFilter(day, day)).ratings_by_response == [
        ("utter_ask_pflegegrad/pflegegeld", 1, 0)]
    assert build_report(engine, ReportFilter(day, day, timezone="UTC")).ratings_by_response == []
