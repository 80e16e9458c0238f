"""Handing a conversation over to a person (advisor console, advisor/).

- action_request_human: the user asked for a person (or accepted the offer). With an advisor
  on duty, the conversation is queued and paused for the bot; otherwise the office's
  phone/hours are given and a callback is offered (actions/callback.py). The municipality comes
  from the channel, the place named or the office shown; unknown, the request goes to the
  installation-wide queue ("Ohne Kommune"), never nowhere.
- action_emergency_handoff: runs after the emergency message (112); always stores an urgent
  ticket and says what really happens (an advisor is alerted, or nobody is on duty now).
- action_validate_slot_mappings: runs on every user message, also while the conversation is
  paused (Rasa predicts nothing then): an emergency gets the 112 / TelefonSeelsorge message at
  once and raises the ticket to urgent; a waiting user gets a short note at most every few
  minutes; phone numbers, dates and times never overwrite the place.
- Topics that need a person (Widerspruch, Vollmacht bei Demenz) are answered by the
  ResponseSelector with a "Mit einem Menschen sprechen" button: the bot offers, the user
  decides; action_request_human then queues them with a higher priority.
- action_handoff_after_fallback: the bot failed to understand twice in a row.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker, ValidationAction
from rasa_sdk.events import ActiveLoop, ConversationPaused, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.answers import load_facts
from actions.formatting import day_label, time_range
from actions.offices import ActionAskPlace, ValidatePlaceMixin
from bot.content.texts import fallback_hotline
from bot.content.texts import text as fact_text
from handoff import service
from handoff.models import PRIORITY_EMERGENCY, PRIORITY_PERSONAL_TOPIC, PRIORITY_REQUEST
from knowledge.contacts import municipality_for_place, municipality_name, office_contact
from knowledge.notices import handoff_notices
from quartierslotse.settings import get_settings
from safety.emergency import assess

# The concern of a conversation as the advisor sees it (German labels, never intent names).
TOPIC_LABELS = {
    "ask_pflegegrad": "Pflegegrad",
    "ask_vorsorgevollmacht": "Vorsorgevollmacht",
    "ask_begegnung": "Begegnung",
    "ask_wohnen": "Wohnen",
    "ask_alltag": "Hilfe im Alltag",
    "ask_gesundheit": "Gesundheit",
    "ask_soziales": "Soziales und Geld",
    "emergency": "Notfall",
}
# looking for an office or its hours is a concern only when there is no topic question
OFFICE_TOPIC = "Beratungsstelle und Sprechzeiten"
OFFICE_INTENTS = {"find_office", "ask_opening_hours", "inform_location"}
GENERAL_TOPIC = "Allgemeine Anfrage"
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
# not naming the place when asked for it: the handoff goes on without it
DECLINES_PLACE = re.compile(
    r"\b(nicht|nichts|ungern)\b.{0,20}\b(sagen|nennen|angeben|verraten|schreiben)\b|"
    r"\bwei(ß|ss|s)\s*(ich\s*)?(es\s*)?nicht\b|\bkeine ahnung\b|\bkeine angabe\b|"
    r"\banonym\b|\bgeht (sie|dich) nichts an\b|\blieber nicht\b|^\s*(egal|nein|nö|ne)\W*$",
    re.IGNORECASE)
# what a place is not: phone numbers, times, dates, plain numbers other than a postal code
NOT_A_PLACE = re.compile(
    r"^\W*(\+|00)?[\d\s/().\-]+\W*$|\b\d{1,2}([:.]\d{2})?\s*uhr\b|"
    r"^\W*(heute|morgen|übermorgen|montag|dienstag|mittwoch|donnerstag|freitag|samstag|"
    r"sonntag|vormittags?|nachmittags?|abends?)\b",
    re.IGNORECASE)
POSTAL_CODE = re.compile(r"^\s*\d{5}\s*$")
FORM_SLOTS_WITHOUT_PLACE = {"callback_consent", "callback_phone", "callback_time"}


def _user_events(tracker: Tracker) -> list[dict[str, Any]]:
    return [event for event in tracker.events if event.get("event") == "user"]


def _intent(event: dict[str, Any]) -> str:
    return str(((event.get("parse_data") or {}).get("intent") or {}).get("name") or "")


def answer_key(event: dict[str, Any]) -> str:
    """The full retrieval intent ("ask_pflegegrad/widerspruch") the bot answered a message with."""
    parse_data = event.get("parse_data") or {}
    intent = _intent(event)
    selectors = parse_data.get("response_selector") or {}
    # one ResponseSelector for all retrieval intents is stored under "default"
    selected = selectors.get(intent) or selectors.get("default") or {}
    key = str((selected.get("response") or {}).get("intent_response_key") or "")
    return key if key.split("/")[0] == intent else ""


def concern_events(tracker: Tracker) -> list[dict[str, Any]]:
    """User messages that are not answers to a form question (a place, a phone number)."""
    found, loop = [], None
    for event in tracker.events:
        if event.get("event") == "active_loop":
            loop = event.get("name")
        elif event.get("event") == "user" and not loop:
            found.append(event)
    return found


def personal_advice_topic(tracker: Tracker) -> str | None:
    """The personal-advice topic of the last topic question, if it was one."""
    for event in reversed(concern_events(tracker)):
        if _intent(event) in HANDOFF_INTENTS or _intent(event) in OFFICE_INTENTS:
            continue
        return PERSONAL_ADVICE_TOPICS.get(answer_key(event))
    return None


def conversation_topic(tracker: Tracker) -> str:
    """The concern: a personal-advice topic, else the last topic question, else the office
    search, else a general request - never the answer to a form question."""
    topic = personal_advice_topic(tracker)
    if topic:
        return topic
    intents = [_intent(event) for event in concern_events(tracker)]
    for intent in reversed(intents):
        if intent in TOPIC_LABELS:
            return TOPIC_LABELS[intent]
    if any(intent in OFFICE_INTENTS for intent in intents):
        return OFFICE_TOPIC
    return GENERAL_TOPIC


def wants_callback(tracker: Tracker) -> bool:
    return bool(CALLBACK_WISH.search(_last_user_text(tracker)))


def is_place(value: Any) -> bool:
    """Whether a slot value can name a place: a postal code or words, not a phone number,
    a time or a date."""
    text = " ".join(str(value or "").split())
    if not text:
        return False
    if POSTAL_CODE.match(text):
        return True
    return not NOT_A_PLACE.search(text)


def _plausible_place(tracker: Tracker) -> str:
    place = tracker.get_slot("place")
    if isinstance(place, list):
        place = " ".join(str(item) for item in place if item)
    if place and is_place(place):
        return str(place)
    for event in reversed(concern_events(tracker)):
        for entity in (event.get("parse_data") or {}).get("entities", []):
            if entity.get("entity") in ("place", "postal_code") and is_place(entity.get("value")):
                return str(entity.get("value"))
    return ""


def _channel_municipality(tracker: Tracker) -> str:
    for event in reversed(_user_events(tracker)):
        meta = event.get("metadata") or {}
        if isinstance(meta, dict) and isinstance(meta.get("municipality"), str) and (
                meta["municipality"].strip()):
            return meta["municipality"].strip()[:128]
    return ""


def conversation_facts(tracker: Tracker) -> dict[str, str]:
    """Municipality, place, topic, relative/self and channel, as far as the bot knows them.
    The municipality: the channel's, else the place's, else the last office shown, else the
    configured default; '' when unknown (the installation-wide queue)."""
    settings = get_settings()
    users = _user_events(tracker)
    place = _plausible_place(tracker)
    municipality = _channel_municipality(tracker)
    if not municipality and place:
        municipality = municipality_for_place(settings.database_url, place)
    if not municipality and tracker.get_slot("last_office"):
        municipality = municipality_name(settings.database_url,
                                         str(tracker.get_slot("last_office")).split("/")[0])
    municipality = municipality or settings.default_municipality
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
    return {"municipality": str(municipality), "place": place,
            "topic": conversation_topic(tracker), "relation": relation, "channel": channel}


def _last_user_text(tracker: Tracker) -> str:
    users = _user_events(tracker)
    return str(users[-1].get("text") or "") if users else ""


def request_text(tracker: Tracker) -> str:
    """The preview for the queue: the message that asked for a person, not a place given
    afterwards nor a button payload; else the user's last typed message."""
    typed = [event for event in _user_events(tracker)
             if not str(event.get("text") or "").startswith("/")]
    for event in reversed(typed):
        if _intent(event) == "request_human":
            return str(event.get("text") or "")
    return str(typed[-1].get("text") or "") if typed else ""


