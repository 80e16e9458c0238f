"""Pflege answers: grade/relative/topic slots and the amounts generated from bot/facts.yml."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import (
    AMOUNTS_DOMAIN,
    ValidatePflegeSlots,
    generated_responses,
    grade_from_text,
    load_facts,
    normalise_relation,
)
from actions.session import ActionSessionStart
from safety.emergency import ACUTE_DANGER_METADATA
from tests.support.trackers import make_tracker

DOMAIN = {
    "slots": {
        "pflegegrad": {"type": "text", "mappings": [{"type": "from_entity", "entity": "pflegegrad"},
                                                    {"type": "custom"}]},
        "relation": {"type": "text", "mappings": [{"type": "from_entity", "entity": "relation"}]},
        "pflege_thema": {"type": "text", "mappings": [{"type": "custom"}]},
        "callback_phone": {"type": "text", "mappings": [{"type": "from_text", "conditions": [
            {"active_loop": "callback_form", "requested_slot": "callback_phone"}]}]},
    },
    "session_config": {"carry_over_slots_to_new_session": True},
}


def message(text: str, sub: str | None, entities: list[dict] | None = None,
            intent: str = "ask_pflegegrad") -> dict[str, Any]:
    parse: dict[str, Any] = {"text": text, "intent": {"name": intent, "confidence": 0.9},
                             "entities": entities or []}
    if sub:
        parse["response_selector"] = {"default": {"response": {
            "intent_response_key": f"{intent}/{sub}",
            "utter_action": f"utter_{intent}/{sub}"}}}
    return parse


def tracker(latest: dict[str, Any], slots: dict[str, Any] | None = None,
            slot_events: list[dict] | None = None) -> Tracker:
    events = [{"event": "user", "text": latest["text"], "parse_data": latest}, *(slot_events or [])]
    return make_tracker(events, slots)


def run_validation(t: Tracker) -> dict[str, Any]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidatePflegeSlots().run(dispatcher, t, DOMAIN))
    assert dispatcher.messages == []
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def test_amount_question_remembers_topic_and_takes_grade_from_text() -> None:
    slots = run_validation(tracker(message("wie viel pflegegeld bei PG drei", "pflegegeld"),
                                   {"pflege_thema": "allgemein"}))
    assert slots == {"pflegegrad": "3", "pflege_thema": "pflegegeld"}


def test_follow_up_keeps_the_topic_of_the_previous_answer() -> None:
    latest = message("Und bei Pflegegrad 4?", "nachfrage",
                     [{"entity": "pflegegrad", "value": "4", "start": 16, "end": 17}])
    slot_events = [{"event": "slot", "name": "pflegegrad", "value": "4"}]
    slots = run_validation(tracker(latest, {"pflegegrad": "4", "pflege_thema": "sachleistung"},
                                   slot_events))
    assert "pflege_thema" not in slots  # unchanged: still sachleistung
    assert slots.get("pflegegrad", "4") == "4"


def test_other_pflege_topics_are_general() -> None:
    slots = run_validation(tracker(message("wie beantrage ich das", "antrag"),
                                   {"pflege_thema": "pflegegeld"}))
    assert slots["pflege_thema"] == "allgemein"


def test_other_intents_leave_the_pflege_topic_alone() -> None:
    slots = run_validation(tracker(message("danke", None, intent="thank"),
                                   {"pflege_thema": "pflegegeld"}))
    assert "pflege_thema" not in slots


def test_entity_words_are_normalised() -> None:
    latest = message("für meine Mama, sie hat pflegegrad drei", "antrag", [
        {"entity": "relation", "value": "Mama", "start": 10, "end": 14},
        {"entity": "pflegegrad", "value": "drei", "start": 34, "end": 38}])
    slot_events = [{"event": "slot", "name": "relation", "value": "Mama"},
                   {"event": "slot", "name": "pflegegrad", "value": "drei"}]
    slots = run_validation(tracker(latest, {"relation": "Mama", "pflegegrad": "drei"},
                                   slot_events))
    assert slots["relation"] == "Mutter"
    assert slots["pflegegrad"] == "3"


@pytest.mark.parametrize("text,grade", [
    ("Pflegegrad 3", "3"), ("pflegestufe zwei", "2"), ("PG5", "5"), ("und bei vier?", "4"),
    ("pflegegrad 7", None), ("wie viel pflegegeld", None), ("ich bin 3 mal gestürzt", None),
])
def test_grade_in_text(text: str, grade: str | None) -> None:
    assert grade_from_text(text) == grade


@pytest.mark.parametrize("word,value", [("Mama", "Mutter"), ("meinen Mann", "Ehemann"),
                                        ("Oma", "Oma"), ("Nachbar", None)])
def test_relation_words(word: str, value: str | None) -> None:
    assert normalise_relation(word) == value


# amounts as published for 2025-2027 (reference facts); the generator must reproduce them
PFLEGEGELD = {2: "347", 3: "599", 4: "800", 5: "990"}
SACHLEISTUNG = {2: "796", 3: "1.497", 4: "1.859", 5: "2.299"}


def variation(name: str, **conditions: str) -> str:
    for v in generated_responses(load_facts())[name]:
        cond = {c["name"]: c["value"] for c in v.get("condition", [])}
        if cond == conditions:
            return v["text"]
    raise AssertionError(f"no variation {conditions} for {name}")


@pytest.mark.parametrize("grade", [2, 3, 4, 5])
def test_pflegegeld_and_sachleistung_per_grade(grade: int) -> None:
    assert f"{PFLEGEGELD[grade]} Euro Pflegegeld im Monat" in variation(
        "utter_ask_pflegegrad/pflegegeld", pflegegrad=str(grade))
    assert f"bis zu {SACHLEISTUNG[grade]} Euro im Monat" in variation(
        "utter_ask_pflegegrad/sachleistung", pflegegrad=str(grade))
    follow = variation("utter_ask_pflegegrad/nachfrage", pflege_thema="pflegegeld",
                       pflegegrad=str(grade))
    assert f"Pflegegrad {grade}" in follow and PFLEGEGELD[grade] in follow


def test_pflegegrad_1_has_no_pflegegeld_but_the_entlastungsbetrag() -> None:
    text = variation("utter_ask_pflegegrad/pflegegeld", pflegegrad="1")
    assert "kein Pflegegeld" in text and "131 Euro" in text


def test_without_grade_all_amounts_are_listed() -> None:
    text = variation("utter_ask_pflegegrad/pflegegeld")
    assert all(f"{amount} Euro" in text for amount in PFLEGEGELD.values())


def test_application_answer_speaks_of_the_relative() -> None:
    assert "Für Ihre Mutter" in variation("utter_ask_pflegegrad/antrag", relation="Mutter")
    assert "Für Ihren Vater" in variation("utter_ask_pflegegrad/antrag", relation="Vater")


def test_generated_file_is_valid_domain_yaml() -> None:
    data = yaml.safe_load(AMOUNTS_DOMAIN.read_text(encoding="utf-8"))
    assert set(data["responses"]) == set(generated_responses(load_facts()))


def test_session_start_discloses_and_keeps_context_but_not_contact_data() -> None:
    t = make_tracker(slots={"pflegegrad": "3", "callback_phone": "0231 123", "relation": None})
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionSessionStart().run(dispatcher, t, DOMAIN))
    assert dispatcher.messages[0]["response"] == "utter_disclosure"
    assert events[0]["event"] == "session_started"
    carried = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert carried == {"pflegegrad": "3"}
    assert (events[-1]["event"], events[-1]["name"]) == ("action", "action_listen")


def test_a_conversation_that_begins_with_acute_danger_hears_112_before_the_greeting() -> None:
    """The channel marked the first message as acute danger: no greeting at the start, the
    short disclosure follows the emergency message instead."""
    marked = {"session_started_metadata": {ACUTE_DANGER_METADATA: True, "municipality": "Hagen"}}
    t = make_tracker(slots=marked)
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionSessionStart().run(dispatcher, t, DOMAIN))
    assert dispatcher.messages == []
    assert {"event": "slot", "timestamp": None, "name": "disclosure_pending",
            "value": True} in events
    # a client cannot switch the greeting off with a look-alike value
    spoofed = {"session_started_metadata": {ACUTE_DANGER_METADATA: "yes"}}
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionSessionStart().run(
        dispatcher, make_tracker(slots=spoofed), DOMAIN))
    assert dispatcher.messages[0]["response"] == "utter_disclosure"
