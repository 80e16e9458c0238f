"""The production tracker store hands every event to the event broker exactly once, in order,
without reading the whole conversation back on each save (channels/rasa_stores.py).

Real SQLite databases for both the tracker store and Rasa's SQL event broker.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rasa.core.brokers.sql import SQLEventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered

from channels.rasa_stores import ResilientSQLTrackerStore

DOMAIN = Domain.from_yaml("version: '3.1'\nintents: [greet, ask_pflegegrad]\n")


def _store(tmp_path: Path) -> tuple[ResilientSQLTrackerStore, SQLEventBroker]:
    broker = SQLEventBroker(dialect="sqlite", db=str(tmp_path / "events.db"))
    store = ResilientSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"),
                                     event_broker=broker)
    return store, broker


def _published(broker: SQLEventBroker, sender: str) -> list[dict]:
    with broker.engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT data FROM events WHERE sender_id = :sender ORDER BY id"), {"sender": sender})
        return [json.loads(row[0]) for row in rows]


def _without_time(events: list[dict]) -> list[dict]:
    return [{key: value for key, value in event.items() if key != "timestamp"} for event in events]


def _turn(text: str, answer: str) -> list:
    return [UserUttered(text, {"name": "ask_pflegegrad", "confidence": 0.9}),
            ActionExecuted("utter_answer"), BotUttered(answer), ActionExecuted("action_listen")]


async def _save_turns(store: SQLTrackerStore, sender: str, turns: list[list]) -> None:
    for events in turns:
        tracker = await store.get_or_create_tracker(sender)
        for event in events:
            tracker.update(event)
        await store.save(tracker)


def _with_unsaved_turn(store: SQLTrackerStore, sender: str, text: str, answer: str) -> Any:
    """The stored conversation of `sender` (a session start), plus one turn not saved yet."""
    asyncio.run(_save_turns(store, sender, [[SessionStarted(), ActionExecuted("action_listen")]]))
    tracker = asyncio.run(store.retrieve(sender))
    for event in _turn(text, answer):
        tracker.update(event)
    return tracker


def test_every_event_reaches_the_broker_once_and_in_order(tmp_path: Path) -> None:
    store, broker = _store(tmp_path)
    turns = [[SessionStarted(), ActionExecuted("action_listen")],
             _turn("Was ist ein Pflegegrad?", "Ein Pflegegrad ..."),
             _turn("Und wie beantrage ich ihn?", "Den Antrag stellen Sie ...")]
    asyncio.run(_save_turns(store, "anna", turns))

    stored = asyncio.run(store.retrieve("anna"))
    published = _published(broker, "anna")
    assert [event["event"] for event in published] == [event.type_name for event in stored.events]
    assert [event.get("text") for event in published if event["event"] == "user"] == [
        "Was ist ein Pflegegrad?", "Und wie beantrage ich ihn?"]


def test_across_sessions_the_broker_gets_what_stock_rasa_would_send(tmp_path: Path) -> None:
    turns = [[SessionStarted(timestamp=1.0), ActionExecuted("action_listen", timestamp=1.0)],
             [UserUttered("Hallo", timestamp=2.0), ActionExecuted("action_listen", timestamp=2.0)],
             [SessionStarted(timestamp=10.0), ActionExecuted("action_listen", timestamp=10.0),
              UserUttered("Guten Tag", timestamp=11.0)],
             [BotUttered("Guten Tag!", timestamp=12.0)]]
    store, broker = _store(tmp_path)
    asyncio.run(_save_turns(store, "ben", turns))
    stock_broker = SQLEventBroker(dialect="sqlite", db=str(tmp_path / "stock-events.db"))
    stock = SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "stock-tracker.db"),
                            event_broker=stock_broker)
    asyncio.run(_save_turns(stock, "ben", turns))

    published = _published(broker, "ben")
    assert [event["event"] for event in published].count("session_started") == 2
    # the first action_listen is Rasa's own, stamped with the time of the run
    assert _without_time(published) == _without_time(_published(stock_broker, "ben"))


def test_saving_does_not_read_the_conversation_back(tmp_path: Path) -> None:
    store, broker = _store(tmp_path)
    tracker = _with_unsaved_turn(store, "carla", "Wo ist das Seniorenbüro?", "In der Kampstraße")

    reads: list[str] = []
    original = store.retrieve

    async def counting_retrieve(sender_id: str):  # type: ignore[no-untyped-def]
        reads.append(sender_id)
        return await original(sender_id)

    store.retrieve = counting_retrieve  # type: ignore[method-assign]
    asyncio.run(store.save(tracker))

    assert reads == []
    assert len(_published(broker, "carla")) == len(tracker.events)


def test_a_save_counts_the_stored_events_once(tmp_path: Path) -> None:
    store, _ = _store(tmp_path)
    tracker = _with_unsaved_turn(store, "dora", "Was kostet ein Hausnotruf?", "Das hängt ...")
    counts: list[str] = []
    sa.event.listen(store.engine, "before_cursor_execute",
                    lambda *args: counts.append(args[2]) if "count(" in args[2].lower() else None)
    asyncio.run(store.save(tracker))
    assert len(counts) == 1


def test_events_that_could_not_be_stored_are_not_published(tmp_path: Path) -> None:
    store, broker = _store(tmp_path)
    store.RETRY_SECONDS = 0.0
    tracker = _with_unsaved_turn(store, "emil", "Hallo?", "Guten Tag!")
    first_turn = _published(broker, "emil")

    def refuse(*_: object) -> None:
        raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))

    sa.event.listen(store.engine, "before_cursor_execute", refuse)
    with pytest.raises(sa.exc.OperationalError):
        asyncio.run(store.save(tracker))
    sa.event.remove(store.engine, "before_cursor_execute", refuse)
    assert _published(broker, "emil") == first_turn
    asyncio.run(store.save(tracker))  # the next save stores and publishes the rest, once
    published = [{key: value for key, value in event.items() if key != "sender_id"}
                 for event in _published(broker, "emil")]
    assert _without_time(published) == _without_time([event.as_dict() for event in tracker.events])