def how_to_reach(facts: dict[str, str]) -> str:
    """Office phone and next consultation hours, else the city hotline, else the national
    hotline."""
    settings = get_settings()
    if not facts["municipality"]:
        return f"Persönliche Beratung bekommen Sie auch beim {fallback_hotline(settings)}."
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
CALLBACK_BUTTONS = [{"title": "Ja, bitte zurückrufen", "payload": "/affirm"},
                    {"title": "Nein, danke", "payload": "/deny"}]


def no_duty_message(facts: dict[str, str]) -> str:
    notices = handoff_notices(get_settings().database_url, facts["municipality"], facts["place"],
                              datetime.now(timezone.utc))
    return "\n".join([
        NOBODY_ON_DUTY,
        how_to_reach(facts),
        *(f"Aktueller Hinweis: {notice}" for notice in notices),
        "Wir können Sie auch zurückrufen. Möchten Sie das?",
    ])


# --- emergencies ----------------------------------------------------------------------------

def phone(name: str) -> str:
    return str(load_facts()["phones"][name]["number"])


def emergency_message(domain: DomainDict, kind: str) -> str:
    """utter_emergency of the domain (bot/domain/emergency.yml) for this kind of help."""
    variations = (domain.get("responses") or {}).get("utter_emergency") or []
    default = ""
    for variation in variations:
        conditions = variation.get("condition") or []
        if not conditions:
            default = default or str(variation.get("text") or "")
        elif any(c.get("name") == "emergency_type" and c.get("value") == kind
                 for c in conditions):
            return str(variation.get("text") or "")
    return default


