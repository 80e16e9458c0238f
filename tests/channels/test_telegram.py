"""Contract tests for the Telegram channel against a fake Bot API server on loopback.

The channel runs in a real Sanic app, registered the way Rasa registers input channels
(`rasa.core.channels.channel.register`); a small fake agent stands in for the dialogue
model and answers through the channel's output channel, exactly like Rasa's processor.
The fake Bot API speaks the real protocol (`POST /bot<token>/<method>`, `{"ok": true, ...}`)
and records every HTTP call the channel makes.
"""

from __future__ import annotations

import json
import logging
import socket
import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from rasa.core.channels.channel import UserMessage, register
from sanic import Sanic

from channels.telegram import (
    ADVISOR_LABEL,
    ONLY_TEXT_NOTICE,
    TelegramInput,
    build_reply_markup,
    split_message,
)

TOKEN = "123456:TEST-token"
GREETING = {
    "text": "Guten Tag! Ich bin der Quartierslotse, ein digitaler Assistent – kein Mensch.",
    "buttons": [
        {"title": "Pflege", "payload": "/ask_pflegegrad"},
        {"title": "Vorsorge", "payload": "/ask_vorsorgevollmacht"},
    ],
}
PFLEGE = {"text": "Ein Pflegegrad zeigt, wie viel Hilfe jemand im Alltag braucht."}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class FakeBotApi:
    """A loopback server that answers like api.telegram.org and records the calls."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    fail_methods: set[str] = field(default_factory=set)
    url: str = ""
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        payload = await request.json()
        self.calls.append((method, payload))
        if method in self.fail_methods:
            return web.json_response(
                {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
                status=400,
            )
        result: Any = True
        if method == "sendMessage":
            result = {
                "message_id": len(self.calls),
                "date": 1700000000,
                "chat": {"id": int(payload["chat_id"]), "type": "private"},
                "text": payload["text"],
            }
        return web.json_response({"ok": True, "result": result})

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [payload for name, payload in self.calls if name == method]


class FakeTrackerStore:
    """What the input guard reads: the buttons the bot offered last (Rasa event dicts)."""

    async def retrieve(self, sender_id: str) -> Any:
        return SimpleNamespace(events=[{"event": "bot", "data": {"buttons": GREETING["buttons"]}}])


class FakeAgent:
    """Answers like the trained bot would, through the message's output channel."""

    def __init__(self) -> None:
        self.received: list[UserMessage] = []
        self.tracker_store = FakeTrackerStore()

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        reply = PFLEGE if message.text == "/ask_pflegegrad" else GREETING
        await message.output_channel.send_response(message.sender_id, dict(reply))


@dataclass
class Stack:
    api: FakeBotApi
    agent: FakeAgent
    channel: TelegramInput
    app: Sanic
    url: str

    async def post_update(
        self, update: Any, headers: dict[str, str] | None = None, raw: bytes | None = None
    ) -> aiohttp.ClientResponse:
        data = raw if raw is not None else json.dumps(update).encode()
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"{self.url}/webhooks/telegram/webhook",
                data=data,
                headers={"Content-Type": "application/json", **(headers or {})},
            ) as resp,
        ):
            await resp.read()
            return resp


async def _start_stack(secret: str = "") -> tuple[Stack, Any]:
    api = FakeBotApi()
    await api.start()
    channel = TelegramInput(
        TOKEN,
        webhook_url="https://stadt.example/webhooks/telegram/webhook",
        api_url=api.url,
        secret_token=secret,
    )
    Sanic.test_mode = True
    app = Sanic(f"tg_{uuid.uuid4().hex[:8]}")
    agent = FakeAgent()
    app.ctx.agent = agent
    register([channel], app, route="/webhooks/")
    port = free_port()
    server = await app.create_server(
        host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
    )
    await server.startup()
    await server.before_start()
    await server.after_start()
    return Stack(api, agent, channel, app, f"http://127.0.0.1:{port}"), server


@pytest.fixture
async def stack():
    stack, server = await _start_stack()
    yield stack
    await server.before_stop()
    server.close()
    await server.wait_closed()
    await stack.api.stop()


def text_update(text: str, chat_id: int = 4711, update_id: int = 1) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 10,
            "date": 1700000000,
            "chat": {"id": chat_id, "type": "private", "first_name": "Anna"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Anna"},
            "text": text,
        },
    }


