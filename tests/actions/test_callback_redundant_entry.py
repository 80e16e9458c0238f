"""WCAG 2.2, 3.3.7 (redundant entry) in the callback form: nothing the user already wrote in
this callback request is asked again, and nothing is taken without consent.

Each turn is run the way Rasa runs validate_callback_form: the temporary tracker ends with
the requested slot, the form's ActionExecuted and the slot candidates of the domain's
mappings (bot/domain/handoff.yml: consent from affirm/deny, phone and time from the text)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import callback
from actions.callback import (
    PHONE_ASK_AGAIN,
    TIME_ASK_AGAIN,
    ActionSubmitCallback,
    ValidateCallbackForm,
)
from tests.support.trackers import make_tracker

REQUIRED = ["callback_consent", "callback_phone", "callback_time"]
DOMAIN = {"forms": {"callback_form": {"required_slots": REQUIRED}}, "slots": {}}
QUESTIONS = {
    "callback_consent": "Gern rufen wir Sie zurück. Dafür speichern wir Ihre Telefonnummer und "
                        "Ihre Wunschzeit. Sind Sie damit einverstanden?",
    "callback_phone": "Danke. Unter welcher Telefonnummer erreichen wir Sie?",
    "callback_time": "Wann passt es Ihnen am besten?",
}


def user(text: str, intent: str) -> dict[str, Any]:
    return {"event": "user", "text": text,
            "parse_data": {"text": text, "intent": {"name": intent, "confidence": 0.9}}}


def slot(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "name": name, "value": value}


def listen() -> dict[str, Any]:
    return {"event": "action", "name": "action_listen"}


def candidates(asked: str, text: str, intent: str) -> dict[str, Any]:
    """What Rasa's slot mappings extract before the validation action runs."""
    if asked == "callback_consent":
        return {"affirm": {asked: True}, "deny": {asked: False}}.get(intent, {})
    return {asked: text}


@dataclass
class Conversation:
    """A callback conversation from the request on; `say` runs one form turn."""

    events: list[dict[str, Any]]
    slots: dict[str, Any] = field(default_factory=dict)
    asked: str | None = "callback_consent"
    messages: list[str] = field(default_factory=list)

    @classmethod
    def after(cls, request: str, intent: str = "request_human") -> Conversation:
        events = [user(request, intent), {"event": "active_loop", "name": "callback_form"},
                  slot("requested_slot", "callback_consent"),
                  {"event": "bot", "text": QUESTIONS["callback_consent"]}]
        return cls(events)

    def say(self, text: str, intent: str = "inform_location") -> str:
        """The user's message; returns what comes next: a slot's question, "bestätigung"
        (the form is complete), "ende" (the form stops) or "abgelehnt" (the form rejects
        the message, another policy answers)."""
        assert self.asked is not None
        found = candidates(self.asked, text, intent)
        turn = [listen(), user(text, intent), slot("requested_slot", self.asked),
                {"event": "action", "name": "callback_form"},
                *(slot(name, value) for name, value in found.items())]
        dispatcher = CollectingDispatcher()
        result = asyncio.run(ValidateCallbackForm().run(
            dispatcher, make_tracker(self.events + turn, {**self.slots, **found,
                                                          "requested_slot": self.asked}),
            DOMAIN))
        self.messages = [str(message.get("text")) for message in dispatcher.messages]
        if not found and not result:
            return "abgelehnt"
        set_now = {**found, **{event["name"]: event["value"] for event in result}}
        self.slots.update(set_now)
        self.events += turn + [slot(name, value) for name, value in set_now.items()]
        if "requested_slot" in set_now and set_now["requested_slot"] is None:
            return "ende"
        self.asked = next((name for name in REQUIRED if self.slots.get(name) is None), None)
        if self.asked is None:
            return "bestätigung"
        self.events += [slot("requested_slot", self.asked),
                        {"event": "bot", "text": QUESTIONS[self.asked]}]
        return self.asked

    def confirmation(self, monkeypatch: pytest.MonkeyPatch) -> tuple[str, list[dict[str, Any]]]:
        """What action_submit_callback says, and the callbacks it stored."""
        stored: list[dict[str, Any]] = []
        monkeypatch.setattr(callback, "conversation_facts", lambda tracker: {
            "municipality": "Dortmund", "place": "", "topic": "Pflegegrad",
            "relation": "self", "channel": "rest"})
        monkeypatch.setattr(callback.service, "add_callback",
                            lambda url, **values: stored.append(values))
        monkeypatch.setattr(callback.service, "owner", lambda municipality: municipality)
        dispatcher = CollectingDispatcher()
        asyncio.run(ActionSubmitCallback().run(
            dispatcher, make_tracker(self.events, self.slots), DOMAIN))
        return str(dispatcher.messages[0]["text"]), stored


def offered_callback() -> Conversation:
    """Nobody on duty, the bot offered a callback and the user said "Ja"."""
    return Conversation.after("/affirm", "affirm")