def emergency_status(result: service.QueueResult | None, kind: str) -> str:
    """What really happens after an emergency message."""
    if result is not None and result.claimed_by:
        return (f"{result.claimed_by} aus der Beratung ist alarmiert und liest Ihre Nachricht "
                "sofort. Wenn Gefahr besteht, warten Sie nicht: Rufen Sie die "
                f"{phone('notruf')}.")
    if result is not None and result.advisors:
        return ("Ich habe die Beratung alarmiert: Eine Beraterin oder ein Berater meldet sich "
                "so schnell wie möglich hier im Chat. Wenn Gefahr besteht, warten Sie nicht: "
                f"Rufen Sie die {phone('notruf')}.")
    help_line = (f"die TelefonSeelsorge {phone('telefonseelsorge')}" if kind == "suizid"
                 else f"die {phone('notruf')}")
    return (f"{NOBODY_ON_DUTY} Bitte warten Sie nicht auf eine Antwort hier: Rufen Sie jetzt "
            f"{help_line} an. Ihre Nachricht ist für die Beratung als Notfall markiert.")


def emergency_assessment(tracker: Tracker) -> tuple[str, str, str]:
    """(tier, kind, category) of the last message; a message the NLU took for an emergency
    counts as acute even if the detector is milder (when in doubt: acute)."""
    found = assess(_last_user_text(tracker))
    tier = found.tier if found.tier != "keins" else "akut"
    kind = str(tracker.get_slot("emergency_type") or found.kind or "akut")
    return tier, kind, str(found.category or "")


def queue_conversation(
    dispatcher: CollectingDispatcher, tracker: Tracker, facts: dict[str, str], *, reason: str,
    priority: int,
) -> list[EventType]:
    """Queue for a person; nobody on duty: offer a callback. Unknown municipality: the
    installation-wide queue (its admins), never nowhere."""
    settings = get_settings()
    advisors = service.advisors_on_duty(settings.database_url,
                                        service.owner(facts["municipality"]))
    if advisors == 0:
        if wants_callback(tracker):
            # the user already asked for a callback: go straight to the callback form
            dispatcher.utter_message(text="\n".join([NOBODY_ON_DUTY, how_to_reach(facts)]))
            return [FollowupAction("callback_form")]
        dispatcher.utter_message(text=no_duty_message(facts), buttons=CALLBACK_BUTTONS)
        return [SlotSet("callback_offered", True)]
    result = service.open_ticket(
        settings.database_url, sender_id=tracker.sender_id, reason=reason, priority=priority,
        preview=request_text(tracker), minutes_per_ticket=settings.handoff_minutes_per_ticket,
        **facts,
    )
    dispatcher.utter_message(
        text=f"Ich gebe Ihr Anliegen an eine Beraterin oder einen Berater weiter. "
             f"Ein Mensch antwortet Ihnen gleich hier im Chat – das dauert etwa "
             f"{result.wait_minutes} Minuten.\n"
             "Sie müssen nichts wiederholen: Die Beratung sieht unser bisheriges Gespräch.",
        role="system", handoff="queued")
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
    """After utter_emergency: an urgent ticket in every case (unknown municipality: the
    installation-wide queue); pauses the bot only when someone is on duty to answer."""

    def name(self) -> str:
        return "action_emergency_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        settings = get_settings()
        facts = {**conversation_facts(tracker), "topic": "Notfall"}
        tier, kind, category = emergency_assessment(tracker)
        result = service.open_ticket(
            settings.database_url, sender_id=tracker.sender_id, reason="emergency",
            priority=PRIORITY_EMERGENCY, preview=_last_user_text(tracker),
            minutes_per_ticket=settings.handoff_minutes_per_ticket, emergency_tier=tier,
            emergency_kind=kind, emergency_category=category, **facts)
        # an emergency ends any form: nothing is asked after it
        events: list[EventType] = [ActiveLoop(None), SlotSet("requested_slot", None),
                                   SlotSet("callback_offered", None)]
        dispatcher.utter_message(text=emergency_status(result, kind), role="system",
                                 handoff="emergency")
        if tracker.get_slot("disclosure_pending"):  # the conversation began with this message
            dispatcher.utter_message(response="utter_disclosure_after_emergency")
            events.append(SlotSet("disclosure_pending", False))
        if result.advisors or result.claimed_by:
            events.append(ConversationPaused())
        return events


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