async def test_text_update_is_answered_with_inline_keyboard(stack: Stack) -> None:
    resp = await stack.post_update(text_update("Guten Tag"))
    assert resp.status == 200
    assert stack.agent.received[0].text == "Guten Tag"
    assert stack.agent.received[0].sender_id == "4711"
    assert stack.agent.received[0].input_channel == "telegram"
    assert stack.api.sent("sendChatAction") == [{"chat_id": "4711", "action": "typing"}]
    [sent] = stack.api.sent()
    assert sent["chat_id"] == "4711"
    assert sent["text"].startswith("Guten Tag! Ich bin der Quartierslotse")
    assert sent["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "Pflege", "callback_data": "/ask_pflegegrad"}],
            [{"text": "Vorsorge", "callback_data": "/ask_vorsorgevollmacht"}],
        ]
    }


async def test_button_press_sends_payload_and_answers_callback(stack: Stack) -> None:
    update = {
        "update_id": 2,
        "callback_query": {
            "id": "cbq-1",
            "from": {"id": 4711, "is_bot": False, "first_name": "Anna"},
            "message": {
                "message_id": 11,
                "date": 1700000000,
                "chat": {"id": 4711, "type": "private"},
            },
            "chat_instance": "x",
            "data": "/ask_pflegegrad",
        },
    }
    resp = await stack.post_update(update)
    assert resp.status == 200
    assert stack.api.sent("answerCallbackQuery") == [{"callback_query_id": "cbq-1"}]
    assert stack.agent.received[0].text == "/ask_pflegegrad"
    assert [m["text"] for m in stack.api.sent()] == [PFLEGE["text"]]


async def test_start_command_gives_the_greeting(stack: Stack) -> None:
    await stack.post_update(text_update("/start"))
    assert stack.agent.received[0].text == "/greet"


async def test_typed_intent_commands_are_read_as_words(stack: Stack) -> None:
    """Nobody can steer the dialogue by typing "/some_intent" (input guard in security/)."""
    await stack.post_update(text_update('/request_callback{"phone": "0800"}', update_id=3))
    assert not stack.agent.received[0].text.startswith("/")


async def test_advisor_reply_after_handoff_is_delivered_from_the_running_loop(
    stack: Stack,
) -> None:
    """What Rasa's HTTP API does for `POST /conversations/{id}/tracker/events
    ?output_channel=telegram&execute_side_effects=true`: pick the registered channel by
    name, build its output channel inside the running loop and send the bot event."""
    from rasa.server import _get_output_channel

    request = SimpleNamespace(
        args={"output_channel": "telegram"}, app=SimpleNamespace(ctx=stack.app.ctx)
    )
    output = _get_output_channel(request, None)  # type: ignore[arg-type]
    assert output.name() == "telegram"
    event_message = {
        "text": "Guten Tag, hier ist Frau Schulz vom Seniorenbüro. Wie kann ich helfen?",
        "timestamp": 1700000100.0,
        "role": "advisor",
    }
    await output.send_response("4711", dict(event_message))
    [sent] = stack.api.sent()
    assert sent == {"chat_id": "4711", "text": f"{ADVISOR_LABEL}: {event_message['text']}"}


@pytest.mark.parametrize(
    "raw",
    [
        b"this is not json",
        b"[]",
        b"{}",
        b'{"update_id": 5}',
        b'{"update_id": 6, "message": "hallo"}',
        b'{"update_id": 7, "message": {"text": "ohne Chat"}}',
        b'{"update_id": 8, "callback_query": {"id": "c", "data": "/x"}}',
        b'{"update_id": 9, "edited_message": {"chat": {"id": 1}, "text": "neu"}}',
        b'{"update_id": 10, "my_chat_member": {"chat": {"id": 1}}}',
    ],
)
async def test_malformed_updates_get_200_and_a_warning(
    stack: Stack, raw: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="channels.telegram"):
        resp = await stack.post_update(None, raw=raw)
    assert resp.status == 200
    assert stack.agent.received == []
    assert stack.api.sent() == []
    assert any(r.name == "channels.telegram" for r in caplog.records)


async def test_non_text_message_gets_a_plain_notice(stack: Stack) -> None:
    update = text_update("x", update_id=20)
    del update["message"]["text"]
    update["message"]["voice"] = {"file_id": "abc", "duration": 3}
    resp = await stack.post_update(update)
    assert resp.status == 200
    assert stack.agent.received == []
    assert stack.api.sent() == [{"chat_id": "4711", "text": ONLY_TEXT_NOTICE}]


