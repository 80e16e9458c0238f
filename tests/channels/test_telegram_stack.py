"""Telegram through the REAL Rasa server of the test stack (trained model, action server):
updates are posted to `/webhooks/telegram/webhook` as Telegram posts them, the bot answers
through the fake Bot API (`telegram_api` fixture, tests/support/telegram.py), and the
tracker is read back through Rasa's HTTP API. When Telegram refuses the answers (403: the user
blocked the bot; 429: too many requests), everything the user wrote is in the tracker."""

from __future__ import annotations

import itertools
import random
import time
from typing import Any

import pytest
import requests

from channels.telegram import PRIVATE_ONLY_NOTICE
from quartierslotse.settings import Settings
from tests.support.telegram import FakeBotApi, text_update

pytestmark = pytest.mark.model

_update_ids = itertools.count(random.randrange(10**6, 10**7))


def new_chat() -> int:
    return random.randrange(10**8, 10**9)


def post(stack: Settings, update: dict[str, Any]) -> None:
    response = requests.post(f"{stack.rasa_url}/webhooks/telegram/webhook", json=update,
                             timeout=90)
    assert response.status_code == 200, response.text


def say(stack: Settings, chat: int, text: str) -> None:
    post(stack, text_update(text, chat_id=chat, update_id=next(_update_ids)))


def tracker_events(stack: Settings, chat: int) -> list[dict[str, Any]]:
    response = requests.get(f"{stack.rasa_url}/conversations/{chat}/tracker",
                            params={"token": stack.rasa_token}, timeout=30)
    response.raise_for_status()
    return list(response.json()["events"])


def user_texts(stack: Settings, chat: int) -> list[str]:
    return [e.get("text") or "" for e in tracker_events(stack, chat) if e["event"] == "user"]


def bot_texts(stack: Settings, chat: int) -> list[str]:
    return [e.get("text") or "" for e in tracker_events(stack, chat) if e["event"] == "bot"]


@pytest.fixture
def api(telegram_api: FakeBotApi) -> FakeBotApi:
    telegram_api.reset()
    return telegram_api


def test_blocked_bot_keeps_every_user_message_and_is_not_retried(
    bot_stack: Settings, api: FakeBotApi
) -> None:
    chat = new_chat()
    api.blocked_chats.add(str(chat))
    messages = ["Was ist ein Pflegegrad?", "Ich möchte mit einem Menschen sprechen"]
    for text in messages:
        say(bot_stack, chat, text)
    assert user_texts(bot_stack, chat) == messages
    assert bot_texts(bot_stack, chat)  # the turns ran to their end and were saved
    # one refused call per message the user wrote: after a 403 nothing more is tried
    assert len(api.sent("sendMessage", chat) + api.sent("sendChatAction", chat)) == len(messages)


def test_429_twice_keeps_the_message_and_delivers_after_retry_after(
    bot_stack: Settings, api: FakeBotApi
) -> None:
    chat = new_chat()
    api.throttle(chat, times=2, retry_after=1)
    say(bot_stack, chat, "Was ist ein Pflegegrad?")
    assert user_texts(bot_stack, chat) == ["Was ist ein Pflegegrad?"]
    sent = api.sent("sendMessage", chat)
    assert len(sent) >= 3 and sent[0] == sent[1] == sent[2]  # 429, 429, delivered
    delivered = {m["text"] for m in sent[2:]}
    assert all(text in delivered for text in bot_texts(bot_stack, chat) if text)
    times = [t for (method, payload), t in zip(api.calls, api.call_times, strict=True)
             if method == "sendMessage" and str(payload.get("chat_id")) == str(chat)]
    assert times[1] - times[0] >= 0.95 and times[2] - times[1] >= 0.95


def test_group_chat_gets_one_line_and_nothing_reaches_rasa(
    bot_stack: Settings, api: FakeBotApi
) -> None:
    group = -new_chat()
    for _ in range(2):
        post(bot_stack, text_update("Hallo Bot", chat_id=group, update_id=next(_update_ids),
                                    chat_type="supergroup"))
    assert [m["text"] for m in api.sent("sendMessage", group)] == [PRIVATE_ONLY_NOTICE]
    assert user_texts(bot_stack, group) == []


def test_shared_location_finds_the_nearest_offices(bot_stack: Settings, api: FakeBotApi) -> None:
    chat = new_chat()
    update = text_update("x", chat_id=chat, update_id=next(_update_ids))
    del update["message"]["text"]
    update["message"]["location"] = {"latitude": 51.4790, "longitude": 6.8640}  # Oberhausen
    post(bot_stack, update)
    answer = "\n".join(m["text"] for m in api.sent("sendMessage", chat))
    assert "Oberhausen" in answer and "Quartiersbüro" in answer, answer
    events = tracker_events(bot_stack, chat)
    assert any(e["event"] == "slot" and e["name"] == "place" and e["value"] == "51.47900, 6.86400"
               for e in events)


def test_photo_caption_is_answered_like_text(bot_stack: Settings, api: FakeBotApi) -> None:
    chat = new_chat()
    update = text_update("x", chat_id=chat, update_id=next(_update_ids))
    del update["message"]["text"]
    update["message"]["photo"] = [{"file_id": "p1", "width": 90, "height": 90}]
    update["message"]["caption"] = "Was ist ein Pflegegrad?"
    post(bot_stack, update)
    assert user_texts(bot_stack, chat) == ["Was ist ein Pflegegrad?"]
    deadline = time.monotonic() + 10
    while not api.sent("sendMessage", chat) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "Pflege" in "\n".join(m["text"] for m in api.sent("sendMessage", chat))
