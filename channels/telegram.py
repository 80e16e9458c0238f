"""Telegram channel for Rasa 3.6, for relatives who ask on the go.

Why not Rasa's stock `TelegramInput`: its `get_output_channel()` calls `asyncio.run()`
inside the running event loop, so bot events sent through the HTTP API (an advisor's
reply after a handoff) fail. This channel

- answers webhook updates (`message`, `callback_query`); anything else or malformed input is
  answered with 200 and a logged warning, never an exception,
- talks to a configurable Bot API base URL (a local Bot API server or a test server),
- checks the optional secret token header `X-Telegram-Bot-Api-Secret-Token`,
- renders buttons as an inline keyboard (one button per row; `callback_data` = payload) or,
  when a payload does not fit Telegram's 64 bytes or `button_type: reply` is set, as a reply
  keyboard whose titles are sent back as text,
- splits texts longer than Telegram's 4096 characters at paragraph, line or sentence ends,
- builds its output channel without touching the event loop, so it works for external events.

Configuration comes from the project settings (QL_TELEGRAM_*); keys in credentials.yml win:
`access_token`, `webhook_url`, `api_url`, `secret_token`, `button_type` ("inline"|"reply").
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

MAX_MESSAGE_LENGTH = 4096  # Telegram counts UTF-16 code units
MAX_CALLBACK_DATA_BYTES = 64
ADVISOR_LABEL = "Beraterin/Berater"
ONLY_TEXT_NOTICE = (
    "Ich kann leider nur geschriebenen Text lesen. Bitte schreiben Sie Ihre Frage als Nachricht."
)
# Telegram's own commands mapped to the bot's intents, so relatives get the same start.
COMMANDS = {"/start": "/greet", "/hilfe": "/greet", "/help": "/greet", "/mensch": "/request_human"}


class TelegramApiError(RuntimeError):
    pass


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_message(text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """Split `text` into parts of at most `limit` UTF-16 units.

    Prefers paragraph ends, then line ends, then sentence ends, then spaces; cuts hard only
    inside a single overlong word.
    """
    text = text.strip()
    if _utf16_len(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    rest = text
    while _utf16_len(rest) > limit:
        window = _fit(rest, limit)
        cut = _best_cut(window)
        head, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        if head:
            parts.append(head)
    if rest:
        parts.append(rest)
    return parts


def _fit(text: str, limit: int) -> str:
    """The longest prefix of `text` with at most `limit` UTF-16 units."""
    low, high = 0, min(len(text), limit)
    while low < high:
        mid = (low + high + 1) // 2
        if _utf16_len(text[:mid]) <= limit:
            low = mid
        else:
            high = mid - 1
    return text[:low]


def _best_cut(window: str) -> int:
    minimum = len(window) // 3  # never leave a tiny first part
    for pattern in (r"\n\s*\n", r"\n", r"(?<=[.!?…])\s", r"\s"):
        matches = [m.end() for m in re.finditer(pattern, window) if m.end() > minimum]
        if matches:
            return matches[-1]
    return len(window)


def build_reply_markup(buttons: list[dict[str, Any]], button_type: str = "inline") -> dict:
    """An inline keyboard (one button per row) or, if needed, a reply keyboard."""
    usable = [b for b in buttons if isinstance(b, dict) and b.get("title")]
    fits = all(
        len(str(b.get("payload", "")).encode()) <= MAX_CALLBACK_DATA_BYTES and b.get("payload")
        for b in usable
    )
    if button_type == "inline" and fits:
        return {
            "inline_keyboard": [
                [{"text": str(b["title"]), "callback_data": str(b["payload"])}] for b in usable
            ]
        }
    return {
        "keyboard": [[{"text": str(b["title"])}] for b in usable],
        "resize_keyboard": True,
        "one_time_keyboard": True,
    }


class TelegramOutput(OutputChannel):
    """Sends messages through the Bot API with plain aiohttp; safe inside a running loop."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    def __init__(
        self,
        access_token: str,
        api_url: str = "https://api.telegram.org",
        button_type: str = "inline",
        timeout: float = 15.0,
    ) -> None:
        self.access_token = access_token
        self.api_url = api_url.rstrip("/")
        self.button_type = button_type
        self.timeout = timeout

    async def call(self, method: str, payload: dict[str, Any]) -> Any:
        """One Bot API call; waits once when Telegram asks to slow down (429)."""
        url = f"{self.api_url}/bot{self.access_token}/{method}"
        for attempt in range(2):
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as session,
                session.post(url, json=payload) as resp,
            ):
                try:
                    body = await resp.json(content_type=None)
                except ValueError:
                    body = {"ok": False, "description": f"HTTP {resp.status}"}
            if isinstance(body, dict) and body.get("ok"):
                return body.get("result")
            retry_after = (
                (body.get("parameters") or {}).get("retry_after")
                if isinstance(body, dict)
                else None
            )
            if resp.status == 429 and retry_after and attempt == 0:
                await asyncio.sleep(min(float(retry_after), 5.0))
                continue
            description = body.get("description") if isinstance(body, dict) else body
            raise TelegramApiError(f"{method} failed ({resp.status}): {description}")
        raise TelegramApiError(f"{method} failed after retry")

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        message = dict(message)
        if _is_advisor(message) and message.get("text"):
            message["text"] = f"{ADVISOR_LABEL}: {message['text']}"
        await super().send_response(recipient_id, message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for part in split_message(text):
            await self.call("sendMessage", {"chat_id": recipient_id, "text": part})

    async def send_text_with_buttons(
        self,
        recipient_id: str,
        text: str,
        buttons: list[dict[str, Any]],
        button_type: str | None = None,
        **kwargs: Any,
    ) -> None:
        parts = split_message(text) or ["Bitte wählen Sie:"]
        for part in parts[:-1]:
            await self.call("sendMessage", {"chat_id": recipient_id, "text": part})
        markup = build_reply_markup(buttons, button_type or self.button_type)
        await self.call(
            "sendMessage", {"chat_id": recipient_id, "text": parts[-1], "reply_markup": markup}
        )

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies, **kwargs)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.call("sendPhoto", {"chat_id": recipient_id, "photo": image})

    async def send_attachment(self, recipient_id: str, attachment: str, **kwargs: Any) -> None:
        if isinstance(attachment, str) and attachment:
            await self.send_text_message(recipient_id, attachment)

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        if isinstance(json_message, dict) and json_message.get("text"):
            payload = {"chat_id": json_message.get("chat_id", recipient_id), **json_message}
            await self.call("sendMessage", payload)

    async def send_typing(self, recipient_id: str) -> None:
        await self.call("sendChatAction", {"chat_id": recipient_id, "action": "typing"})

    async def set_webhook(self, url: str, secret_token: str = "") -> bool:
        payload: dict[str, Any] = {"url": url, "allowed_updates": ["message", "callback_query"]}
        if secret_token:
            payload["secret_token"] = secret_token
        return bool(await self.call("setWebhook", payload))


