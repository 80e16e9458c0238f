"""Hostile-input handling for every public channel.

Everything a user types is plain text. `guard_text()` normalises it (Unicode NFKC, no control
or invisible formatting characters, bounded length) and makes sure Rasa cannot read it as a
command: Rasa unpacks any text that starts with "/" (`/intent{"entity": "value"}@0.9`) into an
intent with entities *before* NLU runs. Such a payload is only passed on when it is exactly
the payload of a button that the bot itself offered in this conversation (or one of the
channel's own fixed buttons); otherwise the leading slashes are removed and the rest is
understood as ordinary words.

Channels call `guard_text()` (pure) or `guard_for_tracker()` (looks the offered buttons up in
Rasa's tracker store, so it works the same across replicas).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

INTENT_PREFIX = "/"  # rasa.shared.constants.INTENT_MESSAGE_PREFIX
DEFAULT_MAX_CHARS = 1000
MAX_SENDER_CHARS = 128

TRUNCATION_NOTICE = (
    "Ihre Nachricht war sehr lang. Ich habe nur den Anfang gelesen "
    "(die ersten {limit} Zeichen). Schreiben Sie mir gern den Rest in einer weiteren Nachricht."
)
EMPTY_NOTICE = "Ihre Nachricht war leer. Schreiben Sie mir gern, wobei ich helfen kann."

# keep line breaks and tabs, drop every other control (Cc), formatting (Cf: zero-width, bidi
# overrides), surrogate (Cs), private-use (Co) and unassigned (Cn) code point
_KEEP = {"\n", "\t"}
_DROP_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_SENDER_OK = re.compile(rf"^[A-Za-z0-9_.:@-]{{1,{MAX_SENDER_CHARS}}}$")


@dataclass(frozen=True)
class GuardResult:
    text: str  # what may be handed to Rasa
    truncated: bool = False  # the message was cut to the limit
    neutralised: bool = False  # a "/…" command that we did not offer was turned into text
    is_button_payload: bool = False  # exactly the payload of a button we offered
    original_length: int = 0

    @property
    def empty(self) -> bool:
        return not self.text

    def notices(self, limit: int = DEFAULT_MAX_CHARS) -> list[str]:
        """German notices the channel should show to the user (in this order)."""
        notes = []
        if self.truncated:
            notes.append(TRUNCATION_NOTICE.format(limit=limit))
        if self.empty:
            notes.append(EMPTY_NOTICE)
        return notes


def precut(text: str, max_chars: int) -> str:
    """The part of a raw message that is worth normalising: a few times the limit (NFKC and
    dropped invisible characters may shorten it). Everything after it is cut anyway, so a
    1 MB message costs no more CPU than a 4,000-character one."""
    return text[:max(4 * max_chars, 4096)] if max_chars > 0 else text


def normalise(text: Any) -> str:
    """NFKC, no control/invisible characters, collapsed spaces, stripped."""
    if text is None:
        return ""
    if not isinstance(text, str):
        text = str(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFKC", text)
    text = "".join(
        ch for ch in text if ch in _KEEP or unicodedata.category(ch) not in _DROP_CATEGORIES
    )
    text = text.replace("\t", " ")
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def truncate(text: str, limit: int) -> tuple[str, bool]:
    """Cut to at most `limit` characters, preferably at a word boundary."""
    if limit <= 0 or len(text) <= limit:
        return text, False
    cut = text[:limit]
    boundary = max(cut.rfind(" "), cut.rfind("\n"))
    if boundary >= limit * 0.8:
        cut = cut[:boundary]
    return cut.rstrip(), True


def _clean_payload(payload: Any) -> str:
    return payload.strip() if isinstance(payload, str) else ""


def guard_text(
    text: Any,
    offered_payloads: Iterable[str] = (),
    max_chars: int = DEFAULT_MAX_CHARS,
) -> GuardResult:
    """Make `text` safe to hand to Rasa as a user message.

    `offered_payloads`: the button payloads the bot offered in this conversation.
    """
    raw = text if isinstance(text, str) else ("" if text is None else str(text))
    full_length = len(raw)
    raw = precut(raw, max_chars)
    offered = {p for p in (_clean_payload(p) for p in offered_payloads) if p}
    # an exact button payload of ours is passed unchanged (compare before normalising, so a
    # look-alike built from other code points never matches)
    if raw.strip() in offered and raw.strip().startswith(INTENT_PREFIX):
        return GuardResult(raw.strip(), is_button_payload=True, original_length=full_length)
    cleaned = normalise(raw)
    neutralised = False
    if cleaned.startswith(INTENT_PREFIX):
        if cleaned in offered:
            return GuardResult(cleaned, is_button_payload=True, original_length=full_length)
        cleaned = cleaned.lstrip(INTENT_PREFIX + " \n")
        neutralised = True
    cleaned, truncated = truncate(cleaned, max_chars)
    truncated = truncated or (full_length > len(raw) and bool(cleaned))
    # truncation or stripping may expose a new leading slash: never hand one over
    if cleaned.startswith(INTENT_PREFIX):
        cleaned = cleaned.lstrip(INTENT_PREFIX + " \n")
    return GuardResult(
        cleaned, truncated=truncated, neutralised=neutralised, original_length=full_length
    )


def valid_sender_id(sender: Any) -> bool:
    """Conversation ids are short opaque tokens; anything else is refused by the channels."""
    return isinstance(sender, str) and bool(_SENDER_OK.match(sender))


def payloads_from_events(events: Iterable[Any]) -> set[str]:
    """Payloads of every button the bot offered in this conversation (`events`: Rasa events,
    objects or dicts). Earlier buttons count too: the widget keeps the main topics visible
    and seniors scroll back and click older buttons."""
    payloads: set[str] = set()
    for event in events:
        as_dict = event if isinstance(event, dict) else _event_as_dict(event)
        if as_dict.get("event") != "bot":
            continue
        data = as_dict.get("data") or {}
        for key in ("buttons", "quick_replies"):
            for button in data.get(key) or []:
                if isinstance(button, dict):
                    payload = _clean_payload(button.get("payload"))
                    if payload:
                        payloads.add(payload)
    return payloads


def _event_as_dict(event: Any) -> dict:
    try:
        return event.as_dict()
    except AttributeError:
        return {}


async def offered_payloads(tracker_store: Any, sender_id: str) -> set[str]:
    """Button payloads the bot offered in this conversation, read from Rasa's tracker store."""
    if tracker_store is None:
        return set()
    tracker = await tracker_store.retrieve(sender_id)
    if tracker is None:
        return set()
    return payloads_from_events(tracker.events)


async def guard_for_tracker(
    tracker_store: Any,
    sender_id: str,
    text: Any,
    max_chars: int = DEFAULT_MAX_CHARS,
    entry_payloads: Iterable[str] = (),
) -> GuardResult:
    """`guard_text()` with the offered buttons taken from the conversation's tracker, plus the
    channel's own fixed buttons (`entry_payloads`, e.g. the widget's "talk to a human").

    The tracker is only read when the text looks like a command, so ordinary messages cost
    nothing extra.
    """
    raw = text if isinstance(text, str) else ("" if text is None else str(text))
    offered: set[str] = set(entry_payloads)
    head = precut(raw, max_chars)
    looks_like_command = normalise(head).startswith(INTENT_PREFIX) or head.strip().startswith(
        INTENT_PREFIX)
    if looks_like_command and raw.strip() not in offered:
        offered |= await offered_payloads(tracker_store, sender_id)
    return guard_text(raw, offered, max_chars)
