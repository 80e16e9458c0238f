"""The action guard: keeps a conversation alive when the action server fails.

`ActionGuard` is an input channel of Rasa (listed in the rendered credentials file, no patch
of Rasa). Stock Rasa 3.6 only logs a failed custom action and sends the user nothing
(`MessageProcessor._run_action` swallows the exception). With the guard, Rasa's
`action_endpoint` points at `/webhooks/action_guard/webhook` on the same Rasa process; the
guard forwards each call unchanged to the real action server. When the action server cannot
be reached, times out or answers with a server error, the guard answers in its place with a
valid action response: one friendly German message with a hotline number, and no events.
Rasa utters it through the user's own output channel (REST, webchat, Telegram …) and records
it in the tracker. Once the action server is back, the next call goes through again: nothing
to reset.

The hotline is the municipality's hotline from the knowledge base (knowledge.contacts) when
the conversation (or `QL_DEFAULT_MUNICIPALITY`) names a municipality and the knowledge base
has one; otherwise `QL_FALLBACK_HOTLINE`, by default the national lines rendered from
bot/facts.yml (bot.content.texts: the Pflegetelefon of the federal family ministry, and the
Behördennummer 115 where the city takes part).

The guard only accepts calls from the loopback interface that did not pass a proxy (no
X-Forwarded-For), and, when a Rasa token is configured, only with that token in the
`X-Quartierslotse-Guard` header; the reverse proxy (docker/nginx) also refuses its path.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.content.texts import fallback_hotline
from knowledge import contacts
from quartierslotse.settings import get_settings

if TYPE_CHECKING:
    pass

logger = logging.getLogger(__name__)

GUARD_PATH = "/webhooks/action_guard/webhook"
GUARD_HEADER = "X-Quartierslotse-Guard"
# The first sentence identifies a guard message (used to send it at most once per turn).
APOLOGY = "Entschuldigung, ein Teil meines Systems ist gerade nicht erreichbar."
DISCLOSURE_RESPONSE = "utter_disclosure"
MUNICIPALITY_SLOTS = ("municipality", "kommune", "gemeinde", "stadt", "city")
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
_NOT_FORWARDED = {"host", "content-length", "connection", "transfer-encoding", "accept-encoding",
                  GUARD_HEADER.lower()}


# --------------------------------------------------------------------------- hotline text


def _municipality_from_tracker(tracker: dict[str, Any]) -> str:
    slots = tracker.get("slots") or {}
    for name in MUNICIPALITY_SLOTS:
        value = slots.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return get_settings().default_municipality


_hotline_cache: dict[str, tuple[float, str]] = {}
HOTLINE_CACHE_SECONDS = 300.0
HOTLINE_LOOKUP_SECONDS = 3.0
HOTLINE_RETRY_SECONDS = 15.0


def knowledge_hotline(database_url: str, municipality: str) -> str:
    """"Ansprechstelle für <name> <phone> (<hours>)" from the knowledge base, or "" (blocking)."""
    line = contacts.hotline(database_url, municipality, best_effort=False)
    if line is None or not line.phone:
        return ""
    hours = f" ({line.hours})" if line.hours else ""
    return f"Ansprechstelle für {line.municipality} {line.phone}{hours}"


async def _cached_hotline(municipality: str) -> str:
    if not municipality:
        return ""
    cached = _hotline_cache.get(municipality)
    if cached and time.monotonic() - cached[0] < HOTLINE_CACHE_SECONDS:
        return cached[1]
    text = ""
    try:  # the knowledge base may be the part that failed: never wait long for it
        loop = asyncio.get_running_loop()
        text = await asyncio.wait_for(
            loop.run_in_executor(None, knowledge_hotline, get_settings().database_url,
                                 municipality),
            HOTLINE_LOOKUP_SECONDS,
        )
    except Exception as error:
        logger.warning("No hotline from the knowledge base for %r: %r", municipality, error)
        # remember a failure only briefly: the knowledge base may be back in a moment
        _hotline_cache[municipality] = (
            time.monotonic() - HOTLINE_CACHE_SECONDS + HOTLINE_RETRY_SECONDS, "")
        return ""
    _hotline_cache[municipality] = (time.monotonic(), text)
    return text


def _warm_up() -> None:
    """Import the knowledge modules and look up the default municipality once at start, so
    the first apology does not wait for imports and connection set-up."""
    try:
        municipality = get_settings().default_municipality
        if municipality:
            text = knowledge_hotline(get_settings().database_url, municipality)
            _hotline_cache[municipality] = (time.monotonic(), text)
    except Exception as error:  # noqa: BLE001 - best effort
        logger.warning("Knowledge base not reachable at start: %r", error)


async def apology_text(tracker: dict[str, Any]) -> str:
    hotline = await _cached_hotline(_municipality_from_tracker(tracker))
    hotline = hotline or fallback_hotline(get_settings())
    return (
        f"{APOLOGY} Ich kann Ihre Frage deshalb im Moment nicht vollständig beantworten. "
        "Bitte versuchen Sie es in ein paar Minuten noch einmal – ich bin gleich wieder da.\n"
        f"Wenn Sie lieber gleich mit einem Menschen sprechen möchten: {hotline}."
    )


def _already_apologised(tracker: dict[str, Any]) -> bool:
    """True when this turn (events since the last user message) already has the apology."""
    for event in reversed(tracker.get("events") or []):
        if event.get("event") == "user":
            return False
        if event.get("event") == "bot" and str(event.get("text") or "").startswith(APOLOGY):
            return True
    return False


async def fallback_response(call: dict[str, Any]) -> dict[str, Any]:
    """A valid action-server answer that tells the user what to do instead.

    A failed `action_session_start` falls back to what Rasa's default session start does
    (SessionStarted, carried-over slots are lost, action_listen) and still sends the
    AI disclosure (`utter_disclosure`; skipped by Rasa when the domain lacks it), so a
    conversation that begins while the action server is down starts properly.
    """
    tracker = call.get("tracker") or {}
    if call.get("next_action") == "action_session_start":
        # Rasa renders it through its NLG and skips it when the domain has no such response
        # (the domain is not always part of the call: selective domain)
        responses = [{"response": DISCLOSURE_RESPONSE}]
        events = [{"event": "session_started"}, {"event": "action", "name": "action_listen"}]
        return {"events": events, "responses": responses}
    if _already_apologised(tracker):
        return {"events": [], "responses": []}
    return {"events": [], "responses": [{"text": await apology_text(tracker)}]}


# --------------------------------------------------------------------------- the guard


class ActionGuard(InputChannel):
    """Forwards Rasa's custom-action calls and answers for a failed action server."""

    def __init__(self, upstream: str = "", timeout: float = 0.0, token: str | None = None):
        settings = get_settings()
        self.upstream = upstream or settings.action_server_url
        self.timeout = timeout or float(settings.action_timeout)
        self.token = settings.rasa_token if token is None else token
        self._session: aiohttp.ClientSession | None = None
        threading.Thread(target=_warm_up, name="action-guard-warm-up", daemon=True).start()

    @classmethod
    def name(cls) -> str:
        return "action_guard"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> ActionGuard:
        credentials = credentials or {}
        return cls(
            upstream=credentials.get("upstream") or "",
            timeout=float(credentials.get("timeout") or 0),
            token=credentials.get("token"),
        )

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                connector=aiohttp.TCPConnector(limit=100, force_close=False),
            )
        return self._session

    def _allowed(self, request: Request) -> bool:
        if request.headers.get("X-Forwarded-For") or request.headers.get("Forwarded"):
            return False
        if request.ip not in LOOPBACK:
            return False
        return not self.token or request.headers.get(GUARD_HEADER) == self.token

    async def forward(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes] | None:
        """(status, body) from the action server, or None when it failed."""
        try:
            async with self._client().post(self.upstream, data=body, headers=headers) as answer:
                content = await answer.read()
                if answer.status >= 500:
                    logger.warning("Action server answered %s; sending the fallback", answer.status)
                    return None
                return answer.status, content
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
            logger.warning("Action server %s unreachable (%r); sending the fallback",
                           self.upstream, error)
            return None

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        guard = Blueprint("action_guard", __name__)

        @guard.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "upstream": self.upstream})

        @guard.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self._allowed(request):
                return response.json({"error": "forbidden"}, status=403)
            body = request.body
            # forward Rasa's own headers (content type/encoding, action-server token …)
            headers = {
                key: value for key, value in request.headers.items()
                if key.lower() not in _NOT_FORWARDED
            }
            forwarded = await self.forward(body, headers)
            if forwarded is not None:
                status, content = forwarded
                return response.raw(content, status=status, content_type="application/json")
            if request.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            try:
                call = json.loads(body or b"{}")
            except ValueError:
                call = {}
            return response.json(await fallback_response(call))

        return guard
