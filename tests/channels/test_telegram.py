"""Contract tests for the Telegram channel against a fake Bot API server on loopback.

The channel runs in a real Sanic app, registered the way Rasa registers input channels
(`rasa.core.channels.channel.register`); a small fake agent stands in for the dialogue
model and answers through the channel's output channel, exactly like Rasa's processor.
The fake Bot API (tests/support/telegram.py) speaks the real protocol
(`POST /bot<token>/<method>`, `{"ok": true, ...}`, 403/429 as Telegram sends them) and records
every HTTP call the channel makes. The same through the real Rasa server:
tests/channels/test_telegram_stack.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage, register
from sanic import Sanic

from channels import telegram
from channels.telegram import (
    ADVISOR_LABEL,
    ONLY_TEXT_NOTICE,
    PRIVATE_ONLY_NOTICE,
    ChatRegistry,
    TelegramInput,
    build_reply_markup,
    split_message,
    valid_chat_id,
)
from tests.conftest import free_port
from tests.support.telegram import TOKEN, FakeBotApi, text_update

GREETING = {
    "text": "Guten Tag! Ich bin der Quartierslotse, ein digitaler Assistent – kein Mensch.",
    "buttons": [
        {"title": "Pflege", "payload": "/ask_pflegegrad"},
        {"title": "Vorsorge", "payload": "/ask_vorsorgevollmacht"},
    ],
}
PFLEGE = {"text": "Ein Pflegegrad zeigt, wie viel Hilfe jemand im Alltag braucht."}


class FakeTrackerStore:
    """What the input guard reads: the buttons the bot offered last (Rasa event dicts)."""

    async def retrieve(self, sender_id: str) -> Any:
        return SimpleNamespace(events=[{"event": "bot", "data": {"buttons": GREETING["buttons"]}}])


class FakeAgent:
    """Answers like the trained bot would, through the message's output channel."""

    def __init__(self) -> None:
        self.received: list[UserMessage] = []
        self.completed: list[str] = []  # turns that ran to the end (Rasa saves the tracker then)
        self.tracker_store = FakeTrackerStore()

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        reply = PFLEGE if message.text == "/ask_pflegegrad" else GREETING
        await message.output_channel.send_response(message.sender_id, dict(reply))
        self.completed.append(message.text)


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
    api = FakeBotApi().start()
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


# --------------------------------------------------------------------------- failed sends