async def test_same_update_twice_is_handled_once(stack: Stack) -> None:
    await stack.post_update(text_update("Hallo", update_id=30))
    await stack.post_update(text_update("Hallo", update_id=30))
    assert len(stack.agent.received) == 1


async def test_bot_api_error_is_logged_and_webhook_still_answers_200(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    stack.api.fail_methods.add("sendMessage")
    with caplog.at_level(logging.WARNING, logger="channels.telegram"):
        resp = await stack.post_update(text_update("Hallo", update_id=40))
    assert resp.status == 200
    assert "chat not found" in caplog.text


async def test_long_answer_is_split_into_several_messages(stack: Stack) -> None:
    paragraph = "Dies ist ein Satz über die Pflege im Alter. " * 40
    long_text = "\n\n".join(paragraph.strip() for _ in range(5))  # about 8,900 characters
    await stack.channel.get_output_channel().send_response("4711", {"text": long_text})
    parts = [m["text"] for m in stack.api.sent()]
    assert len(parts) == 3
    assert all(len(p) <= 4096 for p in parts)
    assert all(p.endswith(".") for p in parts)
    assert " ".join(parts).split() == long_text.split()


async def test_wrong_secret_token_is_rejected() -> None:
    stack, server = await _start_stack(secret="geheim-123")
    try:
        bad = await stack.post_update(
            text_update("Hallo"), {"X-Telegram-Bot-Api-Secret-Token": "x"}
        )
        good = await stack.post_update(
            text_update("Hallo", update_id=2), {"X-Telegram-Bot-Api-Secret-Token": "geheim-123"}
        )
        assert bad.status == 403
        assert good.status == 200
        assert [m.text for m in stack.agent.received] == ["Hallo"]
        assert await stack.channel.set_webhook()
        assert stack.api.sent("setWebhook") == [
            {
                "url": "https://stadt.example/webhooks/telegram/webhook",
                "allowed_updates": ["message", "callback_query"],
                "secret_token": "geheim-123",
            }
        ]
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await stack.api.stop()


def test_split_prefers_paragraphs_then_sentences() -> None:
    text = "A" * 3000 + ".\n\n" + "B" * 2000 + ". " + "C" * 2500 + "."
    assert split_message(text) == ["A" * 3000 + ".", "B" * 2000 + ".", "C" * 2500 + "."]
    assert split_message("Kurz.") == ["Kurz."]


def test_split_counts_utf16_units_and_cuts_overlong_words() -> None:
    emoji_text = "😀" * 3000  # 6000 UTF-16 units, no spaces
    parts = split_message(emoji_text)
    assert len(parts) == 2
    assert all(len(p.encode("utf-16-le")) // 2 <= 4096 for p in parts)
    assert "".join(parts) == emoji_text


def test_long_payloads_fall_back_to_a_reply_keyboard() -> None:
    markup = build_reply_markup([{"title": "Pflege", "payload": "/ask" + "x" * 70}])
    assert markup["keyboard"] == [[{"text": "Pflege"}]]
    assert markup["one_time_keyboard"] is True


def test_channel_is_configured_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from quartierslotse import settings as settings_module

    monkeypatch.setattr(
        settings_module,
        "get_settings",
        lambda: settings_module.settings_from_env(
            {
                "QL_TELEGRAM_TOKEN": TOKEN,
                "QL_TELEGRAM_API_URL": "http://127.0.0.1:9/",
                "QL_TELEGRAM_WEBHOOK_URL": "https://stadt.example/webhooks/telegram/webhook",
            }
        ),
    )
    channel = TelegramInput.from_credentials(None)
    assert isinstance(channel, TelegramInput)
    assert channel.get_output_channel().api_url == "http://127.0.0.1:9"
    assert channel.webhook_url.endswith("/webhooks/telegram/webhook")


async def test_too_many_messages_are_refused_politely_with_200(stack: Stack) -> None:
    from security.rate_limit import RATE_LIMIT_MESSAGE

    chat = 99_000 + uuid.uuid4().int % 1000
    statuses = []
    for update_id in range(100, 125):
        resp = await stack.post_update(text_update("Hallo", chat_id=chat, update_id=update_id))
        statuses.append(resp.status)
    assert set(statuses) == {200}
    assert len(stack.agent.received) < 25
    assert {"chat_id": str(chat), "text": RATE_LIMIT_MESSAGE} in stack.api.sent()
