"""The callback form: consent (with the purpose) first, then the phone number, then the
preferred time; stored only when complete and consented.

- action_accept_callback: "Ja" after an offer starts the form; a "Ja" without an offer does not.
- validate_callback_form: consent, a phone number in any usual format (+49, 0049, spaces,
  slashes; spelled-out digits are asked back), a preferred time that is a time.
- action_ask_callback_time: offers the responsible office's next consultation hours when the
  knowledge base knows them ("Dienstag zwischen 9 und 12 Uhr?").
- action_submit_callback: stores the callback for the conversation's municipality (unknown:
  the installation-wide queue) and echoes the time in normal spelling.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.formatting import WEEKDAY_NAMES, clock, day_label
from actions.handoff import conversation_facts, how_to_reach
from handoff import service
from handoff.models import UNASSIGNED
from knowledge.contacts import office_contact
from quartierslotse.settings import get_settings

CALLBACK_SLOTS = ("callback_consent", "callback_phone", "callback_time", "callback_offered")
PHONE = re.compile(r"(?:\+|\b00|\b0|\b)\d[\d\s/().\-]{4,24}\d")
PHONE_SEPARATORS = re.compile(r"[\s/().\-]")
DIGIT_WORDS = re.compile(
    r"\b(null|eins|zwei|zwo|drei|vier|f(ü|ue|u)nf|sechs|sieben|acht|neun)\b", re.IGNORECASE)
PHONE_ASK_AGAIN = ("Diese Telefonnummer habe ich nicht erkannt. Bitte schreiben Sie nur die "
                   "Nummer in Ziffern, zum Beispiel 0231 123456.")
PHONE_IN_DIGITS = ("Danke! Bitte schreiben Sie die Nummer in Ziffern, damit wir uns nicht "
                   "verhören – zum Beispiel 0231 123456.")
TIME_ASK_AGAIN = ("Wann dürfen wir Sie anrufen? Schreiben Sie zum Beispiel „morgen Vormittag“ "
                  "oder „Dienstag ab 14 Uhr“.")
NOT_OFFERED = "Gern. Was möchten Sie wissen? Schreiben Sie mir Ihre Frage einfach."

DAY_WORDS = {"heute", "morgen", "übermorgen", "uebermorgen", "nächste", "naechste", "woche",
             "wochenende", "werktags", "täglich", "taeglich", "jederzeit", "immer", "egal",
             "sofort", "gleich", "bald", "möglichst", "moeglichst", "schnell"}
DAYTIME_NOUNS = {"vormittag": "Vormittag", "nachmittag": "Nachmittag", "mittag": "Mittag",
                 "abend": "Abend", "mittagszeit": "Mittagszeit"}
ADVERBS = {"vormittags", "nachmittags", "mittags", "abends", "morgens", "früh", "frueh"}
CLOCK_TIME = re.compile(r"\b\d{1,2}([:.]\d{2})?\s*(uhr)?\b", re.IGNORECASE)
AFFIRM = re.compile(r"^\s*(ja|jawohl|gern|gerne|ok|okay|passt|genau|einverstanden)\b",
                    re.IGNORECASE)


def normalise_phone(value: str) -> str | None:
    """The phone number in a message (as written, spaces collapsed), None if there is none.
    +49, 0049, spaces, slashes, dashes, dots and brackets are all fine; 6 to 15 digits."""
    match = PHONE.search(value or "")
    if match is None:
        return None
    written = " ".join(match.group(0).split())
    digits = PHONE_SEPARATORS.sub("", written).lstrip("+")
    if not digits.isdigit() or not 6 <= len(digits) <= 15:
        return None
    return written[:40]


def spelled_out_digits(value: str) -> bool:
    return len(DIGIT_WORDS.findall(value or "")) >= 3


def weekday_capitalised(word: str) -> str | None:
    for name in WEEKDAY_NAMES:
        if word.lower() == name.lower():
            return name
    return None


def time_label(value: str) -> str | None:
    """A preferred time in normal spelling ("morgen vormittag" -> "morgen Vormittag",
    "dienstag ab 14 uhr" -> "Dienstag ab 14 Uhr"); None when it names no time at all."""
    words = " ".join((value or "").split()).rstrip(".!").split(" ")
    if not words or not words[0]:
        return None
    known = False
    shown = []
    for word in words:
        bare = word.strip(",;").lower()
        weekday = weekday_capitalised(bare) or weekday_capitalised(bare.removesuffix("s"))
        if weekday and not bare.endswith("s"):
            shown.append(word.replace(word.strip(",;"), weekday))
            known = True
        elif bare in DAYTIME_NOUNS:
            shown.append(word.replace(word.strip(",;"), DAYTIME_NOUNS[bare]))
            known = True
        elif bare == "uhr":
            shown.append(word.replace(word.strip(",;"), "Uhr"))
            known = True
        elif bare in DAY_WORDS or bare in ADVERBS or (weekday and bare.endswith("s")):
            shown.append(word.lower())
            known = True
        else:
            shown.append(word)
    text = " ".join(shown)
    if CLOCK_TIME.search(text):
        known = True
    return text[:200] if known else None


def slot_day(start: datetime, today: date) -> str:
    """'heute', 'morgen', 'am Dienstag' (this week) or 'am Dienstag, 8. Dezember'."""
    delta = (start.date() - today).days
    if delta in (0, 1):
        return day_label(start.date(), today)
    if 1 < delta < 7:
        return f"am {WEEKDAY_NAMES[start.weekday()]}"
    return f"am {day_label(start.date(), today)}"


def offered_time(tracker: Tracker) -> str:
    """The consultation slot the bot offered in its last question, if any."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            buttons = (event.get("data") or {}).get("buttons") or []
            return str(buttons[0].get("payload") or "") if buttons else ""
        if event.get("event") == "user" and event is not tracker.events[-1]:
            return ""
    return ""


