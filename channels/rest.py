"""The REST channel (`POST /webhooks/rest/webhook`) with the same protection as the web chat.

Rasa's own `rest` channel hands any body to the bot: a 1 MB message went through the NLU
pipeline in full (the Rasa server stopped answering for 30 s per 100 KB), a JSON array or
`null` body ended in a 500, and a missing sender became the shared conversation "default".
This channel keeps the URL and the answer format of Rasa's channel (a JSON list of bot
messages) and adds, before anything reaches Rasa:

  * a JSON object body, else 400 with a clear error,
  * a sender id (required, opaque, not in another channel's namespace), else 400,
  * a text message, cut to `QL_MAX_MESSAGE_CHARS` with the same notice as the web chat,
    "/intent" commands only when the bot offered them as buttons (security/channel_guard.py),
  * the per-conversation and per-IP rate limits (429 with Retry-After).

Streaming (`?stream=true`) is not offered: nothing in the project uses it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.guarded import GuardedChannel
from channels.webchat import CONVERSATION_PREFIX as WEBCHAT_PREFIX
from security.channel_guard import rasa_metadata

logger = logging.getLogger(__name__)

# Telegram's conversation ids are its chat ids (numbers); a REST client must not reach them
_TELEGRAM_ID = re.compile(r"^-?\d+$")

INVALID_BODY = ('Die Anfrage muss ein JSON-Objekt sein, z. B. '
                '{"sender": "…", "message": "…"}.')
INVALID_SENDER = ("Feld 'sender' fehlt oder ist ungültig (1 bis 128 Zeichen: Buchstaben, "
                  "Ziffern, _ . : @ -; keine reine Zahl, nicht mit 'webchat:' beginnend).")
INVALID_MESSAGE = "Feld 'message' fehlt oder ist kein Text."
INVALID_METADATA = "Feld 'metadata' muss ein Objekt sein."


def _error(text: str, status: int = 400) -> HTTPResponse:
    return response.json({"error": text}, status=status)


def foreign_namespace(sender: str) -> bool:
    """True for ids that belong to another channel's conversations."""
    return sender.startswith(WEBCHAT_PREFIX) or bool(_TELEGRAM_ID.match(sender))


class GuardedRestInput(GuardedChannel, RestInput):
    """Drop-in replacement for Rasa's `rest` channel (same name, URL and answer)."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("rest_webhook_guarded", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = request.json
            except Exception:  # sanic raises BadRequest on malformed JSON
                return _error(INVALID_BODY)
            if not isinstance(body, dict):
                return _error(INVALID_BODY)
            sender, text, metadata = body.get("sender"), body.get("message"), body.get("metadata")
            from security.input_guard import valid_sender_id

            if not isinstance(sender, str) or not valid_sender_id(sender) or foreign_namespace(
                    sender):
                return _error(INVALID_SENDER)
            if not isinstance(text, str):
                return _error(INVALID_MESSAGE)
            if metadata is not None and not isinstance(metadata, dict):
                return _error(INVALID_METADATA)
            agent = getattr(request.app.ctx, "agent", None)
            admission = await self.guard.admit(
                request, sender, text, tracker_store=getattr(agent, "tracker_store", None))
            if not admission.allowed:
                headers = ({"Retry-After": str(admission.retry_after)}
                           if admission.retry_after else {})
                return response.json({"error": admission.message}, status=admission.status,
                                     headers=headers)
            collector = CollectingOutputChannel()
            for notice in admission.notices:
                await collector.send_text_message(sender, notice)
            if admission.text:
                try:
                    await on_new_message(UserMessage(admission.text, collector, sender,
                                                     input_channel=self.name(),
                                                     metadata=rasa_metadata(admission.text,
                                                                            metadata)))
                except (Exception, asyncio.CancelledError) as exc:
                    # only the type: the text and the sender id are the user's data
                    logger.error("REST-Nachricht nicht verarbeitet (%s)", type(exc).__name__)
            return response.json(collector.messages)

        return bp