def _is_advisor(message: dict[str, Any]) -> bool:
    """Advisor messages are bot events that carry an advisor marker in their metadata."""
    return (
        message.get("role") == "advisor"
        or bool(message.get("advisor"))
        or message.get("sender_role") == "advisor"
    )


class TelegramInput(InputChannel):
    """Telegram webhook input channel (`/webhooks/telegram/webhook`)."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        from quartierslotse.settings import get_settings

        credentials = credentials or {}
        settings = get_settings()
        token = credentials.get("access_token") or settings.telegram_token
        if not token:
            cls.raise_missing_credentials_exception()
        return cls(
            access_token=token,
            webhook_url=credentials.get("webhook_url") or settings.telegram_webhook_url,
            api_url=credentials.get("api_url") or settings.telegram_api_url,
            secret_token=credentials.get("secret_token") or settings.telegram_secret_token,
            button_type=credentials.get("button_type") or "inline",
        )

    def __init__(
        self,
        access_token: str,
        webhook_url: str = "",
        api_url: str = "https://api.telegram.org",
        secret_token: str = "",
        button_type: str = "inline",
    ) -> None:
        self.access_token = access_token
        self.webhook_url = webhook_url
        self.api_url = api_url
        self.secret_token = secret_token
        self.button_type = button_type if button_type in ("inline", "reply") else "inline"
        self._seen_updates: OrderedDict[int, None] = OrderedDict()

    def get_output_channel(self) -> TelegramOutput:
        return TelegramOutput(self.access_token, self.api_url, self.button_type)

    def _already_seen(self, update_id: Any) -> bool:
        """Telegram re-sends an update when the answer was late; handle each one once."""
        if not isinstance(update_id, int):
            return False
        if update_id in self._seen_updates:
            return True
        self._seen_updates[update_id] = None
        while len(self._seen_updates) > 1000:
            self._seen_updates.popitem(last=False)
        return False

    def _secret_ok(self, request: Request) -> bool:
        if not self.secret_token:
            return True
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        return hmac.compare_digest(given.encode(), self.secret_token.encode())

    async def set_webhook(self) -> bool:
        if not self.webhook_url:
            logger.warning("Telegram: no webhook URL configured (QL_TELEGRAM_WEBHOOK_URL).")
            return False
        return await self.get_output_channel().set_webhook(self.webhook_url, self.secret_token)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        telegram_webhook = Blueprint("telegram_webhook", __name__)

        @telegram_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @telegram_webhook.route("/set_webhook", methods=["POST"])
        async def set_webhook(request: Request) -> HTTPResponse:
            if not self._secret_ok(request):
                return response.json({"ok": False}, status=403)
            try:
                done = await self.set_webhook()
            except (TelegramApiError, aiohttp.ClientError, asyncio.TimeoutError) as error:
                logger.warning("Telegram: setWebhook failed: %s", error)
                done = False
            return response.json({"ok": done})

        @telegram_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self._secret_ok(request):
                logger.warning("Telegram: webhook call with a wrong secret token rejected.")
                return response.json({"ok": False}, status=403)
            try:
                update = request.json
            except Exception:  # sanic raises InvalidUsage on broken JSON
                update = None
            agent = getattr(request.app.ctx, "agent", None)
            try:
                await self._handle_update(
                    update, on_new_message, getattr(agent, "tracker_store", None)
                )
            except Exception:  # never let one update break the webhook (Telegram would retry)
                logger.exception("Telegram: update could not be handled: %r", _short(update))
            return response.json({"ok": True})

        return telegram_webhook

    def _guard(self) -> Any:
        """The shared public-channel guard (security/): per-chat rate limit, input
        normalisation, "/intent" payloads only when the bot offered them as buttons."""
        if not hasattr(self, "_channel_guard"):
            try:
                from quartierslotse.settings import get_settings
                from security.channel_guard import ChannelGuard

                self._channel_guard = ChannelGuard(get_settings(), self.name())
            except ImportError:
                self._channel_guard = None
        return self._channel_guard

    async def _admit(
        self, out: TelegramOutput, chat_id: str, text: str, tracker_store: Any
    ) -> str:
        """The text to hand to Rasa ("" = nothing). Telegram is the caller of the webhook,
        so a refusal is told to the user instead of answering 429 (Telegram would retry);
        the per-IP limit is skipped because all updates come from Telegram's servers."""
        guard = self._guard()
        if guard is None:
            return text
        admission = await guard.admit(None, chat_id, text, tracker_store=tracker_store)
        if not admission.allowed:
            logger.warning("Telegram: message from chat %s refused (%s)", chat_id, admission.status)
            if admission.message:
                await out.send_text_message(chat_id, admission.message)
            return ""
        for notice in admission.notices:
            await out.send_text_message(chat_id, notice)
        return admission.text

    async def _handle_update(
        self,
        update: Any,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        tracker_store: Any = None,
    ) -> None:
        if not isinstance(update, dict):
            logger.warning("Telegram: malformed update ignored: %r", _short(update))
            return
        if self._already_seen(update.get("update_id")):
            logger.info("Telegram: update %s already handled", update.get("update_id"))
            return
        out = self.get_output_channel()
        callback = update.get("callback_query")
        message = update.get("message")
        if isinstance(callback, dict):
            chat_id = _chat_id(callback.get("message"))
            text = callback.get("data")
            if callback.get("id"):
                try:
                    await out.call("answerCallbackQuery", {"callback_query_id": callback["id"]})
                except (TelegramApiError, aiohttp.ClientError, asyncio.TimeoutError) as error:
                    logger.info("Telegram: answerCallbackQuery failed: %s", error)
            if chat_id is None or not isinstance(text, str) or not text:
                logger.warning("Telegram: malformed callback_query ignored: %r", _short(update))
                return
        elif isinstance(message, dict):
            chat_id = _chat_id(message)
            text = message.get("text")
            if chat_id is None:
                logger.warning("Telegram: message without chat ignored: %r", _short(update))
                return
            if not isinstance(text, str) or not text.strip():
                await out.send_text_message(chat_id, ONLY_TEXT_NOTICE)
                return
            text = _map_command(text.strip())
        else:
            logger.warning(
                "Telegram: update type not handled (%s)",
                ", ".join(k for k in update if k != "update_id") or "empty",
            )
            return
        text = await self._admit(out, chat_id, text, tracker_store)
        if not text:
            return
        try:
            await out.send_typing(chat_id)
        except (TelegramApiError, aiohttp.ClientError, asyncio.TimeoutError) as error:
            logger.info("Telegram: sendChatAction failed: %s", error)
        metadata = {"telegram_update_id": update.get("update_id")}
        await on_new_message(
            UserMessage(text, out, chat_id, input_channel=self.name(), metadata=metadata)
        )