def declines_place(tracker: Tracker) -> bool:
    """The user does not want to (or cannot) name the place."""
    latest = tracker.latest_message or {}
    intent = ((latest.get("intent") or {}).get("name") or "")
    return intent == "deny" or bool(DECLINES_PLACE.search(_last_user_text(tracker)))


class ValidateHandoffPlaceForm(ValidatePlaceMixin, FormValidationAction):
    """The place before a handoff; a user who will not name it is handed over anyway (to the
    installation-wide queue) instead of being asked again and again."""

    def name(self) -> str:
        return "validate_handoff_place_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("requested_slot") == "place" and declines_place(tracker):
            return [SlotSet("place", None), SlotSet("place_candidates", None),
                    SlotSet("place_attempts", 0), SlotSet("requested_slot", None)]
        return await super().run(dispatcher, tracker, domain)


class ActionAskHandoffPlace(ActionAskPlace):
    for_handoff = True

    def name(self) -> str:
        return "action_ask_handoff_place_form_place"


# --- every message, every state ---------------------------------------------------------------

def previous_value(tracker: Tracker, slot: str) -> Any:
    """The slot's value before the latest user message."""
    events = tracker.events
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    for event in reversed(events[:max(last_user, 0)]):
        if event.get("event") == "slot" and event.get("name") == slot:
            return event.get("value")
    return None


def waiting_note(result: service.QueueResult) -> str:
    return ("Eine Beraterin oder ein Berater ist informiert – bitte haben Sie noch etwas "
            f"Geduld (etwa {result.wait_minutes} Minuten). Im Notfall: {phone('notruf')}.")


def paused_turn(dispatcher: CollectingDispatcher, tracker: Tracker,
                domain: DomainDict) -> list[EventType]:
    """A message while the bot is paused (queued or with an advisor): an emergency is answered
    at once and raises the ticket; a waiting user hears that a person is informed."""
    settings = get_settings()
    text = _last_user_text(tracker)
    if not text or text.startswith("/"):
        return []
    found = assess(text)
    if found.tier == "akut":
        kind = found.kind or "akut"
        facts = {**conversation_facts(tracker), "topic": "Notfall"}
        result = service.open_ticket(
            settings.database_url, sender_id=tracker.sender_id, reason="emergency",
            priority=PRIORITY_EMERGENCY, preview=text,
            minutes_per_ticket=settings.handoff_minutes_per_ticket, emergency_tier="akut",
            emergency_kind=kind, emergency_category=str(found.category or ""), **facts)
        dispatcher.utter_message(
            text=emergency_message(domain, kind) + "\n" + emergency_status(result, kind),
            role="system", handoff="emergency")
        return [SlotSet("emergency_type", kind)]
    state = service.queue_state(settings.database_url, tracker.sender_id,
                                settings.handoff_minutes_per_ticket)
    if found.tier == "moeglich" and state is not None:
        # no alarm, but the advisor sees that danger words came up
        service.mark_emergency(settings.database_url, state.ticket_id, "moeglich",
                               found.kind or "", str(found.category or ""))
    if state is not None and state.status == "queued" and service.waiting_note_due(
            settings.database_url, state.ticket_id):
        dispatcher.utter_message(text=waiting_note(state), role="system", handoff="waiting")
    return []


class ValidateSlotMappings(ValidationAction):
    """Rasa runs this after every user message, in every state - also while the conversation
    is paused for an advisor, when no other action runs."""

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        return ["place"]

    def validate_place(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                       domain: DomainDict) -> dict[str, Any]:
        """A phone number, a date or a time is no place, and an answer to the callback form
        never changes the place: the place the conversation had stays."""
        answering_form = tracker.get_slot("requested_slot") in FORM_SLOTS_WITHOUT_PLACE
        if answering_form or not is_place(value if not isinstance(value, list) else
                                          " ".join(map(str, value))):
            return {"place": previous_value(tracker, "place")}
        return {"place": value}

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        events = paused_turn(dispatcher, tracker, domain) if tracker.is_paused() else []
        return events + await super().run(dispatcher, tracker, domain)

