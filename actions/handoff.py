"""Handing a conversation over to a person (advisor console, advisor/).

- action_request_human: the user asked for a person (or accepted the offer). With an advisor
  of the municipality on duty, the conversation is queued and paused for the bot; otherwise
  the office's phone/hours are given and a callback is offered.
- action_emergency_handoff: runs after the emergency message (112); queues with the highest
  priority.
- Topics that need a person (Widerspruch, Vollmacht bei Demenz) are answered by the
  ResponseSelector with a "Mit einem Menschen sprechen" button: the bot offers, the user
  decides; action_request_human then queues them with a higher priority.
- action_handoff_after_fallback: the bot failed to understand twice in a row.
- validate_callback_form / action_submit_callback: callback with explicit consent.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ConversationPaused, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import office_messages
from actions.formatting import day_label, time_range
from actions.offices import ActionAskPlace, ValidatePlaceMixin
from bot.content.texts import fallback_hotline
from bot.content.texts import text as fact_text
from handoff import service
from handoff.contact import municipality_for_place, office_contact
from handoff.models import PRIORITY_EMERGENCY, PRIORITY_PERSONAL_TOPIC, PRIORITY_REQUEST
from quartierslotse.settings import get_settings

TOPIC_LABELS = {
    "ask_pflegegrad": "Pflegegrad",
    "ask_vorsorgevollmacht": "Vorsorgevollmacht",
    "ask_begegnung": "Begegnung",
    "ask_wohnen": "Wohnen",
    "emergency": "Notfall",
}
# answers (retrieval intents) that need personal advice, with the topic the advisor sees
PERSONAL_ADVICE_TOPICS = {
    "ask_pflegegrad/widerspruch": "Widerspruch Pflegegrad",
    "ask_vorsorgevollmacht/demenz": "Vollmacht bei Demenz",
}
CALLBACK_WISH = re.compile(
    r"r(ü|ue|u)ck\s*-?\s*ruf|zur(ü|ue|u)ck\s*(zu)?\s*(ge)?ruf|\banruf|\bruf\w*\b.{0,40}\bzur(ü|ue|u)ck\b",
    re.IGNORECASE)
HANDOFF_PLACE_FORM = "handoff_place_form"
HANDOFF_INTENTS = {"request_human", "affirm", "deny", "nlu_fallback",
                   "greet", "thank", "goodbye", "bot_challenge", "out_of_scope"}
RELATIVE_WORDS = re.compile(
    r"\b(meine[rmns]?|unsere[rmns]?)\s+(mutter|mama|vater|papa|eltern|frau|mann|oma|opa|"
    r"gro(ß|ss)mutter|gro(ß|ss)vater|schwiegermutter|schwiegervater|tante|onkel|"
    r"schwester|bruder|nachbarin|nachbarn?|angeh(ö|oe)rigen?)\b|\bangeh(ö|oe)rige",
    re.IGNORECASE,
)
PHONE_CHARS = re.compile(r"[\s/()\-.]")


def _user_events(tracker: Tracker) -> list[dict[str, Any]]:
    return [event for event in tracker.events if event.get("event") == "user"]


def answer_key(event: dict[str, Any]) -> str:
    """The full retrieval intent ("ask_pflegegrad/widerspruch") the bot answered a message with."""
    parse_data = event.get("parse_data") or {}
    intent = (parse_data.get("intent") or {}).get("name") or ""
    selectors = parse_data.get("response_selector") or {}
    # one ResponseSelector for all retrieval intents is stored under "default"
    selected = selectors.get(intent) or selectors.get("default") or {}
    key = str((selected.get("response") or {}).get("intent_response_key") or "")
    return key if key.split("/")[0] == intent else ""


def personal_advice_topic(tracker: Tracker) -> str | None:
    """The personal-advice topic of the last topic question, if it was one."""
    for event in reversed(_user_events(tracker)):
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name") or ""
        if intent in HANDOFF_INTENTS:
            continue
        return PERSONAL_ADVICE_TOPICS.get(answer_key(event))
    return None


def wants_callback(tracker: Tracker) -> bool:
    return bool(CALLBACK_WISH.search(_last_user_text(tracker)))


def conversation_facts(tracker: Tracker) -> dict[str, str]:
    """Municipality, place, topic, relative/self and channel, as far as the bot knows them."""
    settings = get_settings()
    users = _user_events(tracker)
    municipality = tracker.get_slot("municipality") or ""
    if not municipality:
        for event in reversed(users):
            meta = event.get("metadata") or {}
            if isinstance(meta, dict) and meta.get("municipality"):
                municipality = str(meta["municipality"])
                break
    place = tracker.get_slot("place") or ""
    if not place:
        for event in reversed(users):
            for entity in (event.get("parse_data") or {}).get("entities", []):
                if entity.get("entity") in ("place", "postal_code"):
                    place = str(entity.get("value"))
                    break
            if place:
                break
    if not municipality and place:
        municipality = municipality_for_place(settings.database_url, str(place))
    municipality = municipality or settings.default_municipality
    topic = personal_advice_topic(tracker) or ""
    if not topic:
        for event in reversed(users):
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name") or ""
            if intent and intent not in HANDOFF_INTENTS:
                topic = TOPIC_LABELS.get(intent, intent.removeprefix("ask_").replace("_", " "))
                break
    # "relative" when the user wrote about a relative (the NLU's relation entity, or words
    # like "meine Mutter"), otherwise "self"
    relation = ""
    if tracker.get_slot("relation") or any(
            entity.get("entity") == "relation"
            for event in users for entity in (event.get("parse_data") or {}).get("entities", [])):
        relation = "relative"
    if not relation and users:
        texts = " ".join(str(event.get("text") or "") for event in users)
        relation = "relative" if RELATIVE_WORDS.search(texts) else "self"
    channel = tracker.get_latest_input_channel() or ""
    return {"municipality": str(municipality), "place": str(place), "topic": str(topic),
            "relation": str(relation), "channel": channel}


def _last_user_text(tracker: Tracker) -> str:
    users = _user_events(tracker)
    return str(users[-1].get("text") or "") if users else ""


def request_text(tracker: Tracker) -> str:
    """The preview for the queue: the message that asked for a person, not a place given
    afterwards nor a button payload; else the user's last typed message."""
    typed = [event for event in _user_events(tracker)
             if not str(event.get("text") or "").startswith("/")]
    for event in reversed(typed):
        if ((event.get("parse_data") or {}).get("intent") or {}).get("name") == "request_human":
            return str(event.get("text") or "")
    return str(typed[-1].get("text") or "") if typed else ""


