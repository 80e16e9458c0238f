"""rasa-sdk trackers for action tests, without spelling out Tracker's eight arguments."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker


def make_tracker(events: list[dict[str, Any]] | None = None, slots: dict[str, Any] | None = None,
                 sender: str = "t", latest_action: str = "action_listen") -> Tracker:
    """A tracker whose latest message is the parse data of the last user event (if any)."""
    events = list(events or [])
    users = [event for event in events if event.get("event") == "user"]
    latest = users[-1].get("parse_data", {}) if users else {}
    return Tracker(sender, dict(slots or {}), latest, events, False, None, {}, latest_action)
