"""The shared web chat outbox: every message of a web chat conversation (user, bot, advisor,
system) in one database table, so any Rasa instance can deliver what any other instance
(or Rasa's HTTP API, used by the advisor console) produced."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict
from datetime import datetime, timezone
from functools import cache
from typing import Any

from sqlalchemy import Column, DateTime, Integer, String, Text, select
from sqlalchemy.orm import registry
from sqlalchemy.orm.decl_api import DeclarativeMeta

from channels.ratings import RATING_VALUES, rateable, store_rating
from storage.engine import session_scope
from storage.schema import upgrade

mapper_registry = registry()


class Base(metaclass=DeclarativeMeta):
    """Declarative base written out so type checkers see a class (SQLAlchemy 1.4); the same as
    `declarative_base()`, with its own metadata (separate from the handoff tables)."""

    __abstract__ = True
    registry = mapper_registry
    metadata = mapper_registry.metadata
    __init__ = mapper_registry.constructor


ROLES = ("user", "bot", "advisor", "system")
# what a system message says about the handoff (actions/handoff.py, advisor/app.py); the
# widget shows its banner from it, tests and the console read it
HANDOFF_STATES = ("queued", "waiting", "emergency", "advisor_joined", "closed")


class OutboxEntry(Base):
    __tablename__ = "webchat_outbox"
    id = Column(Integer, primary_key=True)
    sender = Column(String(64), nullable=False, index=True)
    role = Column(String(16), nullable=False)
    text = Column(Text, nullable=False, default="")
    buttons = Column(Text, nullable=True)  # JSON list of {"title", "payload"}
    handoff = Column(String(32), nullable=True)
    # the domain response of a bot message (Rasa's `utter_action`), when known
    response = Column(String(128), nullable=True)
    created_at = Column(DateTime, nullable=False)


@cache
def ensure_schema(url: str) -> None:
    """The outbox and ratings tables (storage.schema migrates every table of the project;
    the ratings live in channels/ratings.py)."""
    upgrade(url)


def _iso(value: datetime) -> str:
    return value.replace(tzinfo=timezone.utc).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def as_message(entry: OutboxEntry) -> dict[str, Any]:
    message: dict[str, Any] = {
        "id": entry.id,
        "role": entry.role,
        "text": entry.text,
        "timestamp": _iso(entry.created_at),
    }
    if entry.buttons:
        message["buttons"] = json.loads(entry.buttons)
    if entry.handoff:
        message["handoff"] = entry.handoff
    if rateable(entry.role, entry.response):
        message["rateable"] = True
    return message


def clean_buttons(buttons: Any) -> list[dict[str, str]]:
    cleaned = []
    for button in buttons or []:
        if isinstance(button, dict) and button.get("title"):
            cleaned.append({"title": str(button["title"]),
                            "payload": str(button.get("payload") or button["title"])})
    return cleaned


class Outbox:
    """Append and read entries; wakes long polls of this process at once, other processes
    see new entries at their next poll (every `poll_interval` seconds)."""

    def __init__(self, url: str, poll_interval: float = 0.2) -> None:
        self.url = url
        self.poll_interval = poll_interval
        self._waiters: dict[str, set[asyncio.Event]] = defaultdict(set)
        ensure_schema(url)

    # synchronous core (used from threads and from tests/tools)
    def append_sync(self, sender: str, role: str, text: str,
                    buttons: list[dict[str, str]] | None = None,
                    handoff: str | None = None, response: str | None = None) -> dict[str, Any]:
        if role not in ROLES:
            role = "bot"
        if handoff not in HANDOFF_STATES:
            handoff = None
        with session_scope(self.url) as session:
            entry = OutboxEntry(
                sender=sender, role=role, text=text or "",
                buttons=json.dumps(buttons, ensure_ascii=False) if buttons else None,
                handoff=handoff,
                response=str(response)[:128] if response and role == "bot" else None,
                created_at=datetime.now(timezone.utc).replace(tzinfo=None),
            )
            session.add(entry)
            session.flush()
            return as_message(entry)

    def after_sync(self, sender: str, after: int) -> list[dict[str, Any]]:
        with session_scope(self.url) as session:
            rows = session.scalars(
                select(OutboxEntry).where(OutboxEntry.sender == sender, OutboxEntry.id > after)
                .order_by(OutboxEntry.id)
            ).all()
            return [as_message(row) for row in rows]

    def button_title_sync(self, sender: str, payload: str) -> str | None:
        """The title of a button the bot recently offered with this payload (for the history)."""
        with session_scope(self.url) as session:
            rows = session.scalars(
                select(OutboxEntry).where(OutboxEntry.sender == sender,
                                          OutboxEntry.buttons.isnot(None))
                .order_by(OutboxEntry.id.desc()).limit(5)
            ).all()
        for row in rows:
            for button in json.loads(row.buttons or "[]"):
                if button.get("payload") == payload:
                    return str(button.get("title"))
        return None

    def rate_sync(self, sender: str, message_id: int, value: str, text: str = "",
                  municipality: str = "") -> bool:
        """Store (or replace) the rating of bot message `message_id` of conversation `sender`;
        False when that message is not a rateable bot message of this conversation. `text` is
        redacted before it is stored (channels.ratings.store_rating)."""
        if value not in RATING_VALUES:
            raise ValueError(value)
        with session_scope(self.url) as session:
            entry = session.get(OutboxEntry, message_id)
            if entry is None or entry.sender != sender or not rateable(entry.role, entry.response):
                return False
            store_rating(session, "webchat", sender, message_id, entry.response, value, text,
                         municipality)
            return True

    # async API for the channel
    async def append(self, sender: str, role: str, text: str,
                     buttons: list[dict[str, str]] | None = None,
                     handoff: str | None = None, response: str | None = None) -> dict[str, Any]:
        message = await asyncio.to_thread(self.append_sync, sender, role, text, buttons, handoff,
                                          response)
        for event in list(self._waiters.get(sender, ())):
            event.set()
        return message

    async def after(self, sender: str, after: int) -> list[dict[str, Any]]:
        return await asyncio.to_thread(self.after_sync, sender, after)

    async def wait_after(self, sender: str, after: int, timeout: float) -> list[dict[str, Any]]:
        """Long poll: entries with id > after, or [] after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        event = asyncio.Event()
        self._waiters[sender].add(event)
        try:
            while True:
                event.clear()
                messages = await self.after(sender, after)
                remaining = deadline - loop.time()
                if messages or remaining <= 0:
                    return messages
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(event.wait(), min(self.poll_interval, remaining))
        finally:
            self._waiters[sender].discard(event)
            if not self._waiters[sender]:
                self._waiters.pop(sender, None)
