"""The console's only way to the bot: Rasa's HTTP API with the token."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import aiohttp


class RasaError(RuntimeError):
    pass


class RasaAPI:
    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._session: aiohttp.ClientSession | None = None

    async def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def _url(self, sender_id: str, suffix: str) -> str:
        return f"{self.base_url}/conversations/{quote(sender_id, safe='')}/{suffix}"

    async def tracker(self, sender_id: str) -> dict[str, Any]:
        session = await self.session()
        params = {"include_events": "ALL"}
        if self.token:
            params["token"] = self.token
        async with session.get(self._url(sender_id, "tracker"), params=params) as response:
            if response.status != 200:
                raise RasaError(f"tracker {response.status}: {await response.text()}")
            return await response.json()

    async def append_events(self, sender_id: str, events: list[dict[str, Any]],
                            output_channel: str = "") -> dict[str, Any]:
        """Append events; bot events are delivered to the user's channel (side effects)."""
        session = await self.session()
        params = {"execute_side_effects": "true"}
        if output_channel:
            params["output_channel"] = output_channel
        if self.token:
            params["token"] = self.token
        now = time.time()
        for offset, event in enumerate(events):
            event.setdefault("timestamp", now + offset * 0.001)
        async with session.post(self._url(sender_id, "tracker/events"), params=params,
                                json=events) as response:
            if response.status != 200:
                raise RasaError(f"append {response.status}: {await response.text()}")
            return await response.json()


    async def set_paused(self, sender_id: str, paused: bool, events: list[dict[str, Any]],
                         output_channel: str = "") -> None:
        """Pause (or resume) the bot for a conversation, with messages for the user, and
        confirm it in the tracker; RasaError when Rasa did not confirm it."""
        control = {"event": "pause" if paused else "resume"}
        await self.append_events(sender_id, [control, *events], output_channel)
        state = await self.tracker(sender_id)
        if bool(state.get("paused")) is not paused:
            raise RasaError(f"tracker not {'paused' if paused else 'resumed'}")


def transcript(tracker: dict[str, Any], after: float = 0.0) -> list[dict[str, Any]]:
    """User and bot messages of a tracker as the console shows them (plain text only).
    Emergencies are marked (`alarm`): the user's message the NLU took for one, and the
    emergency messages the bot sent (also while the conversation was paused)."""
    items: list[dict[str, Any]] = []
    last_user: dict[str, Any] | None = None
    for event in tracker.get("events") or []:
        kind = event.get("event")
        timestamp = float(event.get("timestamp") or 0)
        if timestamp <= after or kind not in ("user", "bot"):
            continue
        text = event.get("text") or ""
        metadata = event.get("metadata") or {}
        if kind == "user":
            role, who = "user", "Ratsuchende Person"
            if text.startswith("/"):
                text = _button_title(tracker, event) or text
        else:
            role = metadata.get("role") or "bot"
            who = {"advisor": metadata.get("advisor") or "Beratung", "system": "Hinweis"}.get(
                role, "Digitaler Assistent")
            buttons = (event.get("data") or {}).get("buttons") or []
            if buttons:
                text += "\n" + " · ".join(f"[{b.get('title', '')}]" for b in buttons)
        if not text:
            continue
        item = {"ts": timestamp, "role": role, "who": who, "text": text,
                "alarm": _is_alarm(event)}
        if kind == "bot" and item["alarm"] and last_user is not None:
            last_user["alarm"] = True
        if kind == "user":
            last_user = item
        items.append(item)
    return items


def _is_alarm(event: dict[str, Any]) -> bool:
    if event.get("event") == "user":
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        return intent == "emergency"
    return (event.get("metadata") or {}).get("handoff") == "emergency"


def _button_title(tracker: dict[str, Any], user_event: dict[str, Any]) -> str:
    """A button press arrives as its payload ("/affirm"); show the button's title instead."""
    payload = user_event.get("text")
    title = ""
    for event in tracker.get("events") or []:
        if event is user_event:
            break
        if event.get("event") == "bot":
            for button in (event.get("data") or {}).get("buttons") or []:
                if button.get("payload") == payload:
                    title = f"{button.get('title')} (Knopf)"
    return title
