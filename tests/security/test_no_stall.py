"""No input stalls a service, against the running stack: while clients push 1 MB
bodies at the public chat channels, the health endpoints and an ordinary web chat turn still
answer within 2 s, the huge bodies are refused unread (413), and a long but acceptable message
is cut with a German notice."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import requests

from quartierslotse.settings import Settings

pytestmark = pytest.mark.model

ONE_MB = "Pflege " * (1_048_576 // 7)
FLOODERS = 4
ROUNDS = 3


def _flood(url: str, statuses: list[int], errors: list[str]) -> None:
    for _ in range(ROUNDS):
        try:
            reply = requests.post(url, timeout=30, data=(
                '{"sender": "flood' + uuid.uuid4().hex[:10] + '", "message": "' + ONE_MB + '"}'
            ), headers={"Content-Type": "application/json"})
            statuses.append(reply.status_code)
        except requests.RequestException as exc:  # a reset connection is a refusal too
            errors.append(type(exc).__name__)


def _timed(call) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    call()
    return time.monotonic() - started


def test_huge_bodies_do_not_stall_the_others(bot_stack: Settings) -> None:
    statuses: list[int] = []
    errors: list[str] = []
    targets = [f"{bot_stack.rasa_url}/webhooks/rest/webhook",
               f"{bot_stack.rasa_url}/webhooks/webchat/webhook"]
    flooders = [threading.Thread(target=_flood, args=(targets[i % 2], statuses, errors))
                for i in range(FLOODERS)]
    for thread in flooders:
        thread.start()
    sender = "stall" + uuid.uuid4().hex[:12]
    timings: dict[str, list[float]] = {"rasa": [], "web": [], "turn": []}
    try:
        while any(thread.is_alive() for thread in flooders):
            timings["rasa"].append(_timed(lambda: requests.get(
                f"{bot_stack.rasa_url}/", timeout=10).raise_for_status()))
            timings["web"].append(_timed(lambda: requests.get(
                f"http://127.0.0.1:{bot_stack.web_port}/health", timeout=10).raise_for_status()))
            timings["turn"].append(_timed(lambda: requests.post(
                targets[1], json={"sender": sender, "message": "Was ist ein Pflegegrad?"},
                timeout=10).raise_for_status()))
    finally:
        for thread in flooders:
            thread.join(timeout=120)
    assert all(timings.values()), timings
    slowest = {name: max(values) for name, values in timings.items()}
    print(f"slowest answers while flooded: {slowest}")
    assert all(seconds < 2.0 for seconds in slowest.values()), slowest
    assert set(statuses) <= {413}, statuses  # refused before the body is read
    assert len(statuses) + len(errors) == FLOODERS * ROUNDS


def test_a_long_message_within_the_limit_is_cut_with_a_notice(bot_stack: Settings) -> None:
    text = "Ich habe eine Frage zur Pflege meiner Mutter. " * 2_000  # ~92 KB: below the cap
    reply = requests.post(f"{bot_stack.rasa_url}/webhooks/rest/webhook", timeout=60,
                          json={"sender": "long" + uuid.uuid4().hex[:12], "message": text})
    assert reply.status_code == 200
    assert any("sehr lang" in message.get("text", "") for message in reply.json())
