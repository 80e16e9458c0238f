"""A message a client sends twice is answered once.

The widget gives every message an id (`metadata.message_id`) and sends the same id again on
"Nochmal versuchen". When the first try reached the server but its answer came too late, the
retry must not run the turn a second time (two answers, two tickets). Two checks: the ids
this process saw in the last minutes (a retry reaching the same process while the first try
is still running), and, only for a message the widget marks as a retry (`metadata.retry`), the
user messages in the tracker (a retry reaching another replica after the first try was saved).
An ordinary message costs no tracker read.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from typing import Any

MESSAGE_ID = "message_id"
RETRY = "retry"
_VALID_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
REMEMBER_SECONDS = 600.0
REMEMBER_AT_MOST = 20_000
TRACKER_EVENTS_CHECKED = 60


def is_retry(metadata: dict[str, Any]) -> bool:
    return metadata.get(RETRY) is True


def message_id(metadata: dict[str, Any]) -> str:
    """The client's id of this message, '' when none or not a plausible id."""
    value = metadata.get(MESSAGE_ID)
    return value if isinstance(value, str) and _VALID_ID.match(value) else ""


class SeenMessages:
    """Message ids of the last `REMEMBER_SECONDS`, at most `REMEMBER_AT_MOST` (oldest dropped)."""

    def __init__(self, seconds: float = REMEMBER_SECONDS, at_most: int = REMEMBER_AT_MOST):
        self.seconds, self.at_most = seconds, at_most
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, key: str, now: float | None = None) -> bool:
        """True the first time `key` is seen (and remembers it), False for a repeat."""
        now = time.monotonic() if now is None else now
        with self._lock:
            while self._seen and now - next(iter(self._seen.values())) > self.seconds:
                self._seen.popitem(last=False)
            if key in self._seen:
                return False
            self._seen[key] = now
            if len(self._seen) > self.at_most:
                self._seen.popitem(last=False)
            return True


async def in_tracker(tracker_store: Any, conversation: str, wanted: str) -> bool:
    """True when one of the conversation's recent user messages carries the id `wanted`."""
    if tracker_store is None:
        return False
    tracker = await tracker_store.retrieve(conversation)
    if tracker is None:
        return False
    recent = list(tracker.events)[-TRACKER_EVENTS_CHECKED:]
    return any(getattr(event, "metadata", None) and isinstance(event.metadata, dict)
               and event.metadata.get(MESSAGE_ID) == wanted
               for event in recent if type(event).__name__ == "UserUttered")