def contact_line(facts: dict[str, str]) -> str:
    """Office phone and next consultation hours, else the city hotline, else 115."""
    settings = get_settings()
    contact = office_contact(settings.database_url, facts["municipality"], facts["place"])
    if contact.phone:
        line = f"Sie erreichen {contact.name or 'die Beratungsstelle'} unter {contact.phone}."
        if contact.next_opening is not None:
            start = contact.next_opening.start
            today = datetime.now(timezone.utc).astimezone(start.tzinfo).date()
            line += (f" Nächste Sprechzeit: {day_label(start.date(), today)}, "
                     f"{time_range(start, contact.next_opening.end)}.")
        return line
    if contact.hotline_phone:
        hours = f" ({contact.hotline_hours})" if contact.hotline_hours else ""
        return (f"Sie erreichen die Stadt {contact.hotline_name} unter "
                f"{contact.hotline_phone}{hours}.")
    return fact_text("national_contact_line")


NOBODY_ON_DUTY = "Im Moment ist leider niemand aus der Beratung im Chat erreichbar."


def no_duty_message(facts: dict[str, str]) -> str:
    return "\n".join([
        NOBODY_ON_DUTY,
        contact_line(facts),
        "Wir können Sie auch zurückrufen. Möchten Sie das?",
    ])


def queue_conversation(
    dispatcher: CollectingDispatcher, tracker: Tracker, facts: dict[str, str], *, reason: str,
    priority: int, emergency: bool = False,
) -> list[EventType]:
    settings = get_settings()
    if emergency:
        facts["topic"] = "Notfall"
    if not facts["municipality"]:
        # no office can be told (and no callback could reach anyone): the national numbers
        dispatcher.utter_message(text="\n".join([
            "Ich kann Ihr Anliegen leider keiner Beratungsstelle zuordnen.",
            f"Persönliche Beratung bekommen Sie beim {fallback_hotline(settings)}."]))
        return []
    advisors = service.advisors_on_duty(settings.database_url, facts["municipality"])
    if advisors == 0:
        if not emergency and wants_callback(tracker):
            # the user already asked for a callback: go straight to the callback form
            dispatcher.utter_message(text="\n".join([NOBODY_ON_DUTY, contact_line(facts)]))
            return [FollowupAction("callback_form")]
        dispatcher.utter_message(
            text=no_duty_message(facts),
            buttons=[{"title": "Ja, bitte zurückrufen", "payload": "/affirm"},
                     {"title": "Nein, danke", "payload": "/deny"}],
        )
        return []
    result = service.open_ticket(
        settings.database_url, sender_id=tracker.sender_id, reason=reason, priority=priority,
        preview=request_text(tracker) if reason != "emergency" else _last_user_text(tracker),
        minutes_per_ticket=settings.handoff_minutes_per_ticket,
        **facts,
    )
    if emergency:
        text = ("Ich habe Ihre Nachricht sofort an die Beratung weitergegeben. "
                "Eine Beraterin oder ein Berater meldet sich so schnell wie möglich hier im Chat.\n"
                "Wenn Gefahr besteht, rufen Sie bitte sofort die 112 an.")
    else:
        text = (f"Ich gebe Ihr Anliegen an eine Beraterin oder einen Berater weiter. "
                f"Ein Mensch antwortet Ihnen gleich hier im Chat – das dauert etwa "
                f"{result.wait_minutes} Minuten.\n"
                "Sie müssen nichts wiederholen: Die Beratung sieht unser bisheriges Gespräch.")
    dispatcher.utter_message(text=text, role="system", handoff="queued")
    return [ConversationPaused()]


