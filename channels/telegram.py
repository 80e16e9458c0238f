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
- builds its output channel without touching the event loop, so it works for external events,
- never lets a failed send break a turn: Rasa saves the user's message only after the turn,
  so a send error (403 blocked, 429, network) is handled here and never raised to Rasa;
  429 is retried after Telegram's `retry_after` (bounded), transient failures are delivered
  later in order, and a chat that blocked the bot is marked and skipped until it writes again,
- serves private chats only (a group gets one polite line), validates chat ids, reads a
  photo's caption as text and turns a shared location into an office search by coordinates,
- puts "👍 Hilfreich" / "👎 Nicht hilfreich" under rateable answers and stores the ratings
  with the web chat's (channels/telegram_ratings.py, channels/ratings.py); rating buttons and
  the answer to "Was hat Ihnen gefehlt?" never reach Rasa.

Configuration comes from the project settings (QL_TELEGRAM_*); keys in credentials.yml win:
`access_token`, `webhook_url`, `api_url`, `secret_token`, `button_type` ("inline"|"reply"),
`database_url` (where the ratings go; default QL_DATABASE_URL).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels import telegram_ratings as ratings
from channels.guarded import GuardedChannel
from channels.ratings import rateable
from security.channel_guard import rasa_metadata

logger = logging.getLogger(__name__)

MAX_MESSAGE_LENGTH = 4096  # Telegram counts UTF-16 code units
MAX_CALLBACK_DATA_BYTES = 64
ADVISOR_LABEL = "Beraterin/Berater"
ONLY_TEXT_NOTICE = (
    "Ich kann leider nur geschriebenen Text lesen. Bitte schreiben Sie Ihre Frage als Nachricht."
)
PRIVATE_ONLY_NOTICE = (
    "Ich beantworte Fragen nur im privaten Chat. Bitte schreiben Sie mir direkt eine Nachricht."
)
# Telegram's own commands mapped to the bot's intents, so relatives get the same start.
COMMANDS = {"/start": "/greet", "/hilfe": "/greet", "/help": "/greet", "/mensch": "/request_human"}
# A shared location becomes an office search by coordinates (knowledge/locate.py reads
# "lat, lon"; the place slot is filled from the entity in and outside the place forms).
LOCATION_INTENT = "inform_location"
_CHAT_ID = re.compile(r"-?[1-9][0-9]{0,15}")
MAX_ATTEMPTS = 3  # Bot API calls per message before it is deferred or given up
MAX_INLINE_WAIT = 5.0  # longest retry_after waited for inside the turn (seconds)
MAX_DEFER_SECONDS = 300.0  # longest retry_after honoured by a later delivery
MAX_PENDING_PER_CHAT = 20  # bot messages kept per chat while it is throttled or unreachable
NETWORK_RETRY_SECONDS = 5.0  # delay of a later delivery after network failures
# keyword argument that carries the telegram_answers id of a rateable answer from
# send_response to the method that sends its last part
RATING_ANSWER = "_ql_rating_answer"