class ActionAcceptCallback(Action):
    def name(self) -> str:
        return "action_accept_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("callback_offered") is not True:
            dispatcher.utter_message(text=NOT_OFFERED)
            return []
        return [SlotSet("callback_offered", None), FollowupAction("callback_form")]


class ValidateCallbackForm(FormValidationAction):
    def name(self) -> str:
        return "validate_callback_form"

    def validate_callback_consent(self, value: Any, dispatcher: CollectingDispatcher,
                                  tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if value is False:
            # no consent: nothing is asked or stored (action_submit_callback says so)
            return {"callback_consent": False, "requested_slot": None}
        return {"callback_consent": value}

    def validate_callback_phone(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = str(value or "")
        phone = normalise_phone(text)
        if phone is None:
            dispatcher.utter_message(
                text=PHONE_IN_DIGITS if spelled_out_digits(text) else PHONE_ASK_AGAIN)
            return {"callback_phone": None}
        return {"callback_phone": phone}

    def validate_callback_time(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = str(value or "").strip()
        offered = offered_time(tracker)
        if offered and AFFIRM.match(text):
            text = offered
        label = time_label(text)
        if label is None:
            dispatcher.utter_message(text=TIME_ASK_AGAIN)
            return {"callback_time": None}
        return {"callback_time": label}


class ActionAskCallbackTime(Action):
    """Asks for the preferred time; offers the office's next consultation hours if known."""

    def name(self) -> str:
        return "action_ask_callback_time"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        facts = conversation_facts(tracker)
        contact = office_contact(get_settings().database_url, facts["municipality"],
                                 facts["place"]) if facts["municipality"] else None
        if contact is None or not contact.phone or contact.next_opening is None:
            dispatcher.utter_message(
                text="Wann passt es Ihnen am besten? Zum Beispiel: „morgen Vormittag“ oder "
                     "„Dienstag ab 14 Uhr“.")
            return []
        opening = contact.next_opening
        today = datetime.now(timezone.utc).astimezone(opening.start.tzinfo).date()
        slot = (f"{slot_day(opening.start, today)} zwischen {clock(opening.start)} und "
                f"{clock(opening.end)} Uhr")
        dispatcher.utter_message(
            text=f"Wann passt es Ihnen am besten? {contact.name or 'Die Beratungsstelle'} hat "
                 f"als Nächstes {slot} Sprechzeit – passt Ihnen das? Sie können auch eine "
                 "andere Zeit schreiben.",
            buttons=[{"title": f"Ja, {slot}", "payload": slot}])
        return []


class ActionSubmitCallback(Action):
    def name(self) -> str:
        return "action_submit_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        settings = get_settings()
        facts = conversation_facts(tracker)
        reset = [SlotSet(name, None) for name in CALLBACK_SLOTS]
        phone, when = tracker.get_slot("callback_phone"), tracker.get_slot("callback_time")
        if tracker.get_slot("callback_consent") is not True or not phone or not when:
            dispatcher.utter_message(
                text="In Ordnung, ich speichere nichts. " + how_to_reach(facts))
            return reset
        service.add_callback(
            settings.database_url, sender_id=tracker.sender_id, channel=facts["channel"],
            municipality=facts["municipality"], phone=phone, preferred_time=when,
            topic=facts["topic"],
        )
        who = ("Die Seniorenberatung ordnet Ihre Anfrage der zuständigen Stelle zu. "
               if service.owner(facts["municipality"]) == UNASSIGNED else "")
        dispatcher.utter_message(
            text=f"Danke! Wir rufen Sie {when} unter {phone} zurück. {who}Nach dem Rückruf "
                 "löschen wir Ihre Nummer wieder.")
        return reset
