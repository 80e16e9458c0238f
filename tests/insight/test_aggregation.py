"""Aggregation on conversations with known counts, through Rasa's own SQLTrackerStore and on
a generated set, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url

from insight import models
from insight.config import InsightConfig
from insight.ingest import Ingestor
from insight.report import ReportFilter, build_report
from insight.synthetic import generate
from knowledge import models as kb
from storage.schema import upgrade

BERLIN = ZoneInfo("Europe/Berlin")
MON = datetime(2026, 3, 2, tzinfo=BERLIN)  # Monday
TUE = datetime(2026, 3, 3, tzinfo=BERLIN)


def at(day: datetime, hour: int, minute: int, second: float = 0) -> float:
    return day.replace(hour=hour, minute=minute).timestamp() + second


def tracker_store(url: str) -> SQLTrackerStore:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return SQLTrackerStore(dialect="sqlite", db=parsed.database)
    return SQLTrackerStore(dialect="postgresql", host=parsed.host, port=parsed.port,
                           db=parsed.database, username=parsed.username)


def user(ts: float, text: str, intent: str, confidence: float, channel: str,
         metadata: dict | None = None, retrieval: str | None = None) -> UserUttered:
    parse = {"intent": {"name": intent, "confidence": confidence}, "entities": [], "text": text}
    if retrieval:
        parse["response_selector"] = {intent: {"response": {"intent_response_key": retrieval}}}
    return UserUttered(text, parse_data=parse, input_channel=channel, metadata=metadata or {},
                       timestamp=ts)


def session(ts: float) -> list:
    return [ActionExecuted("action_session_start", timestamp=ts),
            SessionStarted(timestamp=ts + 0.01),
            ActionExecuted("action_listen", timestamp=ts + 0.02)]


def turn(ts: float, action: str, text: str = "Antwort") -> list:
    return [ActionExecuted(action, timestamp=ts + 0.1), BotUttered(text, timestamp=ts + 0.2),
            ActionExecuted("action_listen", timestamp=ts + 0.3)]


def save(store: SQLTrackerStore, sender: str, events: list) -> None:
    tracker = DialogueStateTracker.from_events(sender, events)
    asyncio.run(store.save(tracker))


def write_known_conversations(store: SQLTrackerStore) -> None:
    """6 conversations of 4 people; counts listed in test_known_counts."""
    dortmund = {"municipality": "Dortmund"}
    # 1: web chat, Dortmund (widget metadata), Monday 10:15, greet + Pflegegrad (retrieval)
    t = at(MON, 10, 15)
    s1_first = [*session(t), user(t + 5, "hallo", "greet", 0.98, "webchat", dortmund),
                *turn(t + 5, "utter_greet"),
                user(t + 30, "Wie beantrage ich einen Pflegegrad?", "ask_pflegegrad", 0.91,
                     "webchat", dortmund, retrieval="ask_pflegegrad/antrag"),
                *turn(t + 30, "utter_ask_pflegegrad")]
    save(store, "web-erna-0001", s1_first)
    # 2: Telegram, misunderstood message with a phone number, then asks for a human; Krefeld
    t = at(MON, 10, 40)
    s2_first = [*session(t),
                user(t + 5, "ruf mich an 0231 5012345", "nlu_fallback", 0.3, "telegram"),
                *turn(t + 5, "action_default_fallback", "Das habe ich nicht verstanden."),
                SlotSet("municipality", "Krefeld", timestamp=t + 6),
                user(t + 20, "ich will mit einem Menschen reden", "request_human", 0.97,
                     "telegram"),
                ActionExecuted("action_request_human", timestamp=t + 20.1),
                BotUttered("Ich verbinde Sie.", timestamp=t + 20.2),
                ConversationPaused(timestamp=t + 200),
                BotUttered("Frau Berger ist jetzt für Sie da.",
                           metadata={"role": "system", "handoff": "advisor_joined"},
                           timestamp=t + 200.1),
                BotUttered("Guten Tag, hier ist Frau Berger.",
                           metadata={"role": "advisor", "advisor": "Frau Berger"},
                           timestamp=t + 320.1),
                ConversationResumed(timestamp=t + 900)]
    save(store, "tg-4711", s2_first)
    # 3: web chat, Dortmund, Monday 23:30, emergency; nobody answered (yet)
    t = at(MON, 23, 30)
    save(store, "web-karl-0002", [
        *session(t), user(t + 3, "Hilfe mein Mann ist gestürzt", "emergency", 0.99, "webchat",
                          dortmund),
        ActionExecuted("action_emergency_handoff", timestamp=t + 3.1),
        BotUttered("Rufen Sie bitte sofort 112 an.", timestamp=t + 3.2)])
    # 4: person 1 again on Tuesday 14:05 (new session): one low-confidence message
    t = at(TUE, 14, 5)
    save(store, "web-erna-0001", [
        *s1_first[1:], *session(t),
        user(t + 5, "Umbau Bad Zuschuss Frau Schmidt", "ask_wohnen", 0.4, "webchat", dortmund),
        *turn(t + 5, "utter_ask_wohnen"),
        user(t + 40, "Wer hilft beim Umbau meiner Wohnung?", "ask_wohnen", 0.95, "webchat",
             dortmund),
        *turn(t + 40, "utter_ask_wohnen")])
    # 5: REST, no municipality, out of scope, Tuesday 14:20
    t = at(TUE, 14, 20)
    save(store, "rest-0815", [*session(t),
                              user(t + 2, "wie wird das Wetter", "out_of_scope", 0.9, "rest"),
                              *turn(t + 2, "utter_out_of_scope")])
    # 6: person 2 again, Tuesday 15:00; Rasa carries the municipality slot over
    t = at(TUE, 15, 0)
    save(store, "tg-4711", [
        *s2_first[1:], *session(t), SlotSet("municipality", "Krefeld", timestamp=t + 0.015),
        user(t + 5, "Gibt es einen Seniorentreff?", "ask_begegnung", 0.8, "telegram"),
        *turn(t + 5, "utter_ask_begegnung")])


def test_known_counts(db_urls: tuple[str, str]) -> None:
    tracker_url, app_url = db_urls
    store = tracker_store(tracker_url)
    config = InsightConfig(tracker_store_url=tracker_url, database_url=app_url,
                           ingest_lag_seconds=0)
    write_known_conversations(store)
    target = sa.create_engine(app_url)
    stats = Ingestor(config, target=target).run(chunk_size=7)  # many chunk boundaries
    assert stats.conversations == 6 and stats.messages == 9 and stats.review_items == 2

    report = build_report(target, ReportFilter(date(2026, 3, 1), date(2026, 3, 31)))
    assert (report.conversations, report.users, report.messages) == (6, 4, 9)
    assert report.fallback_messages == 2 and report.handoffs == 2
    assert report.series == [("2026-03-02", 3, 3, 5), ("2026-03-03", 3, 3, 4)]
    assert dict(report.by_channel) == {"webchat": 3, "telegram": 2, "rest": 1}
    assert dict(report.by_municipality) == {"Dortmund": 3, "Krefeld": 2, "": 1}
    assert dict(report.by_topic) == {"gespraech": 1, "pflege": 1, "nicht_verstanden": 1,
                                     "beratung": 1, "notfall": 1, "wohnen": 2,
                                     "ausserhalb": 1, "begegnung": 1}
    assert dict(report.handoff_reasons) == {"request": 1, "emergency": 1}
    assert report.wait.count == 1 and report.wait.median_seconds == pytest.approx(300.0, abs=0.01)
    assert report.heatmap == {(0, 10): 4, (0, 23): 1, (1, 14): 3, (1, 15): 1}
    assert report.callbacks == []  # the handoff tables exist (storage.schema), no callback yet

    monthly = build_report(target, ReportFilter(date(2026, 3, 1), date(2026, 3, 31),
                                                period="month"))
    assert monthly.series == [("2026-03", 6, 4, 9)]
    krefeld = build_report(target, ReportFilter(date(2026, 3, 1), date(2026, 3, 31), "Krefeld"))
    assert (krefeld.conversations, krefeld.users, krefeld.messages) == (2, 1, 3)
    tuesday = build_report(target, ReportFilter(date(2026, 3, 3), date(2026, 3, 3)))
    assert (tuesday.conversations, tuesday.messages, tuesday.fallback_messages) == (3, 4, 1)

    with target.connect() as conn:
        queue = conn.execute(sa.select(models.review.c.text, models.review.c.reason)
                             .order_by(models.review.c.event_id)).all()
    assert queue == [("ruf mich an [Telefon]", "fallback"),
                     ("Umbau Bad Zuschuss Frau [Name]", "low_confidence")]

    # incremental: nothing new -> nothing changes; a new conversation is added on top
    assert Ingestor(config, target=target).run().events == 0
    t = at(TUE, 16, 0)
    save(store, "web-new-0003", [*session(t), user(t + 1, "hallo", "greet", 0.99, "webchat",
                                                   {"municipality": "Dortmund"})])
    assert Ingestor(config, target=target).run().conversations == 1
    again = build_report(target, ReportFilter(date(2026, 3, 1), date(2026, 3, 31)))
    assert (again.conversations, again.users, again.messages) == (7, 5, 10)


def test_generated_conversations(db_urls: tuple[str, str]) -> None:
    tracker_url, app_url = db_urls
    source = sa.create_engine(tracker_url)
    expected = generate(source, conversations=1500, days=21, seed=11)
    config = InsightConfig(tracker_store_url=tracker_url, database_url=app_url,
                           ingest_lag_seconds=0)
    target = sa.create_engine(app_url)
    # two runs: up to the middle of the period, then the rest (incremental by event id)
    middle = datetime(2026, 3, 12, tzinfo=BERLIN).timestamp()
    first = Ingestor(config, source, target).run(chunk_size=4000, now=middle)
    second = Ingestor(config, source, target).run(chunk_size=4000)
    assert first.events > 0 and second.events > 0

    report = build_report(target, ReportFilter(date(2026, 1, 1), date(2026, 12, 31)))
    assert report.conversations == expected.conversations == 1500
    assert report.users == expected.users
    assert report.messages == expected.messages
    assert report.fallback_messages == expected.fallback_messages
    assert report.handoffs == expected.handoffs
    assert Counter(dict(report.by_channel)) == expected.by_channel
    assert Counter(dict(report.by_municipality)) == expected.by_municipality
    assert Counter(dict(report.by_office)) == expected.by_office
    assert Counter(dict(report.by_topic)) == expected.by_topic
    assert Counter(dict(report.handoff_reasons)) == expected.handoff_reasons
    assert Counter(report.heatmap) == expected.heatmap
    assert {key: conv for key, conv, _, _ in report.series} == dict(expected.by_day)
    assert report.wait.count == len(expected.wait_seconds)
    waits = sorted(expected.wait_seconds)
    mid = len(waits) // 2
    median = waits[mid] if len(waits) % 2 else (waits[mid - 1] + waits[mid]) / 2
    assert report.wait.median_seconds == pytest.approx(median, abs=0.01)
    assert report.review_open == expected.fallback_messages


def test_concurrent_ingests_do_not_double_count(tmp_path) -> None:  # type: ignore[no-untyped-def]
    tracker, app = f"sqlite:///{tmp_path / 't.db'}", f"sqlite:///{tmp_path / 'a.db'}"
    expected = generate(sa.create_engine(tracker), conversations=300, days=7, seed=4)
    config = InsightConfig(tracker_store_url=tracker, database_url=app, ingest_lag_seconds=0)
    fast = Ingestor(config)
    finished = []

    class Slow(Ingestor):
        def _upper_bound(self, now):  # type: ignore[no-untyped-def]
            # another ingest runs to the end after this one has read the state
            finished.append(fast.run())
            return super()._upper_bound(now)

    stale = Slow(config).run(chunk_size=1000)
    assert finished[0].conversations == 300
    assert stale.concurrent and stale.conversations == 0
    report = build_report(sa.create_engine(app), ReportFilter(date(2026, 1, 1), date(2026, 12, 31)))
    assert report.conversations == expected.conversations
    assert report.messages == expected.messages


def test_unlinked_conversations_still_count_but_not_as_people(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """privacy.retention blanks old pseudonyms; the report must not count "" as a person."""
    tracker, app = f"sqlite:///{tmp_path / 't.db'}", f"sqlite:///{tmp_path / 'a.db'}"
    store = tracker_store(tracker)
    write_known_conversations(store)
    target = sa.create_engine(app)
    Ingestor(InsightConfig(tracker_store_url=tracker, database_url=app, ingest_lag_seconds=0),
             target=target).run()
    with target.begin() as conn:
        conn.execute(models.conversations.update().where(models.conversations.c.day == "2026-03-02")
                     .values(sender_hash=""))
    report = build_report(target, ReportFilter(date(2026, 3, 1), date(2026, 3, 31)))
    assert report.conversations == 6 and report.users == 3  # the three people of Tuesday


def test_office_and_municipality_names_from_the_knowledge_base(tmp_path) -> None:  # type: ignore[no-untyped-def]
    tracker, app = f"sqlite:///{tmp_path / 't.db'}", f"sqlite:///{tmp_path / 'a.db'}"
    target = sa.create_engine(app)
    upgrade(app)
    with target.begin() as conn:
        conn.execute(kb.Municipality.__table__.insert().values(
            id=1, key="dortmund", name="Dortmund", state="NW", source="test", as_of="2026"))
        conn.execute(kb.Office.__table__.insert().values(
            municipality_id=1, key="sb-hoerde", name="Seniorenbüro Hörde", type="seniorenbuero",
            source="test", as_of="2026"))
    store = tracker_store(tracker)
    t = at(MON, 9, 0)
    save(store, "tg-1", [*session(t), user(t + 1, "Büro in Hörde?", "find_office", 0.9, "telegram"),
                         ActionExecuted("action_find_office", timestamp=t + 1.1),
                         SlotSet("last_office", "dortmund/sb-hoerde", timestamp=t + 1.2)])
    save(store, "web-1", [*session(t), user(t + 2, "hallo", "greet", 0.9, "webchat",
                                            {"municipality": "dortmund"})])
    Ingestor(InsightConfig(tracker_store_url=tracker, database_url=app, ingest_lag_seconds=0),
             target=target).run()
    report = build_report(target, ReportFilter(date(2026, 3, 1), date(2026, 3, 31)))
    assert dict(report.by_municipality) == {"Dortmund": 2}
    assert dict(report.by_office) == {"Seniorenbüro Hörde": 1, "": 1}
