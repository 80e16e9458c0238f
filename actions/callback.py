"""The callback form: consent (with the purpose) first, then the phone number, then the
preferred time; stored only when complete and consented.

- action_accept_callback: "Ja" after an offer starts the form; a "Ja" without an offer does not.
- validate_callback_form: consent, a phone number in any usual format (+49, 0049, spaces,
  slashes; spelled-out digits are asked back), a preferred time that is a time. Nothing is asked
  twice (WCAG 2.2, 3.3.7): once consent is given, a number or time the user already wrote in
  this callback request (the request itself, the consent answer, an answer to another
  question) is taken, and a new number while the time is asked corrects the number.
  Without consent nothing is taken.
  Once the time is the question left, it looks up the responsible office's next
  consultation hours (slots callback_office, callback_offer), which utter_ask_callback_time
  offers as a button ("Dienstag zwischen 9 und 12 Uhr?"): the question costs no action
  call of its own.
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

CALLBACK_FORM = "callback_form"
CALLBACK_SLOTS = ("callback_consent", "callback_phone", "callback_time", "callback_offered",
                  "callback_office", "callback_offer")
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
# the words that lead in a number ("unter", "meine Nummer ist") go with it
PHONE_LEAD_IN = re.compile(
    r"(\b(unter|über|ueber|auf)(\s+der)?(\s+(telefon|handy)?nummer)?|"
    r"\b(meine|die|unsere|neue)\s+(telefon|handy)?nummer(\s+(ist|lautet))?|\btel\.?|"
    r"\btelefon|\bhandy)\W*$", re.IGNORECASE)
# a preferred time inside a longer message: runs of these words (with the joining words)
TIME_WORDS = (set(DAYTIME_NOUNS) | ADVERBS | {"heute", "morgen", "übermorgen", "uebermorgen",
              "wochenende", "werktags", "täglich", "taeglich", "jederzeit", "sofort", "uhr"})
TIME_JOINERS = {"ab", "bis", "um", "gegen", "zwischen", "und", "oder", "nach", "vor", "am", "an",
                "nächste", "naechste", "nächsten", "naechsten", "woche", "diese", "diesen"}
TIME_PREPOSITIONS = {"ab", "bis", "um", "gegen", "zwischen", "nach", "vor", "am", "nächste",
                     "naechste", "nächsten", "naechsten", "diese", "diesen"}
CLOCK_NUMBER = re.compile(r"^\d{1,2}([:.]\d{2})?$")
NOTED = "Das habe ich notiert: {}."
NEGATION = re.compile(r"\b(nein|nicht|nichts|kein\w*|n(ö|oe))\b", re.IGNORECASE)


def phone_match(value: str) -> re.Match[str] | None:
    """Where the phone number is in a message: 6 to 15 digits, +49, 0049, spaces, slashes,
    dashes, dots and brackets are all fine."""
    match = PHONE.search(value or "")
    if match is None:
        return None
    digits = PHONE_SEPARATORS.sub("", match.group(0)).lstrip("+")
    return match if digits.isdigit() and 6 <= len(digits) <= 15 else None


def normalise_phone(value: str) -> str | None:
    """The phone number in a message (as written, spaces collapsed), None if there is none."""
    match = phone_match(value)
    return " ".join(match.group(0).split())[:40] if match else None


def without_phone(value: str) -> str:
    """The message without its phone number and the words that lead it in ("unter")."""
    match = phone_match(value)
    if match is None:
        return value or ""
    before = PHONE_LEAD_IN.sub("", value[:match.start()])
    return f"{before} , {value[match.end():]}"


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


def is_time_word(words: list[str], index: int) -> bool:
    """A word that names a time by itself, or a clock number ("ab 14", "14 Uhr")."""
    word = words[index]
    if word in TIME_WORDS or weekday_capitalised(word.removesuffix("s")):
        return not (word == "morgen" and index > 0 and words[index - 1] == "guten")
    before = words[index - 1] if index > 0 else ""
    after = words[index + 1] if index + 1 < len(words) else ""
    return bool(CLOCK_NUMBER.match(word)) and (before in TIME_PREPOSITIONS or after == "uhr")


def time_runs(words: list[str]) -> list[tuple[int, int]]:
    """(start, end) of each run of time words and joining words that holds a time word."""
    runs, start = [], None
    for index, word in enumerate(words + [""]):
        timely = word and (word in TIME_JOINERS or is_time_word(words, index))
        if timely and start is None:
            start = index
        elif not timely and start is not None:
            if any(is_time_word(words, i) for i in range(start, index)):
                runs.append((start, index))
            start = None
    return runs


def time_in(value: str) -> str | None:
    """The preferred time inside a message that says more ("Ja, unter 0231 123456, am besten
    morgen Vormittag" -> "morgen Vormittag"); None when it names no time."""
    shown = re.findall(r"[\w:.]+", without_phone(value))
    words = [word.lower().rstrip(".") for word in shown]
    parts = []
    for start, end in time_runs(words):
        while words[end - 1] in TIME_JOINERS - {"woche"}:
            end -= 1  # "morgen an" -> "morgen", "Dienstag und" -> "Dienstag"
        while words[start] in TIME_JOINERS - TIME_PREPOSITIONS - {"woche"}:
            start += 1
        parts.append(" ".join(word.rstrip(".") for word in shown[start:end]))
    return time_label(", ".join(parts)) if parts else None


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


def callback_texts(tracker: Tracker) -> list[str]:
    """What the user wrote in this callback request, oldest first: the message that started
    the form (the request, or the "Ja" to the offer) and every message since."""
    events = tracker.events
    started = max((index for index, event in enumerate(events)
                   if event.get("event") == "active_loop" and event.get("name") == CALLBACK_FORM),
                  default=len(events))
    first = max((index for index, event in enumerate(events[:started])
                 if event.get("event") == "user"), default=started)
    return [str(event.get("text") or "") for event in events[first:]
            if event.get("event") == "user"]


def already_given(texts: list[str]) -> dict[str, str]:
    """The latest phone number and preferred time among the texts (only once consented)."""
    given: dict[str, str] = {}
    for text in texts:
        found = {"callback_phone": normalise_phone(text), "callback_time": time_in(text)}
        given.update({slot: value for slot, value in found.items() if value})
    return given


def noted(taken: dict[str, str]) -> str:
    """"Das habe ich notiert: Telefonnummer 0231 123456." for the answers taken ahead."""
    names = {"callback_phone": "Telefonnummer", "callback_time": "Wunschzeit"}
    return NOTED.format(", ".join(f"{names[slot]} {value}" for slot, value in taken.items()))


def consents_with_more(tracker: Tracker) -> bool:
    """The consent question answered with a clear yes plus the number or the time ("Ja, gern,
    unter 0231 123456, morgen Vormittag"), which the NLU does not read as affirm."""
    text = str((tracker.latest_message or {}).get("text") or "")
    return (tracker.get_slot("requested_slot") == "callback_consent"
            and tracker.get_slot("callback_consent") is None
            and bool(AFFIRM.match(text)) and not NEGATION.search(text)
            and bool(normalise_phone(text) or time_in(text)))


def consultation_offer(tracker: Tracker) -> list[EventType]:
    """The responsible office's next consultation hours as a preferred time to offer
    (slots callback_office, callback_offer); nothing when the knowledge base knows none."""
    facts = conversation_facts(tracker)
    contact = office_contact(get_settings().database_url, facts["municipality"],
                             facts["place"]) if facts["municipality"] else None
    if contact is None or not contact.phone or contact.next_opening is None:
        return []
    opening = contact.next_opening
    today = datetime.now(timezone.utc).astimezone(opening.start.tzinfo).date()
    offer = (f"{slot_day(opening.start, today)} zwischen {clock(opening.start)} und "
             f"{clock(opening.end)} Uhr")
    return [SlotSet("callback_office", contact.name or "Die Beratungsstelle"),
            SlotSet("callback_offer", offer)]


class ValidateCallbackForm(FormValidationAction):
    def name(self) -> str:
        return "validate_callback_form"

    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> list[EventType]:
        """The slots' validation; when the time is the question left, its offer too."""
        events = await super().get_validation_events(dispatcher, tracker, domain)
        slots = {**tracker.slots, **{event["name"]: event["value"] for event in events
                                     if event.get("event") == "slot"}}
        time_is_next = (slots.get("callback_consent") is True and slots.get("callback_phone")
                        and not slots.get("callback_time") and not slots.get("callback_offer"))
        return events + consultation_offer(tracker) if time_is_next else events

    async def extract_callback_consent(self, dispatcher: CollectingDispatcher,
                                       tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return {"callback_consent": True} if consents_with_more(tracker) else {}

    def validate_callback_consent(self, value: Any, dispatcher: CollectingDispatcher,
                                  tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if value is False:
            # no consent: nothing is asked or stored (action_submit_callback says so)
            return {"callback_consent": False, "requested_slot": None}
        if value is not True:
            return {"callback_consent": value}
        taken = already_given(callback_texts(tracker))
        if len(taken) == 1:
            dispatcher.utter_message(text=noted(taken))  # the other question comes next
        return {"callback_consent": True, **taken}

    def validate_callback_phone(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = str(value or "")
        phone, when = normalise_phone(text), time_in(text)
        taken = {"callback_time": when} if when else {}
        if phone is None:
            ask = PHONE_IN_DIGITS if spelled_out_digits(text) else PHONE_ASK_AGAIN
            dispatcher.utter_message(text=f"{ask} {noted(taken)}" if taken else ask)
        return {"callback_phone": phone, **taken}

    def validate_callback_time(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = str(value or "").strip()
        phone = normalise_phone(text)
        if phone is not None:
            # a new number while the time is asked corrects the number
            when = time_in(text)
            if when is None:
                dispatcher.utter_message(text=noted({"callback_phone": phone}))
            return {"callback_phone": phone, "callback_time": when}
        offered = offered_time(tracker)
        if offered and AFFIRM.match(text):
            text = offered
        label = time_label(text)
        if label is None:
            dispatcher.utter_message(text=TIME_ASK_AGAIN)
        return {"callback_time": label}


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
