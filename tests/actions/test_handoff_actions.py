"""Which answer a handoff follows: personal-advice topics get their label and priority."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from actions.handoff import personal_advice_topic, request_text, wants_callback


def user(text: str, intent: str, answer: str = "") -> dict[str, Any]:
    """A user event as Rasa stores it; one ResponseSelector for all retrieval intents is
    stored under "default"."""
    parse_data: dict[str, Any] = {"text": text, "intent": {"name": intent, "confidence": 0.9}}
    if answer:
        parse_data["response_selector"] = {
            "all_retrieval_intents": ["ask_pflegegrad", "ask_vorsorgevollmacht"],
            "default": {"response": {"intent_response_key": answer, "confidence": 0.9}}}
    return {"event": "user", "text": text, "parse_data": parse_data}


def tracker(*events: dict[str, Any]) -> Tracker:
    return Tracker("t", {}, events[-1]["parse_data"], list(events), False, None, {},
                   "action_listen")


def test_personal_advice_topic_of_the_answered_question() -> None:
    t = tracker(user("Meine Mutter ist dement, was nun?", "ask_vorsorgevollmacht",
                     "ask_vorsorgevollmacht/demenz"),
                user("/request_human", "request_human"))
    assert personal_advice_topic(t) == "Vollmacht bei Demenz"
    assert request_text(t) == "Meine Mutter ist dement, was nun?"


def test_ordinary_answers_are_no_personal_topic() -> None:
    t = tracker(user("Was ist ein Pflegegrad?", "ask_pflegegrad", "ask_pflegegrad/was_ist"),
                user("Ich möchte mit einem Menschen sprechen", "request_human"))
    assert personal_advice_topic(t) is None
    assert request_text(t) == "Ich möchte mit einem Menschen sprechen"


def test_a_stale_selection_of_another_intent_is_ignored() -> None:
    t = tracker(user("Wo ist das Seniorenbüro?", "find_office", "ask_pflegegrad/widerspruch"),
                user("/request_human", "request_human"))
    assert personal_advice_topic(t) is None


def test_callback_wish_in_words() -> None:
    assert wants_callback(tracker(user("Rufen Sie mich bitte zurück", "request_human")))
    assert wants_callback(tracker(user("ich bitte um rueckruf", "request_human")))
    assert not wants_callback(tracker(user("Ich will mit einem Menschen reden", "request_human")))
