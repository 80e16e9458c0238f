"""The retention job deletes exactly what is past the retention period; deletion on request
removes one conversation everywhere and nothing else."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from channels.outbox import Outbox
from handoff import service as handoff
from privacy.retention import delete_conversation, run_retention
from quartierslotse.settings import PROJECT_ROOT, Settings

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
DAY = 86400.0
DOMAIN = Domain.from_yaml("""
version: "3.1"
slots:
  callback_phone:
    type: text
    mappings: [{type: custom}]
  callback_time:
    type: text
    mappings: [{type: custom}]
""")


def naive(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def conversation(sender: str, start: float, text: str = "Hallo") -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, slots=DOMAIN.slots)
    for event in [
        ActionExecuted("action_session_start", timestamp=start),
        SessionStarted(timestamp=start + 1),
        ActionExecuted("action_listen", timestamp=start + 2),
        UserUttered(text, {"name": "greet", "confidence": 1.0}, timestamp=start + 3),
        BotUttered("Guten Tag!", {"buttons": [{"title": "Pflege", "payload": "/pflege"}]},
                   timestamp=start + 4),
    ]:
        tracker.update(event)
    return tracker


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def stores(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "sqlite":
        settings = Settings(var_dir=tmp_path, retention_days=30)
        tracker_db = settings.tracker_store_url.removeprefix("sqlite:///")
        yield settings, SQLTrackerStore(DOMAIN, dialect="sqlite", db=tracker_db)
        return
    import psycopg2

    name = "ql_sec_" + uuid.uuid4().hex[:12]
    admin = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {name}")
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    settings = Settings(var_dir=tmp_path, retention_days=30, database_url=url,
                        tracker_store_url=url)
    store = SQLTrackerStore(DOMAIN, dialect="postgresql", host="127.0.0.1", port=5432,
                            db=name, username="postgres")
    try:
        yield settings, store
    finally:
        store.engine.dispose()
        from storage.engine import dispose

        dispose(url)
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def age(url: str, table: str, column: str, sender_column: str, sender: str, when: datetime) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"UPDATE {table} SET {column} = :when WHERE {sender_column} = :s"),
                     {"when": naive(when), "s": sender})
    engine.dispose()


def count(url: str, table: str, where: str = "1=1", **params: object) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(
            sa.text(f"SELECT count(*) FROM {table} WHERE {where}"), params
        ).scalar()
    engine.dispose()
    return int(value or 0)


async def test_retention_deletes_old_conversations_and_keeps_recent_ones(stores) -> None:
    settings, store = stores
    old, recent, mixed = (
        "old-" + uuid.uuid4().hex, "new-" + uuid.uuid4().hex, "mix-" + uuid.uuid4().hex
    )
    now = NOW.timestamp()
    await store.save(conversation(old, now - 45 * DAY, "Meine Nummer ist 0231 123456"))
    await store.save(conversation(recent, now - 2 * DAY))
    mixed_tracker = conversation(mixed, now - 40 * DAY)
    for event in conversation(mixed, now - 1 * DAY, "Ich bin wieder da").events:
        mixed_tracker.update(event)
    await store.save(mixed_tracker)

    outbox = Outbox(settings.database_url)
    for sender in (old, recent):
        outbox.append_sync(sender, "user", "Hallo, 0231 123456")
    age(settings.database_url, "webchat_outbox", "created_at", "sender", old,
        NOW - timedelta(days=31))

    for sender in (old, recent):
        handoff.open_ticket(settings.database_url, sender_id=sender, channel="webchat",
                            municipality="Dortmund", preview="Bitte Rückruf 0231 123456")
    age(settings.database_url, "handoff_tickets", "created_at", "sender_id", old,
        NOW - timedelta(days=31))
    done = handoff.add_callback(settings.database_url, sender_id=recent, channel="webchat",
                                municipality="Dortmund", phone="0231 999999",
                                preferred_time="vormittags")
    # the callback form left the phone number in the conversation (user text, slot, bot echo)
    callback_turn = await store.retrieve(recent)
    assert callback_turn.get_slot("callback_phone") is None  # control: slot exists, unset
    for event in [
        UserUttered("0231 999999", {"name": "inform", "confidence": 1.0}, timestamp=now - DAY + 10),
        SlotSet("callback_phone", "0231 999999", timestamp=now - DAY + 11),
        SlotSet("callback_time", "vormittags", timestamp=now - DAY + 12),
        BotUttered("Wir rufen Sie vormittags unter 0231 999999 zurück.", timestamp=now - DAY + 13),
    ]:
        callback_turn.update(event)
    await store.save(callback_turn)
    assert (await store.retrieve(recent)).get_slot("callback_phone") == "0231 999999"  # control
    engine = sa.create_engine(settings.database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE handoff_callbacks SET status='done' WHERE id=:id"),
                     {"id": done})
    engine.dispose()
    # a later request of the same conversation (one open callback per conversation at a time)
    handoff.add_callback(settings.database_url, sender_id=recent, channel="webchat",
                         municipality="Dortmund", phone="0231 888888", preferred_time="abends")

    untouched = {t: count(settings.database_url, t)
                 for t in ("handoff_canned_replies", "handoff_audit")}

    counts = run_retention(settings, now=NOW)

    assert {t: count(settings.database_url, t) for t in untouched} == untouched
    assert count(settings.tracker_store_url, "events", "sender_id = :s", s=old) == 0
    recent_tracker = await store.retrieve(recent)
    assert recent_tracker is not None and recent_tracker.latest_message.text == "[Rückruf-Angabe]"
    # the still active conversation keeps its recent session, loses the 40-day-old one
    assert count(settings.tracker_store_url, "events", "sender_id = :s", s=mixed) == 5
    assert (await store.retrieve(mixed)).latest_message.text == "Ich bin wieder da"
    assert counts["tracker_events"] == 10

    assert count(settings.database_url, "webchat_outbox", "sender = :s", s=old) == 0
    assert count(settings.database_url, "webchat_outbox", "sender = :s", s=recent) == 1
    assert count(settings.database_url, "handoff_tickets", "sender_id = :s", s=old) == 0
    assert count(settings.database_url, "handoff_tickets", "sender_id = :s", s=recent) == 1
    # the completed callback is gone, the open one (with consent) stays
    assert count(settings.database_url, "handoff_callbacks") == 1
    assert count(settings.database_url, "handoff_callbacks", "phone = '0231 888888'") == 1
    # ... and the done callback's phone number is gone from the conversation as well
    assert count(settings.tracker_store_url, "events", "data LIKE '%0231 999999%'") == 0
    assert count(settings.tracker_store_url, "events",
                 "data LIKE '%[Rückruf-Angabe]%' AND sender_id = :s", s=recent) >= 2
    assert count(settings.tracker_store_url, "events", "data LIKE '%vormittags%'") == 0
    assert count(settings.database_url, "webchat_outbox", "text LIKE '%123456%'") == 0
    assert (await store.retrieve(recent)).get_slot("callback_phone") is None
    assert (await store.retrieve(recent)).get_slot("callback_time") is None

    assert run_retention(settings, now=NOW).get("tracker_events") == 0  # idempotent


async def test_delete_on_request_removes_one_conversation_everywhere(stores) -> None:
    settings, store = stores
    target, other = "del-" + uuid.uuid4().hex, "keep-" + uuid.uuid4().hex
    now = NOW.timestamp()
    for sender in (target, other):
        await store.save(conversation(sender, now - DAY))
        Outbox(settings.database_url).append_sync(sender, "user", "Hallo")
        handoff.open_ticket(settings.database_url, sender_id=sender, channel="webchat",
                            municipality="Dortmund", preview="Hilfe")
        handoff.add_callback(settings.database_url, sender_id=sender, channel="webchat",
                             municipality="Dortmund", phone="0231 777777", preferred_time="")

    from insight.config import InsightConfig
    from insight.ingest import Ingestor

    ingestor = Ingestor(InsightConfig(tracker_store_url=settings.tracker_store_url,
                                      database_url=settings.database_url, ingest_lag_seconds=0))
    ingestor.run(now=NOW.timestamp() + 3600)
    assert count(settings.database_url, "insight_conversations") == 2  # control

    counts = delete_conversation(settings, target)

    assert counts["insight_conversations"] == 1
    assert count(settings.database_url, "insight_conversations", "sender_hash = :h",
                 h=ingestor.pseudonym(other)) == 1
    assert count(settings.database_url, "insight_conversations", "sender_hash = :h",
                 h=ingestor.pseudonym(target)) == 0

    assert counts["tracker_events"] == 5 and counts["webchat_outbox"] == 1
    assert counts["handoff_tickets"] == 1 and counts["handoff_callbacks"] == 1
    for table, column in [("webchat_outbox", "sender"), ("handoff_tickets", "sender_id"),
                          ("handoff_callbacks", "sender_id")]:
        assert count(settings.database_url, table, f"{column} = :s", s=target) == 0
        assert count(settings.database_url, table, f"{column} = :s", s=other) == 1
    assert count(settings.tracker_store_url, "events", "sender_id = :s", s=target) == 0
    assert (await store.retrieve(other)).latest_message.text == "Hallo"


def test_retention_refuses_a_zero_day_period(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        run_retention(Settings(var_dir=tmp_path), days=0)


def test_cli_deletes_a_conversation(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path)
    Outbox(settings.database_url).append_sync("cli-sender-1", "user", "Hallo")
    env = {**settings.as_env(), "PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "privacy.retention", "delete", "--conversation", "cli-sender-1"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert '"webchat_outbox": 1' in result.stdout
    assert count(settings.database_url, "webchat_outbox") == 0
