"""Unit tests of the action guard and the Rasa stores (channels/; no model, no Rasa process)."""

from __future__ import annotations

import asyncio
import threading
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp import web

from channels import action_guard
from channels.action_guard import APOLOGY, ActionGuard, fallback_response
from channels.rasa_stores import AtomicRedisLockStore
from quartierslotse.settings import get_settings
from runtime import topology


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    from knowledge.bootstrap import ensure_database

    url = f"sqlite:///{tmp_path / 'kb.db'}"
    ensure_database(url)
    configured = replace(get_settings(), database_url=url, default_municipality="")
    monkeypatch.setattr(action_guard, "get_settings", lambda: configured)
    action_guard._hotline_cache.clear()
    return configured


def call(slots: dict | None = None, events: list | None = None, action: str = "action_x") -> dict:
    return {"next_action": action, "tracker": {"slots": slots or {}, "events": events or []},
            "domain": {"responses": {"utter_disclosure": [{"text": "…"}]}}}


def test_fallback_names_the_national_hotlines_without_a_municipality(settings) -> None:
    answer = asyncio.run(fallback_response(call()))
    text = answer["responses"][0]["text"]
    assert answer["events"] == []
    assert text.startswith(APOLOGY)
    assert "030 20179131" in text and "115" in text


def test_fallback_names_the_municipality_hotline_from_the_knowledge_base(settings) -> None:
    expected = action_guard.knowledge_hotline(settings.database_url, "Dortmund")
    assert expected, "the seed data has a hotline for Dortmund"
    text = asyncio.run(fallback_response(call({"municipality": "Dortmund"})))["responses"][0]
    assert expected in text["text"]
    assert "030 20179131" not in text["text"]


def test_fallback_is_sent_once_per_turn(settings) -> None:
    events = [{"event": "user", "text": "hallo"}, {"event": "bot", "text": APOLOGY + " …"}]
    assert asyncio.run(fallback_response(call(events=events))) == {"events": [], "responses": []}
    events.append({"event": "user", "text": "und jetzt?"})
    assert asyncio.run(fallback_response(call(events=events)))["responses"]


def test_failed_session_start_still_starts_the_session_with_the_disclosure(settings) -> None:
    answer = asyncio.run(fallback_response(call(action="action_session_start")))
    assert [event["event"] for event in answer["events"]] == ["session_started", "action"]
    assert answer["responses"] == [{"response": "utter_disclosure"}]


async def _serve(handler) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/webhook", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    port = topology.free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}/webhook"


def test_guard_forwards_answers_and_reports_failures(settings) -> None:
    async def scenario() -> None:
        async def ok(request: web.Request) -> web.Response:
            assert request.headers.get("X-Action-Token") == "secret"
            return web.json_response({"events": [], "responses": [{"text": "echt"}]})

        async def broken(_: web.Request) -> web.Response:
            return web.Response(status=500)

        for handler, expected in ((ok, 200), (broken, None)):
            runner, url = await _serve(handler)
            guard = ActionGuard(upstream=url, timeout=5, token="")
            try:
                result = await guard.forward(b"{}", {"Content-Type": "application/json",
                                                     "X-Action-Token": "secret"})
                assert (result[0] if result else None) == expected
            finally:
                await runner.cleanup()
                if guard._session:
                    await guard._session.close()
        guard = ActionGuard(upstream=f"http://127.0.0.1:{topology.free_port()}/webhook",
                            timeout=2, token="")
        assert await guard.forward(b"{}", {}) is None  # connection refused
        await guard._session.close()

    asyncio.run(scenario())


def test_atomic_lock_store_never_hands_out_a_ticket_twice() -> None:
    stores = [AtomicRedisLockStore(host="127.0.0.1", port=6379, db=0, key_prefix="qltest")
              for _ in range(4)]
    conversation = f"lock-{uuid.uuid4().hex}"
    tickets: list[int] = []
    barrier = threading.Barrier(len(stores))

    def draw(store: AtomicRedisLockStore) -> None:
        barrier.wait()
        for _ in range(25):
            tickets.append(store.issue_ticket(conversation, 60))

    threads = [threading.Thread(target=draw, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    try:
        assert sorted(tickets) == list(range(len(stores) * 25))
    finally:
        stores[0].delete_lock(conversation)