class TelegramApiError(RuntimeError):
    def __init__(self, message: str, status: int = 0, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after

    @property
    def blocked(self) -> bool:
        """403: the user blocked the bot (or deleted the chat); sending again is pointless."""
        return self.status == 403

    @property
    def transient(self) -> bool:
        """Worth a later try: rate-limited (429), Telegram's fault (5xx) or network (0)."""
        return self.status in (0, 429) or self.status >= 500


def valid_chat_id(value: Any) -> str | None:
    """The chat id as text, or None: only integers (no booleans) or strings of digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, str) and _CHAT_ID.fullmatch(value):
        return value
    return None


class ChatRegistry:
    """Per process: chats that blocked the bot, and bot messages waiting for a later delivery.

    A chat is unmarked as soon as it writes again (then it has unblocked the bot)."""

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self.blocked: OrderedDict[str, float] = OrderedDict()
        self.pending: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        self.refused_groups: OrderedDict[str, None] = OrderedDict()
        self.tasks: set[asyncio.Task[None]] = set()  # later deliveries (kept referenced)

    def mark_blocked(self, chat_id: str) -> None:
        self.blocked[chat_id] = time.time()
        self.pending.pop(chat_id, None)
        self._trim(self.blocked)

    def is_blocked(self, chat_id: str) -> bool:
        return chat_id in self.blocked

    def heard_from(self, chat_id: str) -> None:
        if self.blocked.pop(chat_id, None) is not None:
            logger.info("Telegram: chat %s writes again; no longer marked as blocked", chat_id)

    def first_refusal(self, chat_id: str) -> bool:
        """True the first time a group chat is refused (it gets the notice once)."""
        if chat_id in self.refused_groups:
            return False
        self.refused_groups[chat_id] = None
        self._trim(self.refused_groups)
        return True

    def _trim(self, items: OrderedDict[str, Any]) -> None:
        while len(items) > self.limit:
            items.popitem(last=False)


CHATS = ChatRegistry()


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
        timeout: float = 10.0,
        database_url: str = "",
    ) -> None:
        self.access_token = access_token
        self.api_url = api_url.rstrip("/")
        self.button_type = button_type
        self.timeout = timeout
        self.database_url = database_url

    async def call(self, method: str, payload: dict[str, Any]) -> Any:
        """One Bot API call. A 429 whose `retry_after` is at most MAX_INLINE_WAIT seconds is
        waited for and retried (at most MAX_ATTEMPTS calls); any other failure raises
        TelegramApiError at once (status 0: network), so a turn never stalls on Telegram."""
        url = f"{self.api_url}/bot{self.access_token}/{method}"
        attempt = 1
        while True:
            try:
                status, body = await self._post(url, payload)
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                raise TelegramApiError(f"{method} failed: {error!r}") from error
            if isinstance(body, dict) and body.get("ok"):
                return body.get("result")
            failure = _api_error(method, status, body)
            wait = failure.retry_after
            if failure.status != 429 or wait is None or wait > MAX_INLINE_WAIT \
                    or attempt >= MAX_ATTEMPTS:
                raise failure
            await asyncio.sleep(wait)
            attempt += 1

    async def _post(self, url: str, payload: dict[str, Any]) -> tuple[int, Any]:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as session,
            session.post(url, json=payload) as resp,
        ):
            try:
                return resp.status, await resp.json(content_type=None)
            except ValueError:
                return resp.status, {"ok": False, "description": f"HTTP {resp.status}"}

    async def deliver(self, method: str, payload: dict[str, Any], defer: bool = True) -> bool:
        """Send one message without ever raising (True: delivered now).

        Rasa saves the user's message only after the whole turn, so an exception here would
        lose it. A chat that blocked the bot is marked and skipped; a throttled or unreachable
        chat gets its messages later, in order (`defer`); other failures are logged."""
        chat_id = valid_chat_id(payload.get("chat_id"))
        if chat_id is None:
            logger.warning("Telegram: %s to an invalid chat id refused: %s", method,
                           _short(payload.get("chat_id"), 40))
            return False
        if CHATS.is_blocked(chat_id):
            logger.info("Telegram: chat %s blocked the bot; %s not sent", chat_id, method)
            return False
        if chat_id in CHATS.pending:
            if defer:
                self._queue(chat_id, method, payload)
            return False
        try:
            await self.call(method, {**payload, "chat_id": chat_id})
            return True
        except TelegramApiError as error:
            self._failed(chat_id, method, payload, error, defer)
            return False

    def _failed(self, chat_id: str, method: str, payload: dict[str, Any],
                error: TelegramApiError, defer: bool) -> None:
        if error.blocked:
            logger.warning("Telegram: chat %s blocked the bot (%s); marked, nothing more is "
                           "sent until it writes again", chat_id, error)
            CHATS.mark_blocked(chat_id)
            return
        delay = error.retry_after if error.retry_after is not None else NETWORK_RETRY_SECONDS
        if defer and error.transient and delay <= MAX_DEFER_SECONDS:
            logger.warning("Telegram: %s; delivering to chat %s in %.0f s", error, chat_id, delay)
            self._queue(chat_id, method, payload)
            task = asyncio.get_running_loop().create_task(self._flush(chat_id, delay))
            CHATS.tasks.add(task)
            task.add_done_callback(CHATS.tasks.discard)
            return
        logger.warning("Telegram: %s; message to chat %s not delivered", error, chat_id)

    def _queue(self, chat_id: str, method: str, payload: dict[str, Any]) -> None:
        queue = CHATS.pending.setdefault(chat_id, [])
        if len(queue) >= MAX_PENDING_PER_CHAT:
            logger.warning("Telegram: too many undelivered messages for chat %s; oldest dropped",
                           chat_id)
            queue.pop(0)
        queue.append((method, payload))

    async def _flush(self, chat_id: str, delay: float) -> None:
        """Deliver the chat's waiting messages in order after `delay` (at most MAX_ATTEMPTS
        rounds; each round honours the last `retry_after`)."""
        for _ in range(MAX_ATTEMPTS):
            await asyncio.sleep(delay)
            queue = CHATS.pending.get(chat_id, [])
            while queue:
                method, payload = queue[0]
                try:
                    await self.call(method, payload)
                except TelegramApiError as error:
                    if error.blocked:
                        self._failed(chat_id, method, payload, error, defer=False)
                        return
                    if not error.transient:
                        logger.warning("Telegram: %s; message to chat %s not delivered",
                                       error, chat_id)
                        queue.pop(0)
                        continue
                    delay = min(error.retry_after or NETWORK_RETRY_SECONDS, MAX_DEFER_SECONDS)
                    break
                queue.pop(0)
            else:
                CHATS.pending.pop(chat_id, None)
                return
        dropped = CHATS.pending.pop(chat_id, [])
        logger.warning("Telegram: %d message(s) to chat %s not delivered after %d attempts",
                       len(dropped), chat_id, MAX_ATTEMPTS)

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        message = dict(message)
        message.pop(RATING_ANSWER, None)
        advisor = _is_advisor(message)
        if advisor and message.get("text"):
            message["text"] = f"{ADVISOR_LABEL}: {message['text']}"
        answer_id = None if advisor else await self._rateable_answer(recipient_id, message)
        if answer_id is not None:
            message[RATING_ANSWER] = answer_id
        await super().send_response(recipient_id, message)

    async def _rateable_answer(self, recipient_id: str, message: dict[str, Any]) -> int | None:
        """The telegram_answers id of a bot answer that gets the rating buttons, recorded
        before it is sent; None for anything else (no domain response, greetings, the
        emergency message, system messages, answers that need a reply keyboard) or when the
        database fails (the answer is sent without the buttons)."""
        response_name = message.get("utter_action")  # Rasa: the domain response's name
        if not isinstance(response_name, str) or not response_name:
            return None
        if not rateable(str(message.get("role") or "bot"), response_name):
            return None
        buttons = message.get("quick_replies") or message.get("buttons")
        if not message.get("text") and not buttons:
            return None
        if buttons:
            markup = build_reply_markup(buttons, message.get("button_type") or self.button_type)
            if "inline_keyboard" not in markup:
                return None  # a reply keyboard cannot carry the rating buttons
        chat_id = valid_chat_id(recipient_id)
        if chat_id is None or CHATS.is_blocked(chat_id):
            return None
        try:
            return int(await _ratings_db(self.database_url, "record_answer", chat_id,
                                         response_name))
        except Exception as error:  # the answer matters more than its rating
            logger.error("Telegram: Antwort für die Bewertung nicht gespeichert (%s)",
                         type(error).__name__)
            return None

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        parts = split_message(text)
        answer_id = kwargs.get(RATING_ANSWER)
        for number, part in enumerate(parts, 1):
            payload: dict[str, Any] = {"chat_id": recipient_id, "text": part}
            if number == len(parts) and isinstance(answer_id, int):
                payload["reply_markup"] = ratings.with_rating_row(None, answer_id)
            await self.deliver("sendMessage", payload)

    async def send_for_id(self, chat_id: str, text: str,
                          reply_markup: dict[str, Any]) -> int | None:
        """Send one message now and return its Telegram message_id (None: not delivered)."""
        if CHATS.is_blocked(chat_id):
            return None
        payload = {"chat_id": chat_id, "text": text, "reply_markup": reply_markup}
        try:
            result = await self.call("sendMessage", payload)
        except TelegramApiError as error:
            self._failed(chat_id, "sendMessage", payload, error, defer=False)
            return None
        found = result.get("message_id") if isinstance(result, dict) else None
        return ratings.valid_message_id(found)

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
            await self.deliver("sendMessage", {"chat_id": recipient_id, "text": part})
        markup = build_reply_markup(buttons, button_type or self.button_type)
        answer_id = kwargs.get(RATING_ANSWER)
        if isinstance(answer_id, int) and "inline_keyboard" in markup:
            markup = ratings.with_rating_row(markup, answer_id)
        await self.deliver(
            "sendMessage", {"chat_id": recipient_id, "text": parts[-1], "reply_markup": markup}
        )

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies, **kwargs)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.deliver("sendPhoto", {"chat_id": recipient_id, "photo": image})

    async def send_attachment(self, recipient_id: str, attachment: str, **kwargs: Any) -> None:
        if isinstance(attachment, str) and attachment:
            await self.send_text_message(recipient_id, attachment)

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        if isinstance(json_message, dict) and json_message.get("text"):
            # always to this conversation's chat, whatever chat_id the JSON names
            await self.deliver("sendMessage", {**json_message, "chat_id": recipient_id})

    async def send_typing(self, recipient_id: str) -> None:
        await self.deliver("sendChatAction", {"chat_id": recipient_id, "action": "typing"},
                           defer=False)

    async def set_webhook(self, url: str, secret_token: str = "") -> bool:
        payload: dict[str, Any] = {"url": url, "allowed_updates": ["message", "callback_query"]}
        if secret_token:
            payload["secret_token"] = secret_token
        return bool(await self.call("setWebhook", payload))


def _api_error(method: str, status: int, body: Any) -> TelegramApiError:
    body = body if isinstance(body, dict) else {"description": _short(body, 100)}
    parameters = body.get("parameters")
    retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
    if isinstance(retry_after, bool) or not isinstance(retry_after, (int, float)):
        retry_after = 1.0 if status == 429 else None
    code = body.get("error_code")
    code = code if isinstance(code, int) and not isinstance(code, bool) else status
    return TelegramApiError(f"{method} failed ({code}): {body.get('description')}", code,
                            max(0.0, float(retry_after)) if retry_after is not None else None)


async def _ratings_db(url: str, method: str, *args: Any) -> Any:
    """Call a method of the ratings store (channels.telegram_ratings) in a thread; the store is
    opened (and its tables migrated) there too, so the event loop never blocks on it."""

    def run() -> Any:
        from quartierslotse.settings import get_settings

        store = ratings.get_store(url or get_settings().database_url)
        return getattr(store, method)(*args)

    return await asyncio.to_thread(run)


def _is_advisor(message: dict[str, Any]) -> bool:
    """Advisor messages are bot events that carry an advisor marker in their metadata."""
    return (
        message.get("role") == "advisor"
        or bool(message.get("advisor"))
        or message.get("sender_role") == "advisor"
    )


class TelegramInput(GuardedChannel, InputChannel):
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
            database_url=credentials.get("database_url") or settings.database_url,
        )

    def __init__(
        self,
        access_token: str,
        webhook_url: str = "",
        api_url: str = "https://api.telegram.org",
        secret_token: str = "",
        button_type: str = "inline",
        database_url: str = "",
    ) -> None:
        self.access_token = access_token
        self.webhook_url = webhook_url
        self.api_url = api_url
        self.secret_token = secret_token
        self.button_type = button_type if button_type in ("inline", "reply") else "inline"
        self.database_url = database_url  # "" : QL_DATABASE_URL when the ratings need it
        self._seen_updates: OrderedDict[int, None] = OrderedDict()

    def get_output_channel(self) -> TelegramOutput:
        return TelegramOutput(self.access_token, self.api_url, self.button_type,
                              database_url=self.database_url)

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

    async def _admit(
        self, out: TelegramOutput, chat_id: str, text: str, tracker_store: Any,
        offered: list[str] | None = None,
    ) -> str:
        """The text to hand to Rasa ("" = nothing). Telegram is the caller of the webhook,
        so a refusal is told to the user instead of answering 429 (Telegram would retry);
        the per-IP limit is skipped because all updates come from Telegram's servers."""
        admission = await self.guard.admit(None, chat_id, text, tracker_store=tracker_store,
                                      offered_payloads=offered)
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
        text, offered = "", None
        if isinstance(callback, dict):
            if ratings.is_rating_callback(callback.get("data")):
                await self._rating_callback(out, callback, update)  # never Rasa's
                return
            await self._answer_callback(out, callback)
            data = callback.get("data")
            if not isinstance(data, str) or not data:
                logger.warning("Telegram: malformed callback_query ignored: %r", _short(update))
                return
            message, text = callback.get("message"), data
        elif not isinstance(message, dict):
            logger.warning(
                "Telegram: update type not handled (%s)",
                ", ".join(str(k) for k in update if k != "update_id") or "empty",
            )
            return
        chat_id = await self._private_chat(out, message, update)
        if chat_id is None:
            return
        CHATS.heard_from(chat_id)
        if not text and isinstance(message, dict):
            text, offered = _message_text(message)
            if not text:
                await out.send_text_message(chat_id, ONLY_TEXT_NOTICE)
                return
            if offered is None and await self._feedback_reply(out, chat_id, message, text,
                                                              tracker_store):
                return
        text = await self._admit(out, chat_id, text, tracker_store, offered)
        if not text:
            return
        await out.send_typing(chat_id)
        metadata = rasa_metadata(text, {"telegram_update_id": update.get("update_id")})
        await on_new_message(
            UserMessage(text, out, chat_id, input_channel=self.name(), metadata=metadata)
        )

    async def _answer_callback(self, out: TelegramOutput, callback: dict[str, Any],
                               text: str = "") -> None:
        if not callback.get("id"):
            return
        payload = {"callback_query_id": str(callback["id"])}
        if text:
            payload["text"] = text[:200]  # Telegram shows at most 200 characters
        try:
            await out.call("answerCallbackQuery", payload)
        except TelegramApiError as error:
            logger.info("Telegram: answerCallbackQuery failed: %s", error)

    async def _rating_callback(self, out: TelegramOutput, callback: dict[str, Any],
                               update: Any) -> None:
        """👍 / 👎 under an answer: stored only for a well-formed callback about an answer
        this chat really received; anything else gets a short notice and stores nothing."""
        message = callback.get("message")
        parsed = ratings.parse_callback(callback.get("data"))
        chat_id = await self._private_chat(out, message, update)
        if chat_id is None or parsed is None or not isinstance(message, dict):
            logger.warning("Telegram: rating callback refused (malformed): %r",
                           _short(callback.get("data"), 80))
            await self._answer_callback(out, callback, ratings.NOT_RATEABLE)
            return
        CHATS.heard_from(chat_id)
        limited = await self.guard.check_rate(chat_id)
        if not limited.allowed:
            logger.warning("Telegram: rating from chat %s refused (%s)", chat_id, limited.status)
            await self._answer_callback(out, callback, limited.message)
            return
        answer_id, value = parsed
        try:
            stored = await _ratings_db(self.database_url, "rate", chat_id, answer_id, value)
        except Exception as error:  # never crash; only the type (parameters name the chat)
            logger.error("Telegram: Bewertung nicht gespeichert (%s)", type(error).__name__)
            await self._answer_callback(out, callback, ratings.RATING_FAILED)
            return
        if not stored:
            logger.warning("Telegram: rating of answer %s refused for chat %s (unknown, "
                           "another chat's or not rateable)", answer_id, chat_id)
            await self._answer_callback(out, callback, ratings.NOT_RATEABLE)
            return
        await self._answer_callback(out, callback, ratings.THANKS)
        message_id = ratings.valid_message_id(message.get("message_id"))
        if message_id is not None:
            try:
                await out.call("editMessageReplyMarkup", {
                    "chat_id": chat_id, "message_id": message_id,
                    "reply_markup": ratings.without_rating_row(message.get("reply_markup"))})
            except TelegramApiError as error:
                logger.info("Telegram: rating buttons not removed: %s", error)
        if value != "nicht_hilfreich":
            return
        prompt_id = await out.send_for_id(chat_id, ratings.FEEDBACK_PROMPT,
                                          ratings.feedback_prompt_markup())
        if prompt_id is None:
            return
        try:
            await _ratings_db(self.database_url, "set_feedback_prompt", chat_id, answer_id,
                              prompt_id)
        except Exception as error:
            logger.error("Telegram: Rückfrage zur Bewertung nicht gespeichert (%s)",
                         type(error).__name__)

    async def _feedback_reply(self, out: TelegramOutput, chat_id: str, message: dict[str, Any],
                              text: str, tracker_store: Any) -> bool:
        """True when `message` answers this chat's "Was hat Ihnen gefehlt?" question: its text
        (through the input guard's limits) becomes the rating's text, and Rasa never sees it.
        Commands and replies to other messages go on to Rasa, and so does everything when the
        question cannot be looked up."""
        reply_to = message.get("reply_to_message")
        prompt_id = ratings.valid_message_id(
            reply_to.get("message_id") if isinstance(reply_to, dict) else None)
        if prompt_id is None or text.startswith("/"):
            return False
        try:
            answer_id = await _ratings_db(self.database_url, "prompted_answer", chat_id,
                                          prompt_id)
        except Exception as error:
            logger.error("Telegram: Rückfrage zur Bewertung nicht lesbar (%s)",
                         type(error).__name__)
            return False
        if answer_id is None:
            return False
        admitted = await self._admit(out, chat_id, text, tracker_store, offered=[])
        if not admitted:
            return True  # refused (the guard's message was sent) or nothing left
        try:
            stored = await _ratings_db(self.database_url, "set_feedback", chat_id,
                                       int(answer_id), admitted)
        except Exception as error:
            logger.error("Telegram: Hinweis zur Bewertung nicht gespeichert (%s)",
                         type(error).__name__)
            await out.send_text_message(chat_id, ratings.FEEDBACK_FAILED)
            return True
        await out.send_text_message(chat_id,
                                    ratings.FEEDBACK_SAVED if stored else ratings.NOT_RATEABLE)
        return True

    async def _private_chat(self, out: TelegramOutput, message: Any, update: Any) -> str | None:
        """The chat id of a private chat; a group or channel gets one polite line (once)."""
        chat = message.get("chat") if isinstance(message, dict) else None
        chat_id = valid_chat_id(chat.get("id")) if isinstance(chat, dict) else None
        if chat_id is None or not isinstance(chat, dict):
            logger.warning("Telegram: update without a valid chat ignored: %r", _short(update))
            return None
        kind = chat.get("type")
        if kind == "private":
            return chat_id
        if kind in ("group", "supergroup", "channel"):
            logger.info("Telegram: %s chat %s not served (private chats only)", kind, chat_id)
            if CHATS.first_refusal(chat_id):
                await out.send_text_message(chat_id, PRIVATE_ONLY_NOTICE)
        else:
            logger.warning("Telegram: chat of unknown type ignored: %r", _short(update))
        return None


def _message_text(message: dict[str, Any]) -> tuple[str, list[str] | None]:
    """What the user said: the text, a photo's (or file's) caption, or – for a shared
    location – an office search by its coordinates (offered to the input guard as the only
    payload, since the channel and not the user wrote it)."""
    for key in ("text", "caption"):
        value = message.get(key)
        if isinstance(value, str) and value.strip():
            return _map_command(value.strip()), None
    point = _coordinates(message.get("location"))
    if point is not None:
        payload = f'/{LOCATION_INTENT}{{"place": "{point[0]:.5f}, {point[1]:.5f}"}}'
        return payload, [payload]
    return "", None


def _coordinates(location: Any) -> tuple[float, float] | None:
    if not isinstance(location, dict):
        return None
    values = [location.get("latitude"), location.get("longitude")]
    numbers = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if len(numbers) != 2:
        return None
    lat, lon = numbers
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):  # also false for NaN
        return None
    return lat, lon


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
