"""The web chat channel: the contract the widget (web/) relies on."""

from __future__ import annotations

import asyncio
import re
import time
import uuid

import pytest
import requests

from channels.outbox import Outbox
from channels.webchat import OutboxOutput

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def _sender() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def outbox(tmp_path) -> Outbox:
    return Outbox(f"sqlite:///{tmp_path / 'outbox.db'}")


async def test_output_channel_stores_role_buttons_and_handoff(outbox: Outbox) -> None:
    output = OutboxOutput(outbox)
    await output.send_response("abcdefgh", {
        "text": "Eine Beraterin ist da.", "role": "system", "handoff": "advisor_joined"})
    await output.send_response("abcdefgh", {
        "text": "Wobei?", "buttons": [{"title": "Pflege", "payload": "/ask_pflegegrad"}]})
    await output.send_response("abcdefgh", {"text": "Guten Tag", "role": "advisor"})
    stored = await outbox.after("abcdefgh", 0)
    assert [m["role"] for m in stored] == ["system", "bot", "advisor"]
    assert stored[0]["handoff"] == "advisor_joined" and "handoff" not in stored[1]
    assert stored[1]["buttons"] == [{"title": "Pflege", "payload": "/ask_pflegegrad"}]
    assert all(ISO.match(m["timestamp"]) for m in stored)
    assert output.messages == stored


async def test_long_poll_wakes_up_on_new_message(outbox: Outbox) -> None:
    started = time.monotonic()
    waiter = asyncio.create_task(outbox.wait_after("abcdefgh", 0, timeout=10))
    await asyncio.sleep(0.3)
    await outbox.append("abcdefgh", "advisor", "Hallo")
    messages = await waiter
    assert [m["text"] for m in messages] == ["Hallo"]
    assert time.monotonic() - started < 2
    assert await outbox.wait_after("abcdefgh", messages[0]["id"], timeout=0.3) == []


# --- against the running Rasa server --------------------------------------------------------

@pytest.mark.model
def test_bad_requests_get_a_german_error(bot_stack) -> None:
    url = f"{bot_stack.rasa_url}/webhooks/webchat/webhook"
    response = requests.post(url, data="{kein json", headers={"Content-Type": "application/json"},
                             timeout=10)
    assert response.status_code == 400 and "JSON" in response.json()["error"]
    response = requests.post(url, json={"message": "Hallo"}, timeout=10)
    assert response.status_code == 400 and "sender" in response.json()["error"]
    response = requests.post(url, json={"sender": "kurz", "message": "Hallo"}, timeout=10)
    assert response.status_code == 400
    response = requests.post(url, json={"sender": _sender(), "message": "  "}, timeout=10)
    assert response.status_code == 400 and "leer" in response.json()["error"]


@pytest.mark.model
def test_turn_history_and_long_poll(bot_stack) -> None:
    base, sender = f"{bot_stack.rasa_url}/webhooks/webchat", _sender()
    response = requests.post(f"{base}/webhook", json={
        "sender": sender, "message": "Guten Tag", "metadata": {"municipality": "Dortmund"}},
        timeout=60)
    assert response.status_code == 200
    messages = response.json()["messages"]
    assert messages and all(m["role"] == "bot" for m in messages)
    assert "digitaler Assistent" in messages[0]["text"]
    assert any(b["title"] == "Pflege" for m in messages for b in m.get("buttons", []))
    history = requests.get(f"{base}/history", params={"sender": sender}, timeout=10).json()
    assert history["messages"][0]["role"] == "user"
    assert history["messages"][0]["text"] == "Guten Tag"
    assert [m["id"] for m in history["messages"][1:]] == [m["id"] for m in messages]
    # a second tab polling from the start sees everything, in order
    polled = requests.get(f"{base}/messages", params={"sender": sender, "after": 0},
                          timeout=30).json()["messages"]
    assert [m["id"] for m in polled] == [m["id"] for m in history["messages"]]
    # nothing new: the long poll ends empty
    started = time.monotonic()
    empty = requests.get(f"{base}/messages", params={
        "sender": sender, "after": messages[-1]["id"], "timeout": 1}, timeout=30).json()
    assert empty == {"messages": []} and time.monotonic() - started >= 0.9


@pytest.mark.model
def test_bot_event_through_http_api_reaches_the_widget(bot_stack) -> None:
    """How advisor replies travel: Rasa's HTTP API with output_channel=webchat."""
    base, sender = f"{bot_stack.rasa_url}/webhooks/webchat", _sender()
    first = requests.post(f"{base}/webhook", json={"sender": sender, "message": "Hallo"},
                          timeout=60).json()["messages"]
    after = first[-1]["id"]
    response = requests.post(
        f"{bot_stack.rasa_url}/conversations/{sender}/tracker/events",
        params={"output_channel": "webchat", "execute_side_effects": "true",
                "token": bot_stack.rasa_token},
        json={"event": "bot", "text": "Hier ist Frau Schneider.", "metadata": {"role": "advisor"}},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    polled = requests.get(f"{base}/messages", params={"sender": sender, "after": after},
                          timeout=30).json()["messages"]
    assert [(m["role"], m["text"]) for m in polled] == [("advisor", "Hier ist Frau Schneider.")]
