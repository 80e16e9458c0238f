"""action_opening_hours: today, tomorrow or a weekday, open now and the next consultation.

Like action_find_office, it answers a known place alone and hands a missing, ambiguous or
unknown place to hours_form.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions import office_messages as messages
from actions.offices import (
    MAX_OFFICES,
    SETTLED,
    ask_back,
    geocoder_url,
    hand_to_form,
    office_type,
    place_text,
)
from knowledge.db import open_session
from knowledge.locate import Resolution
from knowledge.models import Office
from knowledge.queries import find_offices, municipality_hotline, office_by_key

HOURS_FORM = "hours_form"


def _last_office(session: Session, value: str | None) -> Office | None:
    if not value or "/" not in value:
        return None
    municipality_key, office_key = value.split("/", 1)
    return office_by_key(session, municipality_key, office_key)


class ActionOpeningHours(Action):
    def name(self) -> str:
        return "action_opening_hours"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        at = messages.now()
        day = messages.requested_day(tracker.get_slot("weekday"), at)
        type_key, _ = office_type(tracker.get_slot("office_type"))
        reset = [SlotSet("office_type", None), SlotSet("weekday", None)]
        with open_session() as session:
            offices, resolution = self._offices(session, tracker, type_key)
            if offices is None:
                if (to_form := hand_to_form(tracker, HOURS_FORM)) is not None:
                    return to_form
                if resolution is not None:
                    ask_back(dispatcher, resolution)
                    return [*reset, SlotSet("place", None)]
            if not offices:
                dispatcher.utter_message(text=messages.give_up_text())
                return reset
            for office in offices[:MAX_OFFICES]:
                hotline = municipality_hotline(session, office.municipality.key)
                dispatcher.utter_message(text=messages.hours_block(office, at, hotline, day))
            first = offices[0]
        return [*reset, SlotSet("last_office", f"{first.municipality.key}/{first.key}")]

    def _offices(
        self, session: Session, tracker: Tracker, type_key: str | None
    ) -> tuple[list[Office] | None, Resolution | None]:
        """The offices meant - or None when the place is missing (no resolution) or ambiguous
        or unknown (with its resolution)."""
        text = place_text(tracker.get_slot("place"))
        if not text:
            last = _last_office(session, tracker.get_slot("last_office"))
            return ([last] if last else None), None
        resolution, hits = find_offices(
            session, text, office_type=type_key, geocoder_url=geocoder_url(), limit=MAX_OFFICES
        )
        if not hits and resolution.status not in SETTLED:
            return None, resolution
        return [hit.office for hit in hits], resolution
