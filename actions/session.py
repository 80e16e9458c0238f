"""Session start: the disclosure is the first message of every conversation.

EU AI Act Art. 50(1): users must be told at the start that they are talking to an
automated system. The text is the domain response utter_disclosure.

One exception: when the first message shows acute danger (the channels mark it in the
message metadata, security.channel_guard.rasa_metadata), 112 comes first. The session then
starts without the greeting and the slot `disclosure_pending` makes action_emergency_handoff
say it right after the emergency message.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from safety.emergency import ACUTE_DANGER_METADATA

# Never carried into a new session: form state, the last emergency, personal contact data.
NOT_CARRIED_OVER = {"requested_slot", "emergency_type", "session_started_metadata",
                    "disclosure_pending"}
NOT_CARRIED_OVER_PREFIXES = ("callback_",)


def carried_over_slots(slots: dict[str, Any], domain: DomainDict) -> list[EventType]:
    config = domain.get("session_config") or {}
    if not config.get("carry_over_slots_to_new_session", True):
        return []
    return [
        SlotSet(name, value)
        for name, value in slots.items()
        if value is not None
        and name not in NOT_CARRIED_OVER
        and not name.startswith(NOT_CARRIED_OVER_PREFIXES)
    ]


def starts_with_acute_danger(tracker: Tracker) -> bool:
    metadata = tracker.get_slot("session_started_metadata") or {}
    return isinstance(metadata, dict) and metadata.get(ACUTE_DANGER_METADATA) is True


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        events.extend(carried_over_slots(tracker.slots, domain))
        if starts_with_acute_danger(tracker):
            events.append(SlotSet("disclosure_pending", True))
        else:
            dispatcher.utter_message(response="utter_disclosure")
        events.append(ActionExecuted("action_listen"))
        return events
