"""The "webchat" input channel for the browser widget (web/).

Every message of a conversation goes through the shared outbox in the database, so the
widget can long-poll any Rasa instance, and bot events sent through Rasa's HTTP API with
`output_channel=webchat` (advisor replies from the console) reach the widget too.

Contract (kept stable for web/):
  POST /webhooks/webchat/webhook   {"sender", "message", "metadata"?} -> {"messages": [Msg]}
  GET  /webhooks/webchat/messages?sender=S&after=ID  long poll -> {"messages": [Msg]}
  GET  /webhooks/webchat/history?sender=S            -> {"messages": [Msg]}
  DELETE /webhooks/webchat/conversation?sender=S     -> {"deleted": true}
      deletion on request (GDPR Art. 17): removes the conversation from every store
      (privacy.retention.delete_conversation). Knowing the sender id is the authorisation –
      the same secret that already allows reading the history.
  POST /webhooks/webchat/rating    {"sender", "message_id", "value": hilfreich|nicht_hilfreich,
                                    "text"? (<= 300 characters), "municipality"?}
      -> {"rated": true}; one rating per bot message, a second one replaces the first; the
      text is redacted before it is stored (channels.ratings.store_rating)
  Msg = {"id", "role": user|bot|advisor|system, "text", "buttons"?, "timestamp", "handoff"?,
         "rateable"? (true: a bot answer the widget offers "hilfreich / nicht hilfreich" for)}
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeGuard

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.guarded import GuardedChannel
from channels.outbox import Outbox, clean_buttons
from channels.ratings import MAX_RATING_TEXT, RATING_VALUES
from channels.repeats import SeenMessages, in_tracker, is_retry, message_id
from quartierslotse.settings import get_settings
from security.channel_guard import client_ip, rasa_metadata

logger = logging.getLogger(__name__)

SENDER_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# The widget's id is public-facing; Rasa, the outbox, tickets and statistics know the
# conversation as "webchat:<id>". So no id of another channel (REST, Telegram chat ids) can be
# read, continued or deleted through the web chat, and the REST channel refuses this prefix.
CONVERSATION_PREFIX = "webchat:"
_SURROGATES = re.compile("[\ud800-\udfff]")
MAX_MESSAGE_ID = 2**63 - 1  # the largest id SQLite and PostgreSQL (BIGINT) can compare with
MAX_MESSAGE_LENGTH = 4000
MAX_MUNICIPALITY = 128

RATE_LIMITED = ("Sie haben in kurzer Zeit sehr viele Anfragen geschickt. Bitte warten Sie "
                       "einen Moment und versuchen Sie es dann noch einmal.")
INVALID_SENDER = ("Feld 'sender' fehlt oder ist ungültig "
                  "(8 bis 64 Zeichen: Buchstaben, Ziffern, - und _).")
RATING_FAILED = ("Ihre Rückmeldung konnte gerade nicht gespeichert werden. Bitte versuchen Sie "
                 "es später noch einmal.")
DELETE_FAILED = ("Das Gespräch konnte gerade nicht gelöscht werden. Bitte versuchen Sie es "
                 "später noch einmal.")

_outboxes: dict[str, Outbox] = {}


def get_outbox(url: str | None = None) -> Outbox:
    url = url or get_settings().database_url
    if url not in _outboxes:
        _outboxes[url] = Outbox(url)
    return _outboxes[url]


def _error(text: str, status: int = 400) -> HTTPResponse:
    return response.json({"error": text}, status=status)


def _json_object(request: Request) -> dict[str, Any] | HTTPResponse:
    """The request's JSON object, or the German 400 answer when the body is none."""
    try:
        body = request.json
    except Exception:  # sanic raises InvalidUsage on bad JSON
        return _error("Die Anfrage ist kein gültiges JSON.")
    if not isinstance(body, dict):
        return _error("Die Anfrage ist kein gültiges JSON-Objekt.")
    return body


def _valid_sender(sender: Any) -> TypeGuard[str]:
    # fullmatch: "$" alone would also accept a trailing newline
    return isinstance(sender, str) and SENDER_PATTERN.fullmatch(sender) is not None


def conversation_id(sender: str) -> str:
    """The conversation id in Rasa and every store for the widget's id `sender`."""
    return CONVERSATION_PREFIX + sender


@contextlib.asynccontextmanager
async def _conversation_lock(request: Request, sender: str) -> AsyncIterator[None]:
    """Rasa's lock for this conversation (as while a message is handled), so a turn that is
    still running cannot write events back after the deletion."""
    agent = getattr(request.app.ctx, "agent", None)
    lock_store = getattr(agent, "lock_store", None)
    if lock_store is None:
        yield
        return
    async with lock_store.lock(sender):
        yield


