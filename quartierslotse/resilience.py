"""Keeping conversations alive when a part of the system fails.

Two small Rasa extensions, both loaded through Rasa's own configuration (no patch of Rasa):

`ActionGuard` (an input channel, listed in the rendered credentials file)
    Stock Rasa 3.6 only logs a failed custom action and sends the user nothing
    (`MessageProcessor._run_action` swallows the exception). With the guard, Rasa's
    `action_endpoint` points at `/webhooks/action_guard/webhook` on the same Rasa process;
    the guard forwards each call unchanged to the real action server. When the action server
    cannot be reached, times out or answers with a server error, the guard answers in its
    place with a valid action response: one friendly German message with a hotline number,
    and no events. Rasa utters it through the user's own output channel (REST, webchat,
    Telegram …) and records it in the tracker. Once the action server is back, the next
    call goes through again: nothing to reset.

    The hotline is the municipality's hotline from the knowledge base when the conversation
    (or `QL_DEFAULT_MUNICIPALITY`) names a municipality and the knowledge base has one;
    otherwise `QL_FALLBACK_HOTLINE`, by default the national lines rendered from
    bot/facts.yml (bot.content.texts: the Pflegetelefon of the federal family ministry, and the
    Behördennummer 115 where the city takes part).

    The guard only accepts calls from the loopback interface that did not pass a proxy
    (no X-Forwarded-For), and, when a Rasa token is configured, only with that token in the
    `X-Quartierslotse-Guard` header; the reverse proxy (docker/nginx) also refuses its path.

`AtomicRedisLockStore` (lock store type in endpoints.yml)
    Rasa's RedisLockStore with atomic ticket issuance: stock Rasa 3.6 can hand the same
    ticket to two replicas, so two messages of one conversation are processed at once and
    one of them is lost from the tracker store (see the class).

`ResilientSQLTrackerStore` (tracker store type in endpoints.yml)
    Rasa's SQLTrackerStore with `pool_pre_ping` and a short retry on lost connections, so a
    PostgreSQL restart costs at most a few seconds of delay instead of failed turns with
    stale pooled connections.
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
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore, create_engine_kwargs
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.content.texts import fallback_hotline
from quartierslotse.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

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
    """"Hotline <name>: <phone> (<hours>)" from the knowledge base, or "" (blocking)."""
    from sqlalchemy import func, or_, select

    from knowledge.db import open_session
    from knowledge.models import Municipality

    wanted = municipality.strip().lower()
    with open_session(database_url) as session:
        row = session.execute(
            select(Municipality).where(or_(func.lower(Municipality.name) == wanted,
                                           func.lower(Municipality.key) == wanted))
        ).scalars().first()
        if row is None or not row.hotline_phone:
            return ""
        hours = f" ({row.hotline_hours})" if row.hotline_hours else ""
        return f"Ansprechstelle für {row.name} {row.hotline_phone}{hours}"


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
        else:
            import knowledge.models  # noqa: F401
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


# --------------------------------------------------------------------------- tracker store


class ResilientSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that survives a database restart without manual action."""

    RETRY_SECONDS = 20.0
    engine: Engine  # set in SQLTrackerStore.__init__, which leaves it unannotated

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        import sqlalchemy as sa

        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def _with_retry(self, operation: Callable[[], Awaitable[Any]]) -> Any:
        import sqlalchemy.exc

        deadline = time.monotonic() + self.RETRY_SECONDS
        delay = 0.2
        while True:
            try:
                return await operation()
            except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError,
                    sqlalchemy.exc.DBAPIError) as error:
                disconnect = getattr(error, "connection_invalidated", False) or isinstance(
                    error, sqlalchemy.exc.OperationalError)
                if not disconnect or time.monotonic() > deadline:
                    raise
                logger.warning("Tracker store: database unavailable (%s); retrying", error)
                self.engine.dispose()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def retrieve(self, sender_id: str) -> Any:
        parent = super().retrieve
        return await self._with_retry(lambda: parent(sender_id))

    async def retrieve_full_tracker(self, conversation_id: str) -> Any:
        parent = super().retrieve_full_tracker
        return await self._with_retry(lambda: parent(conversation_id))

    async def stream_events(self, tracker: Any) -> None:
        """Done once in `save`, before the retried database write (no duplicates)."""

    async def save(self, tracker: Any) -> None:
        await self._with_retry(lambda: TrackerStore.stream_events(self, tracker))
        parent = super().save
        await self._with_retry(lambda: parent(tracker))


# --------------------------------------------------------------------------- lock store


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's RedisLockStore with atomic ticket handling (lock store type in endpoints.yml).

    Rasa 3.6 issues and returns tickets with an unguarded read-modify-write of one Redis key
    (`get_lock` → change → `save_lock`). When two messages of one conversation reach two
    replicas at the same moment, both can read the same lock, both draw the same ticket and
    both process at once; the later tracker save then silently drops the other message's
    events (tests/production/test_faults.py shows this with the stock store). Here every
    read-modify-write of a conversation's lock runs under a short Redis mutex (SET NX PX),
    so tickets are unique and the turns of one conversation are processed one after another
    on any number of replicas.
    """

    MUTEX_SECONDS = 5.0

    def __init__(self, endpoint_config: Any = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs}
        super().__init__(**kwargs)

    def _mutex(self, conversation_id: str) -> Any:
        return self.red.lock(
            f"{self.key_prefix}{conversation_id}:mutex", timeout=self.MUTEX_SECONDS,
            blocking_timeout=self.MUTEX_SECONDS, sleep=0.002)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            with self._mutex(conversation_id):
                lock = self.get_or_create_lock(conversation_id)
                ticket = lock.issue_ticket(lock_lifetime)
                self.save_lock(lock)
                return ticket
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        with self._mutex(conversation_id):
            super().update_lock(conversation_id)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        with self._mutex(conversation_id):
            super().finish_serving(conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        with self._mutex(conversation_id):
            lock = self.get_lock(conversation_id)
            if lock is None:
                return
            lock.remove_ticket_for(ticket_number)
            if lock.is_someone_waiting():
                self.save_lock(lock)
            else:
                self.delete_lock(conversation_id)