def _chat_id(message: Any) -> str | None:
    if not isinstance(message, dict):
        return None
    chat = message.get("chat")
    if not isinstance(chat, dict) or not isinstance(chat.get("id"), (int, str)):
        return None
    return str(chat["id"])


def _map_command(text: str) -> str:
    command = text.split()[0].split("@")[0].lower() if text.startswith("/") else ""
    return COMMANDS.get(command, text)


def _short(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def main(argv: list[str] | None = None) -> int:
    """`python -m channels.telegram set-webhook` or `info`: set up the bot from the settings."""
    import argparse
    import json

    from quartierslotse.settings import get_settings

    parser = argparse.ArgumentParser(description="Telegram-Bot einrichten")
    parser.add_argument("command", choices=["set-webhook", "info", "delete-webhook"])
    args = parser.parse_args(argv)
    settings = get_settings()
    if not settings.telegram_token:
        print("QL_TELEGRAM_TOKEN ist nicht gesetzt.")
        return 2
    channel = TelegramInput(
        settings.telegram_token,
        settings.telegram_webhook_url,
        settings.telegram_api_url,
        settings.telegram_secret_token,
    )
    out = channel.get_output_channel()

    async def run() -> Any:
        if args.command == "set-webhook":
            if not settings.telegram_webhook_url:
                raise TelegramApiError("QL_TELEGRAM_WEBHOOK_URL ist nicht gesetzt.")
            return await channel.set_webhook()
        if args.command == "delete-webhook":
            return await out.call("deleteWebhook", {})
        return {"me": await out.call("getMe", {}), "webhook": await out.call("getWebhookInfo", {})}

    try:
        result = asyncio.run(run())
    except (TelegramApiError, aiohttp.ClientError, asyncio.TimeoutError) as error:
        print(f"Fehler: {error}")
        return 1
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
