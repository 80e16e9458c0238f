"""The web chat channel: the contract the widget (web/) relies on."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid

import pytest
import requests

from channels.outbox import Outbox
from channels.webchat import (
    DELETE_FAILED,
    RATE_LIMITED,
    OutboxOutput,
    WebchatInput,
    conversation_id,
)

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


async def test_emergency_and_waiting_notes_keep_their_handoff_state(outbox: Outbox) -> None:
    """The widget and the console read the state of a system message: an emergency sent while
    queued and the waiting reminder must keep it; an unknown state is dropped."""
    output = OutboxOutput(outbox)
    for state in ("emergency", "waiting", "erfunden"):
        await output.send_response("abcdefgh", {"text": "Hinweis", "role": "system",
                                                "handoff": state})
    stored = await outbox.after("abcdefgh", 0)
    assert [m.get("handoff") for m in stored] == ["emergency", "waiting", None]
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


# --- DELETE /conversation in process (rate limit, failures, Rasa's conversation lock) -------

def _route(channel: WebchatInput, name: str):  # noqa: ANN202
    async def ignore(_message) -> None:  # noqa: ANN001
        return None

    bp = channel.blueprint(ignore)
    return next(r.handler for r in bp._future_routes if r.handler.__name__ == name)


def _delete_request(sender: str, agent: object = None):  # noqa: ANN202
    from types import SimpleNamespace

    return SimpleNamespace(args={"sender": sender}, ip="203.0.113.9", headers={},
                           app=SimpleNamespace(ctx=SimpleNamespace(agent=agent)))


@pytest.fixture
def channel(tmp_path, monkeypatch) -> WebchatInput:
    from types import SimpleNamespace

    from security.channel_guard import ChannelGuard

    channel = WebchatInput({"database_url": f"sqlite:///{tmp_path / 'outbox.db'}"})
    limits = SimpleNamespace(rate_limit_messages=2, rate_limit_per_ip=100,
                             rate_limit_window_seconds=60, redis_url="", trusted_proxies="",
                             max_message_chars=1000)
    channel.guard = ChannelGuard(limits, f"webchat-test-{uuid.uuid4().hex}")
    channel.deleted = []  # type: ignore[attr-defined]
    monkeypatch.setattr(channel, "_delete_conversation", channel.deleted.append)
    return channel


async def test_delete_holds_rasas_conversation_lock_and_is_rate_limited(channel) -> None:
    from types import SimpleNamespace

    from rasa.core.lock_store import InMemoryLockStore

    lock_store = InMemoryLockStore()
    seen = []
    channel._delete_conversation = lambda s: seen.append(lock_store.is_someone_waiting(s))
    delete, sender = _route(channel, "delete"), _sender()
    agent = SimpleNamespace(lock_store=lock_store)
    reply = await delete(_delete_request(sender, agent))
    assert reply.status == 200 and reply.body == b'{"deleted":true}'
    assert seen == [True]  # deleted while holding the lock a running turn holds as well
    assert lock_store.get_lock(conversation_id(sender)) is None  # released afterwards
    assert (await delete(_delete_request(sender))).status == 200
    limited = await delete(_delete_request(sender))
    assert limited.status == 429 and json.loads(limited.body)["error"] == RATE_LIMITED
    assert "Retry-After" in limited.headers


async def test_failed_deletion_answers_503_in_german(channel) -> None:
    def broken(_sender: str) -> None:
        raise RuntimeError("database is locked")

    channel._delete_conversation = broken
    reply = await _route(channel, "delete")(_delete_request(_sender()))
    assert reply.status == 503
    assert json.loads(reply.body) == {"error": DELETE_FAILED}  # no internals


async def test_delete_refuses_bad_ids_before_anything_else(channel) -> None:
    reply = await _route(channel, "delete")(_delete_request("abcdefgh\n"))
    assert reply.status == 400 and channel.deleted == []


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
        f"{bot_stack.rasa_url}/conversations/{conversation_id(sender)}/tracker/events",
        params={"output_channel": "webchat", "execute_side_effects": "true",
                "token": bot_stack.rasa_token},
        json={"event": "bot", "text": "Hier ist Frau Schneider.", "metadata": {"role": "advisor"}},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    polled = requests.get(f"{base}/messages", params={"sender": sender, "after": after},
                          timeout=30).json()["messages"]
    assert [(m["role"], m["text"]) for m in polled] == [("advisor", "Hier ist Frau Schneider.")]


def _user_events(bot_stack, sender: str) -> list[dict]:
    tracker = requests.get(f"{bot_stack.rasa_url}/conversations/{conversation_id(sender)}/tracker",
                           params={"token": bot_stack.rasa_token}, timeout=30)
    assert tracker.status_code == 200, tracker.text[:300]
    return [e for e in tracker.json().get("events") or [] if e.get("event") == "user"]


@pytest.mark.model
def test_conversation_is_deleted_on_request(bot_stack) -> None:
    """GDPR deletion on request from the widget: whoever holds the conversation id."""
    from security.headers import allowed_origins

    base, sender, other = f"{bot_stack.rasa_url}/webhooks/webchat", _sender(), _sender()
    for who in (sender, other):
        for text in ("Guten Tag", "Was ist ein Pflegegrad?"):
            reply = requests.post(f"{base}/webhook", json={"sender": who, "message": text},
                                  timeout=60)
            assert reply.status_code == 200, reply.text[:300]
    assert len(_user_events(bot_stack, sender)) == 2

    # the widget runs on the city's origin: the CORS preflight must allow DELETE
    origin = allowed_origins(bot_stack)[0]
    preflight = requests.options(f"{base}/conversation", timeout=10, headers={
        "Origin": origin, "Access-Control-Request-Method": "DELETE"})
    assert preflight.headers.get("Access-Control-Allow-Origin") == origin
    assert "DELETE" in preflight.headers.get("Access-Control-Allow-Methods", "")

    reply = requests.delete(f"{base}/conversation", params={"sender": sender}, timeout=60)
    assert reply.status_code == 200, reply.text[:300]
    assert reply.json() == {"deleted": True}
    history = requests.get(f"{base}/history", params={"sender": sender}, timeout=10).json()
    assert history == {"messages": []}
    assert _user_events(bot_stack, sender) == []
    # nobody else's conversation is touched
    assert len(requests.get(f"{base}/history", params={"sender": other},
                            timeout=10).json()["messages"]) >= 4
    assert len(_user_events(bot_stack, other)) == 2
    # deleting again (a second click, a second tab) is no error
    again = requests.delete(f"{base}/conversation", params={"sender": sender}, timeout=60)
    assert again.status_code == 200 and again.json() == {"deleted": True}


@pytest.mark.model
@pytest.mark.parametrize("params", [{}, {"sender": "kurz"}, {"sender": "abcdefgh\n"},
                                    {"sender": "../../etc/passwd"}, {"sender": "x" * 65}])
def test_deletion_with_a_bad_conversation_id_is_refused(bot_stack, params) -> None:
    reply = requests.delete(f"{bot_stack.rasa_url}/webhooks/webchat/conversation",
                            params=params, timeout=10)
    assert reply.status_code == 400
    assert "ungültig" in reply.json()["error"]


# --- a retry of a message that already arrived is answered once ---------------------------

def _post_request(sender: str, text: str, message_id: str, agent: object = None,  # noqa: ANN202
                  retry: bool = False):
    from types import SimpleNamespace

    metadata: dict[str, object] = {"message_id": message_id}
    if retry:
        metadata["retry"] = True
    return SimpleNamespace(json={"sender": sender, "message": text, "metadata": metadata},
                           ip="203.0.113.9", headers={},
                           app=SimpleNamespace(ctx=SimpleNamespace(agent=agent)))


async def test_a_retried_message_reaches_rasa_once(channel) -> None:
    handled = []

    async def rasa(message) -> None:  # noqa: ANN001
        handled.append((message.text, message.metadata.get("message_id")))

    bp = channel.blueprint(rasa)
    receive = next(r.handler for r in bp._future_routes if r.handler.__name__ == "receive")
    sender, first_id = _sender(), uuid.uuid4().hex
    await receive(_post_request(sender, "Was ist ein Pflegegrad?", first_id))
    retry = await receive(_post_request(sender, "Was ist ein Pflegegrad?", first_id))
    assert json.loads(retry.body) == {"messages": [], "repeated": True}
    # the same words as a new message (new id) are a new turn
    await receive(_post_request(sender, "Was ist ein Pflegegrad?", uuid.uuid4().hex))
    assert [text for text, _ in handled] == ["Was ist ein Pflegegrad?"] * 2
    stored = [m for m in channel.outbox.after_sync(conversation_id(sender), 0)
              if m["role"] == "user"]
    assert len(stored) == 2  # the retry added no second copy to the conversation


async def test_a_retry_reaching_another_replica_is_found_in_the_tracker(channel) -> None:
    from types import SimpleNamespace

    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    sender, first_id = _sender(), uuid.uuid4().hex
    tracker = DialogueStateTracker(conversation_id(sender), [])
    tracker.update(UserUttered("Hallo", metadata={"message_id": first_id}))

    class Store:
        async def retrieve(self, conversation: str) -> DialogueStateTracker | None:
            return tracker if conversation == tracker.sender_id else None

    handled = []

    async def rasa(message) -> None:  # noqa: ANN001
        handled.append(message.text)

    bp = channel.blueprint(rasa)
    receive = next(r.handler for r in bp._future_routes if r.handler.__name__ == "receive")
    agent = SimpleNamespace(tracker_store=Store())
    reply = await receive(_post_request(sender, "Hallo", first_id, agent, retry=True))
    assert json.loads(reply.body)["repeated"] is True and handled == []


def test_seen_messages_forget_after_their_time_and_stay_bounded() -> None:
    from channels.repeats import SeenMessages

    seen = SeenMessages(seconds=10, at_most=3)
    assert seen.first_time("a", now=0) and not seen.first_time("a", now=5)
    assert seen.first_time("a", now=16)  # forgotten after 10 s
    for key in "bcd":
        assert seen.first_time(key, now=17)
    assert seen.first_time("a", now=18)  # the oldest was dropped to stay at 3
