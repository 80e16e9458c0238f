"""Fault behaviour of the production topology, on real local processes:
nginx → 2 Rasa replicas (Redis lock store, PostgreSQL tracker store, RabbitMQ broker)
→ ActionGuard → action server. Every check of history reads Rasa's tracker store table.

The tests share one topology and run in file order; the replica kill comes last."""

from __future__ import annotations

import json
import subprocess
import threading
import time
import urllib.error
import urllib.request

import psycopg2
import pytest

from channels.action_guard import APOLOGY, GUARD_PATH, knowledge_hotline
from runtime import topology
from tests.production.conftest import pg_version
from tests.support.chat import RestChat

pytestmark = [pytest.mark.model, pytest.mark.postgres, pytest.mark.slow]


def tracker_events(cluster: topology.Cluster, sender: str) -> list[dict]:
    """All stored events of one conversation, in insertion order (tracker store table)."""
    connection = psycopg2.connect(cluster.settings.tracker_store_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT data FROM events WHERE sender_id = %s ORDER BY id", (sender,))
            return [json.loads(row[0]) for row in cursor.fetchall()]
    finally:
        connection.close()


def user_texts(events: list[dict]) -> list[str]:
    return [event.get("text") for event in events if event["event"] == "user"]


def assert_no_duplicates(events: list[dict]) -> None:
    seen = [json.dumps(event, sort_keys=True) for event in events]
    duplicates = {item for item in seen if seen.count(item) > 1}
    assert not duplicates, f"duplicated events in the tracker store: {duplicates}"


def assert_turns_not_interleaved(events: list[dict]) -> None:
    """Each user message is followed by its own bot turn, ended by action_listen, before the
    next user message starts (what the lock store guarantees across replicas)."""
    open_turn = False
    for event in events:
        if event["event"] == "user":
            assert not open_turn, "a second message was processed inside an unfinished turn"
            open_turn = True
        elif event["event"] == "action" and event.get("name") == "action_listen":
            open_turn = False
    assert not open_turn, "the last turn did not finish"


def test_public_proxy_serves_the_channels_but_not_the_api(cluster: topology.Cluster) -> None:
    token = cluster.settings.rasa_token
    for path in (f"/conversations/nobody/tracker?token={token}", f"/status?token={token}",
                 "/version", "/webhooks/action_guard/webhook", "/webhooks/callback/webhook"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(cluster.url + path, timeout=10)
        assert refused.value.code == 404, path
    # the channels are public ...
    assert RestChat(cluster.url).say_text("Hallo")
    # ... and the API is served on the internal listener only, with the token
    with urllib.request.urlopen(f"{cluster.api_url}/status?token={token}", timeout=10) as reply:
        assert reply.status == 200
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{cluster.api_url}/status", timeout=10)
    assert refused.value.code == 401


def test_guard_path_is_closed_to_the_outside(cluster: topology.Cluster) -> None:
    request = urllib.request.Request(
        cluster.api_url + GUARD_PATH, data=b"{}", headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403
    # on a replica directly, without the token, the guard refuses too
    request = urllib.request.Request(
        cluster.replica_url(0) + GUARD_PATH, data=b"{}",
        headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403


def test_two_messages_at_two_replicas_at_once_are_processed_in_order(
    cluster: topology.Cluster,
) -> None:
    first = RestChat(cluster.replica_url(0))
    second = RestChat(cluster.replica_url(1), sender=first.sender)
    assert first.say_text("Guten Tag")
    texts = ["Was ist ein Pflegegrad?", "Bist du ein Mensch?"]
    answers: dict[int, list[dict]] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def send(index: int, chat: RestChat) -> None:
        try:
            barrier.wait()
            answers[index] = chat.say(texts[index])
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=send, args=(i, c)) for i, c in enumerate([first, second])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert answers[0] and answers[1], "both replicas answered"
    events = tracker_events(cluster, first.sender)
    assert sorted(user_texts(events)[1:]) == sorted(texts)
    assert user_texts(events)[0] == "Guten Tag"
    assert_turns_not_interleaved(events)
    assert_no_duplicates(events)


def test_events_reach_rabbitmq(cluster: topology.Cluster) -> None:
    RestChat(cluster.url).say("Guten Tag")
    deadline = time.monotonic() + 15
    count = 0
    while time.monotonic() < deadline and count == 0:
        count = topology.queue_message_count(cluster.broker_queue)
        time.sleep(0.5)
    assert count > 0, "Rasa published no event to RabbitMQ"


# typed words, as a REST client sends them (the public channels treat "/intent" as text)
HUMAN = "Ich möchte mit einem Menschen sprechen"


def test_action_server_killed_mid_conversation(cluster: topology.Cluster) -> None:
    chat = RestChat(cluster.url)
    assert chat.say_text("Guten Tag")
    cluster.kill("Action-Server")
    try:
        started = time.monotonic()
        answer = chat.say_text(HUMAN)
        assert time.monotonic() - started < 15, "the user waited too long"
        assert APOLOGY in answer
        hotline = knowledge_hotline(cluster.settings.database_url, "Dortmund")
        assert hotline, "the knowledge base has the municipality's hotline"
        logs = "\n".join(line for name in cluster.replica_names
                         for line in cluster.running[name].log_tail(400).splitlines()
                         if "hotline" in line.lower() or "knowledge" in line.lower())
        assert hotline in answer, f"{answer}\n{logs}"
        # a conversation that begins now still starts (action_session_start is a custom
        # action: the guard falls back to Rasa's default session start + disclosure)
        newcomer = RestChat(cluster.url)
        assert "Pflegegrad" in newcomer.say_text("Was ist ein Pflegegrad?")
        started_events = tracker_events(cluster, newcomer.sender)
        assert any(event["event"] == "session_started" for event in started_events)
    finally:
        cluster.start(["Action-Server"])
    answer = chat.say_text(HUMAN)
    assert answer and APOLOGY not in answer
    events = tracker_events(cluster, chat.sender)
    assert user_texts(events) == ["Guten Tag", HUMAN, HUMAN]
    assert_no_duplicates(events)


def _pg_running() -> bool:
    return topology.port_open("127.0.0.1", 5432)


def test_postgres_restart_recovers_without_manual_action(cluster: topology.Cluster) -> None:
    chat = RestChat(cluster.url)
    assert chat.say_text("Guten Tag")
    version = pg_version()
    try:
        subprocess.run(["pg_ctlcluster", version, "main", "restart"], check=True, timeout=120)
        # straight after the restart: stale pooled connections must not cost a turn
        assert "Pflegegrad" in chat.say_text("Was ist ein Pflegegrad?")
        assert "kein Mensch" in chat.say_text("Bist du ein Mensch?")
    finally:
        if not _pg_running():
            subprocess.run(["pg_ctlcluster", version, "main", "start"], check=False, timeout=120)
    events = tracker_events(cluster, chat.sender)
    assert user_texts(events) == ["Guten Tag", "Was ist ein Pflegegrad?", "Bist du ein Mensch?"]
    assert_no_duplicates(events)
    assert_turns_not_interleaved(events)


def test_replica_killed_conversation_continues_on_the_other(cluster: topology.Cluster) -> None:
    chat = RestChat(cluster.url)
    sent = ["Guten Tag", "Was ist ein Pflegegrad?", "Bist du ein Mensch?", "Danke"]
    for text in sent[:2]:  # round robin: the two turns went to both replicas
        assert chat.say_text(text)
    cluster.kill("Rasa-1")
    for text in sent[2:]:
        assert chat.say_text(text), "the surviving replica answered"
    events = tracker_events(cluster, chat.sender)
    assert user_texts(events) == sent
    assert_no_duplicates(events)
    assert_turns_not_interleaved(events)
    # the surviving replica sees the whole history through the shared tracker store
    token = cluster.settings.rasa_token
    with urllib.request.urlopen(
        f"{cluster.replica_url(1)}/conversations/{chat.sender}/tracker?token={token}", timeout=10
    ) as response:
        tracker = json.loads(response.read())
    assert user_texts(tracker["events"]) == sent
