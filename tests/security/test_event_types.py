"""Rasa's event types are resolved from a table: the same classes, without a class-tree walk
per event."""

from __future__ import annotations

from typing import Any

import pytest
import rasa.shared.utils.common
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered

from security import event_types

RASA_OWN = Event.__dict__["resolve_by_type"].__func__
STORED = [
    {"event": "action", "name": "action_session_start", "timestamp": 1.0},
    {"event": "session_started", "timestamp": 1.1},
    {"event": "user", "text": "Wo ist das Seniorenbüro in Hörde?", "timestamp": 2.0,
     "parse_data": {"intent": {"name": "find_office", "confidence": 0.97}, "entities": []}},
    {"event": "slot", "name": "place", "value": "Hörde", "timestamp": 2.1},
    {"event": "active_loop", "name": "office_form", "timestamp": 2.2},
    {"event": "bot", "text": "Für Hörde ist zuständig: …", "timestamp": 2.3},
    {"event": "followup", "name": "action_listen", "timestamp": 2.4},
]


def outcome(resolve: Any, *args: Any) -> Any:
    try:
        return resolve(*args)
    except ValueError as error:
        return str(error)


@pytest.mark.parametrize("type_name", sorted(
    {cls.type_name for cls in rasa.shared.utils.common.all_subclasses(Event)}
    | {"topic", "gibt_es_nicht"}))
def test_every_name_resolves_as_rasa_resolves_it(type_name: str) -> None:
    assert outcome(event_types.resolve_by_type, type_name) == outcome(RASA_OWN, type_name)
    assert (outcome(event_types.resolve_by_type, type_name, SlotSet)
            == outcome(RASA_OWN, type_name, SlotSet))


def test_a_stored_conversation_reads_back_as_the_same_events(
        monkeypatch: pytest.MonkeyPatch) -> None:
    rasa_events = [Event.from_parameters(dict(stored)) for stored in STORED]
    monkeypatch.setattr(Event, "resolve_by_type", staticmethod(event_types.resolve_by_type))
    events = [Event.from_parameters(dict(stored)) for stored in STORED]
    assert events == rasa_events
    assert isinstance(events[0], ActionExecuted) and isinstance(events[2], UserUttered)


def test_the_class_tree_is_walked_once_not_per_event(monkeypatch: pytest.MonkeyPatch) -> None:
    walks = []
    walk = rasa.shared.utils.common.all_subclasses

    def counted(cls: Any) -> Any:
        if cls is Event:  # a walk from the top (the walk recurses into the subclasses)
            walks.append(cls)
        return walk(cls)

    monkeypatch.setattr(rasa.shared.utils.common, "all_subclasses", counted)
    monkeypatch.setattr(event_types, "all_subclasses", counted)
    monkeypatch.setattr(event_types, "_TABLE", {})
    event_types.install()
    try:
        for _ in range(20):
            for stored in STORED:
                Event.from_parameters(dict(stored))
    finally:
        monkeypatch.setattr(Event, "resolve_by_type", staticmethod(RASA_OWN))
    assert len(walks) == 1


def test_an_event_class_imported_later_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(event_types, "_TABLE", {})
    assert event_types.resolve_by_type("user") is UserUttered  # the table is built

    class LaterEvent(ActionExecuted):
        type_name = "ql_later_event"

    assert event_types.resolve_by_type("ql_later_event") is LaterEvent