class OutboxOutput(OutputChannel):
    """Writes every bot message to the outbox; remembers what it wrote for the HTTP answer.

    Role and handoff state come from the bot event's metadata (the console sends
    {"role": "advisor"} or {"role": "system", "handoff": "advisor_joined"})."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.messages: list[dict[str, Any]] = []

    @classmethod
    def name(cls) -> str:
        return "webchat"

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        text = message.get("text") or ""
        buttons = clean_buttons(message.get("buttons") or message.get("quick_replies"))
        custom = message.get("custom")
        if not text and isinstance(custom, dict) and isinstance(custom.get("text"), str):
            text = custom["text"]
        if not text and not buttons:
            return
        response_name = message.get("utter_action")  # Rasa: the domain response's name
        stored = await self.outbox.append(
            recipient_id, message.get("role") or "bot", text, buttons or None,
            message.get("handoff"), response_name if isinstance(response_name, str) else None,
        )
        self.messages.append(stored)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text, **kwargs})


class WebchatInput(GuardedChannel, InputChannel):
    @classmethod
    def name(cls) -> str:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(credentials or {})

    def __init__(self, credentials: dict[str, Any] | None = None) -> None:
        self.credentials = credentials or {}
        self.database_url = self.credentials.get("database_url") or get_settings().database_url
        self.poll_seconds = float(self.credentials.get("poll_seconds")
                                  or get_settings().webchat_poll_seconds)
        self.seen = SeenMessages()

    async def _repeated(self, conversation: str, metadata: dict[str, Any], agent: Any) -> bool:
        """True for a retry of a message this conversation already received."""
        client_id = message_id(metadata)
        if not client_id:
            return False
        if not self.seen.first_time(f"{conversation} {client_id}"):
            return True
        return is_retry(metadata) and await in_tracker(
            getattr(agent, "tracker_store", None), conversation, client_id)

    @property
    def outbox(self) -> Outbox:
        return get_outbox(self.database_url)

    def get_output_channel(self) -> OutputChannel:
        return OutboxOutput(self.outbox)

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        bp = Blueprint("webchat_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = _json_object(request)
            if isinstance(body, HTTPResponse):
                return body
            sender, text = body.get("sender"), body.get("message")
            metadata = body.get("metadata") or {}
            if not _valid_sender(sender):
                return _error(INVALID_SENDER)
            if not isinstance(text, str) or not text.strip():
                return _error("Feld 'message' fehlt oder ist leer.")
            if len(text) > MAX_MESSAGE_LENGTH:  # security: cut, never reject (guard adds a notice)
                text = text[:MAX_MESSAGE_LENGTH]
            if not isinstance(metadata, dict):
                return _error("Feld 'metadata' muss ein Objekt sein.")
            # a lone surrogate ("\ud800") cannot be stored as UTF-8: drop it, do not fail
            text = _SURROGATES.sub("", text).strip()
            conversation = conversation_id(sender)
            output = OutboxOutput(self.outbox)
            agent = getattr(request.app.ctx, "agent", None)
            if await self._repeated(conversation, metadata, agent):
                # answered (or being answered) already; the answers arrive through /messages
                return response.json({"messages": [], "repeated": True})
            admission = await self.guard.admit(request, conversation, text,
                                               tracker_store=getattr(agent, "tracker_store", None))
            if not admission.allowed:
                headers = ({"Retry-After": str(admission.retry_after)}
                           if admission.retry_after else {})
                return response.json({"error": admission.message}, status=admission.status,
                                     headers=headers)
            shown = text
            if admission.guard is not None and admission.guard.is_button_payload:
                title: str | None = await asyncio.to_thread(
                    self.outbox.button_title_sync, conversation, text)
                shown = title or text
            await self.outbox.append(conversation, "user", shown)
            for notice in admission.notices:
                await output.send_response(conversation, {"text": notice, "role": "system"})
            text = admission.text
            if not text:
                return response.json({"messages": output.messages})
            await on_new_message(UserMessage(
                text, output, conversation, input_channel=self.name(),
                metadata=rasa_metadata(text, metadata),
            ))
            return response.json({"messages": output.messages})

        @bp.route("/messages", methods=["GET"])
        async def messages(request: Request) -> HTTPResponse:
            sender = request.args.get("sender", "")
            if not _valid_sender(sender):
                return _error("Parameter 'sender' fehlt oder ist ungültig.")
            try:
                after = int(request.args.get("after", "0"))
            except ValueError:
                return _error("Parameter 'after' muss eine ganze Zahl sein.")
            if not 0 <= after <= MAX_MESSAGE_ID:
                return _error("Parameter 'after' liegt außerhalb des gültigen Bereichs.")
            try:
                timeout = min(float(request.args.get("timeout", self.poll_seconds)),
                              self.poll_seconds)
            except ValueError:
                timeout = self.poll_seconds
            if timeout != timeout:  # NaN
                timeout = self.poll_seconds
            found = await self.outbox.wait_after(conversation_id(sender), after,
                                                 max(timeout, 0.0))
            return response.json({"messages": found})

        @bp.route("/history", methods=["GET"])
        async def history(request: Request) -> HTTPResponse:
            sender = request.args.get("sender", "")
            if not _valid_sender(sender):
                return _error("Parameter 'sender' fehlt oder ist ungültig.")
            return response.json(
                {"messages": await self.outbox.after(conversation_id(sender), 0)})

        @bp.route("/rating", methods=["POST"])
        async def rate(request: Request) -> HTTPResponse:
            body = _json_object(request)
            if isinstance(body, HTTPResponse):
                return body
            sender, message_id = body.get("sender"), body.get("message_id")
            value, text = body.get("value"), body.get("text", "")
            municipality = body.get("municipality", "")
            if not _valid_sender(sender):
                return _error(INVALID_SENDER)
            if (not isinstance(message_id, int) or isinstance(message_id, bool)
                    or not 1 <= message_id <= MAX_MESSAGE_ID):
                return _error("Feld 'message_id' fehlt oder ist keine gültige Nachrichtennummer.")
            if value not in RATING_VALUES:
                return _error("Feld 'value' muss 'hilfreich' oder 'nicht_hilfreich' sein.")
            if text is None:
                text = ""
            if not isinstance(text, str) or len(text) > MAX_RATING_TEXT:
                return _error(f"Feld 'text' darf höchstens {MAX_RATING_TEXT} Zeichen lang sein.")
            if not isinstance(municipality, str) or len(municipality) > MAX_MUNICIPALITY:
                return _error("Feld 'municipality' ist ungültig.")
            limited = await self._rate_limited(request, conversation_id(sender))
            if limited is not None:
                return limited
            try:
                stored = await asyncio.to_thread(
                    self.outbox.rate_sync, conversation_id(sender), message_id, value,
                    _SURROGATES.sub("", text), municipality.strip())
            except Exception as exc:  # never crash; only the type (see delete)
                logger.error("Bewertung konnte nicht gespeichert werden (%s)", type(exc).__name__)
                return _error(RATING_FAILED, 503)
            if not stored:
                return _error("Diese Nachricht gibt es in Ihrem Gespräch nicht, oder sie kann "
                              "nicht bewertet werden.", 404)
            return response.json({"rated": True})

        @bp.route("/conversation", methods=["DELETE"])
        async def delete(request: Request) -> HTTPResponse:
            sender = request.args.get("sender", "")
            if not _valid_sender(sender):
                return _error("Parameter 'sender' fehlt oder ist ungültig.")
            limited = await self._rate_limited(request, conversation_id(sender))
            if limited is not None:
                return limited
            try:
                async with _conversation_lock(request, conversation_id(sender)):
                    await asyncio.to_thread(self._delete_conversation, conversation_id(sender))
            except Exception as exc:  # never crash
                # only the type: database errors quote their parameters, and the sender id
                # is the user's secret
                logger.error("Gespräch konnte auf Anfrage nicht gelöscht werden (%s)",
                             type(exc).__name__)
                return _error(DELETE_FAILED, 503)
            return response.json({"deleted": True})

        return bp

    async def _rate_limited(self, request: Request, conversation: str) -> HTTPResponse | None:
        """429 when the conversation or the client IP sent too many requests (the shared
        guard's limits), else None."""
        rate = await self.guard.check_rate(conversation,
                                           client_ip(request, self.guard.trusted_proxies))
        if rate.allowed:
            return None
        headers = {"Retry-After": str(rate.retry_after)} if rate.retry_after else {}
        return response.json({"error": RATE_LIMITED, "code": "rate_limited"},
                             status=429, headers=headers)

    def _delete_conversation(self, sender: str) -> dict[str, int]:
        """Blocking: every store (tracker events, outbox, tickets, callbacks, insight)."""
        from privacy.retention import delete_conversation

        settings = get_settings()
        if self.database_url != settings.database_url:  # the channel's own outbox database
            settings = dataclasses.replace(settings, database_url=self.database_url)
        return delete_conversation(settings, sender)
