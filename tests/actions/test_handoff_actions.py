"""Which answer a handoff follows: personal-advice topics get their label and priority."""

from __future__ import annotations

import asyncio
from typing import Any

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.callback import (
    NOT_OFFERED,
    ActionAcceptCallback,
    ValidateCallbackForm,
    normalise_phone,
    time_label,
)
from actions.handoff import (
    ValidateSlotMappings,
    conversation_topic,
    declines_place,
    emergency_message,
    emergency_status,
    is_place,
    personal_advice_topic,
    request_text,
    wants_callback,
)
from handoff.service import QueueResult
from quartierslotse.settings import PROJECT_ROOT
from tests.support.trackers import make_tracker


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
    return make_tracker(list(events))


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


# --- the concern, the place, the callback form, emergency texts -------------------------

def slot_tracker(events: list[dict[str, Any]], slots: dict[str, Any]) -> Tracker:
    return make_tracker(events, slots)


def test_the_topic_is_the_concern_not_a_form_answer() -> None:
    events = [user("Was ist ein Pflegegrad?", "ask_pflegegrad"),
              user("Wo ist das Seniorenbüro?", "find_office"),
              {"event": "active_loop", "name": "office_form"},
              user("Osterfeld", "inform_location"),
              {"event": "active_loop", "name": None},
              user("Ich möchte mit einem Menschen sprechen", "request_human"),
              {"event": "active_loop", "name": "callback_form"},
              user("Dienstag ab 14 Uhr", "ask_opening_hours")]
    assert conversation_topic(tracker(*events)) == "Pflegegrad"
    only_office = [user("Wann hat das Seniorenbüro offen?", "ask_opening_hours"),
                   user("Mit einem Menschen sprechen", "request_human")]
    assert conversation_topic(tracker(*only_office)) == "Beratungsstelle und Sprechzeiten"
    assert conversation_topic(tracker(user("Mensch bitte", "request_human"))) == (
        "Allgemeine Anfrage")


def test_phone_numbers_dates_and_times_are_no_places() -> None:
    for value in ("0208 1234567", "7654321", "14", "Dienstag ab 14 Uhr", "morgen vormittag",
                  "+49 231 7654321"):
        assert not is_place(value), value
    for value in ("Osterfeld", "Oberhausen Osterfeld", "46049", "Hörde", "Hauptstraße 5, 46049"):
        assert is_place(value), value


def test_a_phone_number_never_overwrites_the_place() -> None:
    events = [{"event": "slot", "name": "place", "value": "Osterfeld"},
              user("0231 7654321", "inform_location"),
              {"event": "slot", "name": "place", "value": "7654321"}]
    validator = ValidateSlotMappings()
    result = validator.validate_place("7654321", CollectingDispatcher(),
                                      slot_tracker(events, {"place": "7654321"}), {})
    assert result == {"place": "Osterfeld"}
    # inside the callback form no answer changes the place, even a real place name
    answering = slot_tracker(events, {"place": "Hörde", "requested_slot": "callback_time"})
    assert validator.validate_place("Hörde", CollectingDispatcher(), answering, {}) == {
        "place": "Osterfeld"}
    free = slot_tracker(events, {"place": "Hörde"})
    assert validator.validate_place("Hörde", CollectingDispatcher(), free, {}) == {
        "place": "Hörde"}


def test_phone_numbers_in_any_usual_format() -> None:
    for written in ("0208 1234567", "+49 208 1234567", "0049 208 1234567", "0208/1234567",
                    "(0208) 123-45-67", "meine Nummer ist 0231 7654321"):
        assert normalise_phone(written), written
    for wrong in ("weiß ich nicht", "12345", "null zwei null acht", ""):
        assert normalise_phone(wrong) is None, wrong


def test_spelled_out_digits_are_asked_back_politely() -> None:
    dispatcher = CollectingDispatcher()
    result = ValidateCallbackForm().validate_callback_phone(
        "null zwei null acht eins zwei drei", dispatcher, tracker(user("x", "affirm")), {})
    assert result == {"callback_phone": None}
    assert "in Ziffern" in dispatcher.messages[0]["text"]


def test_preferred_time_in_normal_spelling() -> None:
    assert time_label("morgen vormittag") == "morgen Vormittag"
    assert time_label("Morgen Vormittag") == "morgen Vormittag"
    assert time_label("dienstag ab 14 uhr") == "Dienstag ab 14 Uhr"
    assert time_label("heute abend") == "heute Abend"
    assert time_label("Banane") is None


def test_no_consent_ends_the_form_before_the_phone_number() -> None:
    result = ValidateCallbackForm().validate_callback_consent(
        False, CollectingDispatcher(), tracker(user("/deny", "deny")), {})
    assert result == {"callback_consent": False, "requested_slot": None}


def test_yes_starts_the_callback_form_only_after_an_offer() -> None:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionAcceptCallback().run(
        dispatcher, slot_tracker([user("Ja", "affirm")], {}), {}))
    assert events == [] and dispatcher.messages[0]["text"] == NOT_OFFERED
    offered = asyncio.run(ActionAcceptCallback().run(
        CollectingDispatcher(), slot_tracker([user("Ja", "affirm")], {"callback_offered": True}),
        {}))
    assert any(e["event"] == "followup" and e["name"] == "callback_form" for e in offered)


def test_not_naming_the_place_is_understood() -> None:
    for text in ("Das möchte ich nicht sagen", "weiß nicht", "weiss ich nicht",
                 "lieber anonym"):
        assert declines_place(tracker(user(text, "inform_location"))), text
    assert not declines_place(tracker(user("Alstaden", "inform_location")))


def test_emergency_texts_come_from_the_domain_and_say_what_really_happens() -> None:
    domain = yaml.safe_load((PROJECT_ROOT / "bot" / "domain" / "emergency.yml").read_text())
    assert "TelefonSeelsorge" in emergency_message(domain, "suizid")
    assert emergency_message(domain, "akut").startswith("Rufen Sie sofort den Notruf 112")
    nobody = emergency_status(QueueResult(1, 1, 2, 0, True), "suizid")
    assert "niemand" in nobody and "0800 111 0 111" in nobody
    alerted = emergency_status(QueueResult(1, 1, 2, 1, True), "akut")
    assert "alarmiert" in alerted and "112" in alerted
    talking = emergency_status(QueueResult(1, 1, 2, 1, False, "open", "Anna Schneider"), "akut")
    assert talking.startswith("Anna Schneider")
    for text in (nobody, alerted, talking):
        assert "keiner Beratungsstelle" not in text and "zurückrufen" not in text
