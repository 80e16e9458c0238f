"""Office search: action_find_office and the location form (ask, validate, clarify).

A message that names a place is answered by the action alone, in one call to the action
server; only a missing, ambiguous or unknown place hands the turn to the form, which asks,
clarifies and counts the attempts, and then runs the action again (data/rules/offices.yml).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import office_messages as messages
from knowledge.db import open_session
from knowledge.locate import Resolution, resolve_location
from knowledge.queries import find_offices, municipality_hotline

MAX_ATTEMPTS = 3
MAX_OFFICES = 3
OFFICE_FORM = "office_form"
SETTLED = ("resolved", "outside", "coordinates")
OFFICE_TYPES = {
    "seniorenbuero": ("seniorenbuero", "Seniorenbüro"),
    "quartiersbuero": ("quartiersbuero", "Quartiersbüro"),
    "begegnungsstaette": ("begegnungsstaette", "Begegnungsstätte"),
    "pflegestuetzpunkt": ("pflegestuetzpunkt", "Pflegeberatung"),
    "wohnberatung": ("wohnberatung", "Wohnberatung"),
}


def geocoder_url() -> str | None:
    from quartierslotse.settings import get_settings

    return get_settings().geocoder_url or None


def office_type(value: Any) -> tuple[str | None, str | None]:
    """Slot value (synonym-mapped or raw, e.g. 'Seniorenbüros') -> (type key, German label)."""
    if not value:
        return None, None
    from knowledge.normalize import fold

    folded = fold(str(value)).replace(" ", "")
    for key, (type_key, label) in OFFICE_TYPES.items():
        if folded.startswith(key[:10]) or folded.startswith(fold(label).replace(" ", "")[:10]):
            return type_key, label
    if folded.startswith(("pflege", "pflegestuetz")):
        return OFFICE_TYPES["pflegestuetzpunkt"]
    if folded.startswith(("begegnung", "seniorentreff")):
        return OFFICE_TYPES["begegnungsstaette"]
    return None, None


def place_text(value: Any) -> str:
    """A slot value as text; several entities ('Dortmund', 'Hörde') are read together."""
    if isinstance(value, list):
        return " ".join(str(item) for item in value if item)
    return str(value or "").strip()


def hand_to_form(tracker: Tracker, form: str) -> list[EventType] | None:
    """The form takes the turn to ask for or clarify the place - unless it has just run:
    then the user gave up after the form's attempts and is not asked once more."""
    if tracker.latest_action_name == form:
        return None
    return [FollowupAction(form)]


def ask_back(dispatcher: CollectingDispatcher, resolution: Resolution) -> None:
    """The clarifying question for a place that is ambiguous or unknown, with its buttons."""
    dispatcher.utter_message(text=messages.clarification(resolution),
                             buttons=messages.place_buttons(resolution.candidates))


def resolve(text: str) -> Resolution:
    with open_session() as session:
        return resolve_location(session, text, geocoder_url())


class ValidatePlaceMixin:
    """Shared validation of the `place` slot for both location forms."""

    def validate_place(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        text = place_text(slot_value)
        resolution = resolve(text)
        if resolution.status in SETTLED:
            return {"place": text, "place_candidates": None, "place_attempts": 0}
        attempts = int(tracker.get_slot("place_attempts") or 0) + 1
        if attempts >= MAX_ATTEMPTS:
            dispatcher.utter_message(text=messages.give_up_text())
            return {
                "place": None,
                "place_candidates": None,
                "place_attempts": 0,
                "requested_slot": None,
            }
        ask_back(dispatcher, resolution)
        return {
            "place": None,
            "place_candidates": resolution.candidates or None,
            "place_attempts": attempts,
        }


class ValidateOfficeForm(ValidatePlaceMixin, FormValidationAction):
    def name(self) -> str:
        return "validate_office_form"


class ValidateHoursForm(ValidatePlaceMixin, FormValidationAction):
    def name(self) -> str:
        return "validate_hours_form"


class ActionAskPlace(Action):
    """Asks for the place; silent when the validation has just asked a clarifying question."""

    for_handoff = False

    def name(self) -> str:
        return "action_ask_place"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if not tracker.get_slot("place_attempts"):
            dispatcher.utter_message(
                text=messages.place_question(tracker.get_slot("relation"), self.for_handoff))
        return []


class ActionFindOffice(Action):
    """Responsible (or nearest) offices with address, phone, distance and 'open now'."""

    def name(self) -> str:
        return "action_find_office"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reset = [SlotSet("office_type", None), SlotSet("weekday", None)]
        text = place_text(tracker.get_slot("place"))
        if not text:
            if (to_form := hand_to_form(tracker, OFFICE_FORM)) is not None:
                return to_form
            dispatcher.utter_message(text=messages.give_up_text())
            return reset
        type_key, type_label = office_type(tracker.get_slot("office_type"))
        at = messages.now()
        with open_session() as session:
            resolution, hits = find_offices(
                session, text, office_type=type_key, geocoder_url=geocoder_url(), limit=MAX_OFFICES
            )
            if (
                resolution.status
                in ("ambiguous", "unknown", "invalid_postal_code", "unknown_postal_code")
                and not hits
            ):
                if (to_form := hand_to_form(tracker, OFFICE_FORM)) is not None:
                    return to_form
                ask_back(dispatcher, resolution)
                return [*reset, SlotSet("place", None)]
            hits = hits[:MAX_OFFICES]
            hotlines = {
                key: municipality_hotline(session, key)
                for key in {hit.office.municipality.key for hit in hits}
            }
            for text_block in messages.office_answer(resolution, hits, at, hotlines, type_label):
                dispatcher.utter_message(text=text_block)
        events = list(reset)
        if hits:
            first = hits[0].office
            events.append(SlotSet("last_office", f"{first.municipality.key}/{first.key}"))
        return events