class ActionRequestHuman(Action):
    def name(self) -> str:
        return "action_request_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        facts = conversation_facts(tracker)
        if not facts["municipality"] and tracker.latest_action_name != HANDOFF_PLACE_FORM:
            # e.g. Telegram: ask where the person lives, then hand over to that city
            return [FollowupAction(HANDOFF_PLACE_FORM)]
        if personal_advice_topic(tracker) is not None:
            reason, priority = "topic", PRIORITY_PERSONAL_TOPIC
        else:
            reason, priority = "request", PRIORITY_REQUEST
        return queue_conversation(dispatcher, tracker, facts, reason=reason, priority=priority)


class ActionEmergencyHandoff(Action):
    def name(self) -> str:
        return "action_emergency_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        return queue_conversation(dispatcher, tracker, conversation_facts(tracker),
                                  reason="emergency", priority=PRIORITY_EMERGENCY,
                                  emergency=True)


class ActionHandoffAfterFallback(Action):
    """Second misunderstanding in a row: stop guessing and offer a person."""

    def name(self) -> str:
        return "action_handoff_after_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(
            text="Ich habe Sie leider wieder nicht verstanden. Das tut mir leid.\n"
                 "Möchten Sie mit einem Menschen aus der Beratung sprechen?",
            buttons=[{"title": "Ja, mit einem Menschen sprechen", "payload": "/request_human"},
                     {"title": "Nein, ich versuche es noch einmal", "payload": "/deny"}],
        )
        return []


class ValidateHandoffPlaceForm(ValidatePlaceMixin, FormValidationAction):
    def name(self) -> str:
        return "validate_handoff_place_form"


class ActionAskHandoffPlace(ActionAskPlace):
    question = office_messages.ASK_HANDOFF_PLACE

    def name(self) -> str:
        return "action_ask_handoff_place_form_place"


def normalise_phone(value: str) -> str | None:
    compact = PHONE_CHARS.sub("", value or "")
    digits = compact[1:] if compact.startswith("+") else compact
    if not digits.isdigit() or not 6 <= len(digits) <= 15:
        return None
    return " ".join((value or "").split())[:40]


class ValidateCallbackForm(FormValidationAction):
    def name(self) -> str:
        return "validate_callback_form"

    def validate_callback_phone(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        phone = normalise_phone(str(value or ""))
        if phone is None:
            dispatcher.utter_message(
                text="Diese Telefonnummer habe ich nicht erkannt. Bitte schreiben Sie nur die "
                     "Nummer, zum Beispiel 0231 123456.")
            return {"callback_phone": None}
        return {"callback_phone": phone}

    def validate_callback_time(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = str(value or "").strip()
        if len(text) < 2:
            return {"callback_time": None}
        return {"callback_time": text[:200]}


class ActionSubmitCallback(Action):
    def name(self) -> str:
        return "action_submit_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        settings = get_settings()
        facts = conversation_facts(tracker)
        reset = [SlotSet("callback_phone", None), SlotSet("callback_time", None),
                 SlotSet("callback_consent", None)]
        if tracker.get_slot("callback_consent") is not True:
            dispatcher.utter_message(
                text="In Ordnung, ich speichere nichts. " + contact_line(facts))
            return reset
        service.add_callback(
            settings.database_url, sender_id=tracker.sender_id, channel=facts["channel"],
            municipality=facts["municipality"], phone=tracker.get_slot("callback_phone"),
            preferred_time=tracker.get_slot("callback_time"), topic=facts["topic"],
        )
        dispatcher.utter_message(
            text=f"Danke! Wir rufen Sie {tracker.get_slot('callback_time')} unter "
                 f"{tracker.get_slot('callback_phone')} zurück. Nach dem Rückruf löschen wir "
                 "Ihre Nummer wieder.")
        return reset