def test_the_number_in_the_consent_answer_is_not_asked_again() -> None:
    chat = offered_callback()
    assert chat.say("Ja, gern, unter 0231 123456", "affirm") == "callback_time"
    assert chat.slots["callback_phone"] == "0231 123456"
    assert chat.messages == ["Das habe ich notiert: Telefonnummer 0231 123456."]


def test_consent_number_and_time_in_one_message_go_straight_to_the_confirmation(
        monkeypatch: pytest.MonkeyPatch) -> None:
    chat = offered_callback()
    # the trained NLU reads this message as nlu_fallback, not affirm: the clear "Ja" counts
    assert chat.say("Ja, gern, unter 0231 123456, am besten morgen Vormittag",
                    "nlu_fallback") == "bestätigung"
    assert chat.messages == []
    text, stored = chat.confirmation(monkeypatch)
    assert text.startswith("Danke! Wir rufen Sie morgen Vormittag unter 0231 123456 zurück.")
    assert [(row["phone"], row["preferred_time"]) for row in stored] == [
        ("0231 123456", "morgen Vormittag")]


def test_a_number_from_the_request_is_taken_only_once_consented() -> None:
    chat = Conversation.after("Bitte rufen Sie mich zurück unter 0231 123456")
    assert chat.say("/affirm", "affirm") == "callback_time"
    assert chat.slots["callback_phone"] == "0231 123456"
    # no consent: nothing is taken, the form ends
    declined = Conversation.after("Bitte rufen Sie mich zurück unter 0231 123456")
    assert declined.say("Nein, lieber nicht, 0231 123456", "deny") == "ende"
    assert declined.slots.get("callback_phone") is None
    # a number without a yes is no consent: the form takes nothing
    unclear = Conversation.after("/affirm", "affirm")
    assert unclear.say("0231 123456, morgen Vormittag") == "abgelehnt"
    assert unclear.slots == {}
    hedged = Conversation.after("/affirm", "affirm")
    assert hedged.say("Ja, aber die Nummer nicht speichern: 0231 123456") == "abgelehnt"


def test_a_time_given_with_the_number_is_not_asked_again() -> None:
    chat = offered_callback()
    assert chat.say("/affirm", "affirm") == "callback_phone"
    assert chat.say("0171 2345678, am besten morgen Vormittag") == "bestätigung"
    assert chat.slots["callback_phone"] == "0171 2345678"
    assert chat.slots["callback_time"] == "morgen Vormittag"


def test_a_time_written_instead_of_the_number_is_kept() -> None:
    chat = offered_callback()
    assert chat.say("/affirm", "affirm") == "callback_phone"
    assert chat.say("morgen Vormittag") == "callback_phone"
    # the repeat question says what to write, and that the time is not lost
    assert chat.messages == [PHONE_ASK_AGAIN + " Das habe ich notiert: Wunschzeit morgen "
                                               "Vormittag."]
    assert chat.say("0231 123456") == "bestätigung"


def test_after_a_rejected_time_the_number_is_not_asked_again() -> None:
    """A check of what already worked: a time that is no time asks for the time only."""
    chat = offered_callback()
    assert chat.say("/affirm", "affirm") == "callback_phone"
    assert chat.say("weiß ich nicht") == "callback_phone"
    assert chat.messages == [PHONE_ASK_AGAIN]  # says what to write: the number in digits
    assert chat.say("0231 123456") == "callback_time"
    assert chat.say("Banane") == "callback_time"
    assert chat.messages == [TIME_ASK_AGAIN]
    assert chat.slots["callback_phone"] == "0231 123456"


def test_a_new_number_while_the_time_is_asked_corrects_the_number(
        monkeypatch: pytest.MonkeyPatch) -> None:
    chat = offered_callback()
    chat.say("/affirm", "affirm")
    assert chat.say("0231 123456") == "callback_time"
    assert chat.say("nein, die Nummer ist 0231 654321", "deny") == "callback_time"
    assert chat.messages == ["Das habe ich notiert: Telefonnummer 0231 654321."]
    assert chat.say("morgen Vormittag") == "bestätigung"
    text, _ = chat.confirmation(monkeypatch)
    assert "unter 0231 654321 zurück" in text
    # a number with +49 is a number, not a time ("49" looked like a clock time)
    again = offered_callback()
    again.say("/affirm", "affirm")
    again.say("0231 123456")
    assert again.say("+49 231 654321") == "callback_time"
    assert again.slots["callback_phone"] == "+49 231 654321"
    # number and time together: both taken, straight to the confirmation
    both = offered_callback()
    both.say("/affirm", "affirm")
    both.say("0231 123456")
    assert both.say("Die Nummer ist 0231 654321, Dienstag ab 14 Uhr") == "bestätigung"
    assert (both.slots["callback_phone"], both.slots["callback_time"]) == (
        "0231 654321", "Dienstag ab 14 Uhr")