async def test_blocked_bot_completes_the_turn_and_marks_the_chat(
    stack: Stack, fresh_chats: ChatRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    stack.api.blocked_chats.add("4711")
    with caplog.at_level(logging.WARNING, logger="channels.telegram"):
        resp = await stack.post_update(text_update("Guten Tag", update_id=50))
    assert resp.status == 200
    assert stack.agent.completed == ["Guten Tag"]  # the turn ran to its end: Rasa saves it
    assert fresh_chats.is_blocked("4711")
    assert "blocked the bot" in caplog.text
    calls = len(stack.api.calls)
    # an advisor's reply to the blocked chat is not sent again and again
    output = stack.channel.get_output_channel()
    await output.send_response("4711", {"text": "Hier ist Frau Schulz.", "role": "advisor"})
    assert len(stack.api.calls) == calls
    # the user unblocks the bot and writes: the chat is served again
    stack.api.blocked_chats.clear()
    await stack.post_update(text_update("Hallo, da bin ich wieder", update_id=51))
    assert not fresh_chats.is_blocked("4711")
    assert stack.api.sent(chat_id="4711")[-1]["text"].startswith("Guten Tag! Ich bin")


async def test_429_is_retried_after_retry_after(stack: Stack) -> None:
    stack.api.throttle(4711, times=2, retry_after=1)
    started = time.monotonic()
    await stack.post_update(text_update("Guten Tag", update_id=60))
    assert stack.agent.completed == ["Guten Tag"]
    sent = stack.api.sent()
    assert len(sent) == 3 and sent[0] == sent[1] == sent[2]  # two 429 answers, then delivered
    assert sent[2]["text"].startswith("Guten Tag! Ich bin")
    times = [t for (method, _), t in zip(stack.api.calls, stack.api.call_times, strict=True)
             if method == "sendMessage"]
    assert times[1] - times[0] >= 0.95 and times[2] - times[1] >= 0.95
    assert time.monotonic() - started < 10


async def test_long_retry_after_is_delivered_later_in_order(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, fresh_chats: ChatRegistry
) -> None:
    """A retry_after longer than the turn may wait: the turn ends, the answers follow."""
    monkeypatch.setattr(telegram, "MAX_INLINE_WAIT", 0.5)
    stack.api.throttle(4711, times=1, retry_after=1)
    output = stack.channel.get_output_channel()
    await output.send_response("4711", {"text": "Erste Nachricht."})
    await output.send_response("4711", {"text": "Zweite Nachricht."})
    assert stack.api.sent(chat_id="4711") == [{"chat_id": "4711", "text": "Erste Nachricht."}]
    for _ in range(50):
        if not fresh_chats.pending:
            break
        await asyncio.sleep(0.1)
    assert [m["text"] for m in stack.api.sent(chat_id="4711")] == [
        "Erste Nachricht.", "Erste Nachricht.", "Zweite Nachricht."]


async def test_retry_after_beyond_the_bound_is_not_waited_for(
    stack: Stack, fresh_chats: ChatRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    stack.api.throttle(4711, times=1, retry_after=3600)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="channels.telegram"):
        await stack.post_update(text_update("Guten Tag", update_id=65))
    assert time.monotonic() - started < 5
    assert stack.agent.completed == ["Guten Tag"]
    assert not fresh_chats.pending and "not delivered" in caplog.text


async def test_network_failure_never_breaks_the_turn(caplog: pytest.LogCaptureFixture) -> None:
    output = telegram.TelegramOutput(TOKEN, f"http://127.0.0.1:{free_port()}", timeout=2)
    with caplog.at_level(logging.WARNING, logger="channels.telegram"):
        await output.send_response("4711", {"text": "Hallo"})  # nobody listens: no exception
    assert "delivering to chat 4711 in 5 s" in caplog.text
    for task in list(telegram.CHATS.tasks):
        task.cancel()


# --------------------------------------------------------------------------- what is served


async def test_group_chat_gets_one_polite_line(stack: Stack) -> None:
    for update_id in (70, 71):
        update = text_update("Hallo Bot", chat_id=-100123, update_id=update_id, chat_type="group")
        resp = await stack.post_update(update)
        assert resp.status == 200
    assert stack.agent.received == []
    assert stack.api.sent() == [{"chat_id": "-100123", "text": PRIVATE_ONLY_NOTICE}]


@pytest.mark.parametrize("chat_id", [True, False, "../../bot/sendMessage", "12a", 1.5, None,
                                     "", "0", 10**20])
async def test_invalid_chat_ids_are_rejected(stack: Stack, chat_id: Any) -> None:
    update = text_update("Hallo")
    update["message"]["chat"]["id"] = chat_id
    resp = await stack.post_update(update)
    assert resp.status == 200
    assert stack.agent.received == []
    assert stack.api.calls == []


async def test_output_refuses_an_invalid_recipient(stack: Stack) -> None:
    await stack.channel.get_output_channel().send_response("../x", {"text": "Hallo"})
    await stack.channel.get_output_channel().send_custom_json(
        "4711", {"text": "Hallo", "chat_id": "999"})
    assert stack.api.sent() == [{"chat_id": "4711", "text": "Hallo"}]
    assert valid_chat_id(4711) == "4711" and valid_chat_id(-100123) == "-100123"
    assert valid_chat_id(True) is None and valid_chat_id("/etc/passwd") is None


async def test_photo_caption_is_read_as_text(stack: Stack) -> None:
    update = text_update("x", update_id=80)
    del update["message"]["text"]
    update["message"]["photo"] = [{"file_id": "p1", "width": 90, "height": 90}]
    update["message"]["caption"] = "Ist das ein Antrag auf Pflegegrad?"
    await stack.post_update(update)
    assert [m.text for m in stack.agent.received] == ["Ist das ein Antrag auf Pflegegrad?"]


async def test_shared_location_becomes_an_office_search_by_coordinates(stack: Stack) -> None:
    update = text_update("x", update_id=90)
    del update["message"]["text"]
    update["message"]["location"] = {"latitude": 51.513587, "longitude": 7.465298}
    await stack.post_update(update)
    assert [m.text for m in stack.agent.received] == [
        '/inform_location{"place": "51.51359, 7.46530"}']


@pytest.mark.parametrize("location", [{"latitude": True, "longitude": 7.4},
                                      {"latitude": 95.0, "longitude": 7.4},
                                      {"latitude": "51.5", "longitude": "7.4"}, "Dortmund"])
async def test_invalid_location_gets_the_text_notice(stack: Stack, location: Any) -> None:
    update = text_update("x", update_id=91)
    del update["message"]["text"]
    update["message"]["location"] = location
    await stack.post_update(update)
    assert stack.agent.received == []
    assert stack.api.sent() == [{"chat_id": "4711", "text": ONLY_TEXT_NOTICE}]
