"""REST and web chat channels: bad bodies get a clear 400, huge messages are cut before any
work, ids of one channel cannot be used through another."""

from __future__ import annotations

import json
import time
import uuid
from types import SimpleNamespace
from typing import Any

import pytest

from channels.rest import INVALID_BODY, INVALID_SENDER, GuardedRestInput
from channels.webchat import WebchatInput, conversation_id
from security.channel_guard import ChannelGuard
from security.input_guard import TRUNCATION_NOTICE

LIMITS = SimpleNamespace(rate_limit_messages=1000, rate_limit_per_ip=1000,
                         rate_limit_window_seconds=60, redis_url="", trusted_proxies="",
                         max_message_chars=1000)


def _request(body: Any, ip: str = "203.0.113.7") -> SimpleNamespace:
    return SimpleNamespace(json=body, ip=ip, headers={}, args={},
                           app=SimpleNamespace(ctx=SimpleNamespace(agent=None)))


def _receive(channel: Any, received: list) -> Any:
    async def on_new_message(message: Any) -> None:
        received.append(message)

    bp = channel.blueprint(on_new_message)
    return next(r.handler for r in bp._future_routes if r.handler.__name__ == "receive")


@pytest.fixture
def rest() -> tuple[Any, list]:
    channel = GuardedRestInput()
    channel._channel_guard = ChannelGuard(LIMITS, f"rest-test-{uuid.uuid4().hex}")
    received: list = []
    return _receive(channel, received), received


@pytest.mark.parametrize("body", [None, [], ["a"], "text", 3])
async def test_rest_body_that_is_no_object_is_a_clear_400(rest, body) -> None:  # type: ignore[no-untyped-def]
    receive, received = rest
    reply = await receive(_request(body))
    assert reply.status == 400 and json.loads(reply.body) == {"error": INVALID_BODY}
    assert received == []


@pytest.mark.parametrize("sender", [None, "", 17, "a b", "4711", "-100123",
                                    "webchat:abcdefgh12", "x" * 129])
async def test_rest_needs_its_own_sender_id(rest, sender) -> None:  # type: ignore[no-untyped-def]
    """No shared "default" conversation, no Telegram chat id, no web chat conversation."""
    receive, received = rest
    body = {"message": "Hallo"} if sender is None else {"sender": sender, "message": "Hallo"}
    reply = await receive(_request(body))
    assert reply.status == 400 and json.loads(reply.body) == {"error": INVALID_SENDER}
    assert received == []


async def test_rest_megabyte_message_is_cut_with_the_web_chat_notice(rest) -> None:  # type: ignore[no-untyped-def]
    receive, received = rest
    started = time.perf_counter()
    reply = await receive(_request({"sender": "api-client-1", "message": "Pflege " * 150_000}))
    seconds = time.perf_counter() - started
    assert reply.status == 200
    assert json.loads(reply.body)[0]["text"] == TRUNCATION_NOTICE.format(limit=1000)
    assert len(received) == 1 and len(received[0].text) <= 1000
    assert received[0].sender_id == "api-client-1" and received[0].input_channel == "rest"
    assert seconds < 1.0, seconds  # the cut happens before normalising 1 MB


async def test_rest_lone_surrogate_is_dropped(rest) -> None:  # type: ignore[no-untyped-def]
    receive, received = rest
    reply = await receive(_request({"sender": "api-client-2", "message": "Hallo \ud800 Welt"}))
    assert reply.status == 200 and received[0].text == "Hallo Welt"


@pytest.fixture
def webchat(tmp_path) -> tuple[Any, list, WebchatInput]:  # type: ignore[no-untyped-def]
    channel = WebchatInput({"database_url": f"sqlite:///{tmp_path / 'outbox.db'}"})
    channel._channel_guard = ChannelGuard(LIMITS, f"webchat-test-{uuid.uuid4().hex}")
    received: list = []
    return _receive(channel, received), received, channel


async def test_webchat_lone_surrogate_gets_an_answer_not_a_500(webchat) -> None:  # type: ignore[no-untyped-def]
    receive, received, channel = webchat
    sender = "w-" + uuid.uuid4().hex[:16]
    reply = await receive(_request({"sender": sender, "message": "\ud800Pflegegrad?"}))
    assert reply.status == 200
    assert received[0].text == "Pflegegrad?"
    stored = await channel.outbox.after(conversation_id(sender), 0)
    assert [m["text"] for m in stored] == ["Pflegegrad?"]


async def test_webchat_ids_live_in_their_own_namespace(webchat) -> None:  # type: ignore[no-untyped-def]
    """A REST or Telegram conversation id typed into the widget reaches a different,
    empty web chat conversation, never the other channel's."""
    receive, received, channel = webchat
    await channel.outbox.append("rest-conversation-1", "bot", "geheim")  # another channel's id
    reply = await receive(_request({"sender": "rest-conversation-1", "message": "Hallo"}))
    assert reply.status == 200
    assert received[0].sender_id == "webchat:rest-conversation-1"
    history = await channel.outbox.after(conversation_id("rest-conversation-1"), 0)
    assert "geheim" not in [m["text"] for m in history]


async def test_150_conversations_from_one_loopback_address_are_limited() -> None:
    """No trusted proxy configured: the direct peer is the client, 127.0.0.1 included."""
    settings = SimpleNamespace(rate_limit_messages=20, rate_limit_per_ip=120,
                               rate_limit_window_seconds=60, redis_url="", trusted_proxies="",
                               max_message_chars=1000)
    guard = ChannelGuard(settings, f"webchat-ip-{uuid.uuid4().hex}")
    statuses = [(await guard.admit(_request({}, ip="127.0.0.1"), f"conv-{n}", "Hallo",
                                   offered_payloads=())).status for n in range(150)]
    assert statuses[:120] == [200] * 120 and set(statuses[120:]) == {429}
    # behind a configured proxy the forwarded client address counts instead
    proxied = ChannelGuard(SimpleNamespace(**{**vars(settings), "trusted_proxies": "127.0.0.1"}),
                           f"webchat-proxy-{uuid.uuid4().hex}")
    request = _request({}, ip="127.0.0.1")
    request.headers = {"x-forwarded-for": "198.51.100.20"}
    for n in range(120):
        assert (await proxied.admit(request, f"p-{n}", "Hallo", offered_payloads=())).allowed
    other = _request({}, ip="127.0.0.1")
    other.headers = {"x-forwarded-for": "198.51.100.21"}
    assert (await proxied.admit(other, "p-x", "Hallo", offered_payloads=())).allowed
