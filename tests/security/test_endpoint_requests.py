"""Rasa's endpoint requests over one kept-alive session (security.endpoint_requests): what the
endpoint receives and what Rasa gets back are as with Rasa's own request; one connection."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
import pytest
from aiohttp import web
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from security import endpoint_requests

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def _with_server(handler: Handler, client: Callable[[str], Awaitable[Any]]) -> Any:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        return await client(f"http://127.0.0.1:{port}")
    finally:
        await endpoint_requests.shared_session().close()
        await runner.cleanup()


def _conversation() -> dict[str, Any]:
    """An action call's tracker state: parse data with confidences, umlauts, a slash, None."""
    tracker = DialogueStateTracker.from_events("s", [
        ActionExecuted("action_listen"),
        UserUttered("Wo ist das Seniorenbüro in Dortmund-Hörde? 1/2", {
            "name": "find_office", "confidence": 0.9972670078277588},
            [{"entity": "place", "value": "Hörde", "start": 28, "end": 33}],
            parse_data={"intent_ranking": [{"name": "find_office", "confidence": 0.99},
                                           {"name": "inform_location", "confidence": 5e-4}]}),
        SlotSet("place", "Hörde"), SlotSet("last_office", None),
    ], slots=Domain.empty().slots)
    return tracker.current_state(EventVerbosity.ALL)


def test_an_action_call_reaches_the_endpoint_as_rasa_sends_it() -> None:
    seen: list[dict[str, Any]] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append({"body": await request.json(), "query": dict(request.query),
                     "type": request.content_type, "auth": request.headers.get("Authorization"),
                     "custom": request.headers.get("X-Aufruf"), "path": request.path})
        return web.json_response({"events": [], "responses": [{"text": "Hallo"}]})

    endpoint = EndpointConfig("http://placeholder/webhook", token="geheim",
                              headers={"X-Aufruf": "rasa"},
                              basic_auth={"username": "a", "password": "b"})
    body = _conversation()

    async def call(url: str) -> Any:
        endpoint.url = f"{url}/webhook"
        return await endpoint_requests.request(endpoint, json=body, method="post", timeout=10)

    answer = asyncio.run(_with_server(handler, call))
    assert answer == {"events": [], "responses": [{"text": "Hallo"}]}
    assert seen == [{"body": body, "query": {"token": "geheim"}, "type": "application/json",
                     "auth": "Basic YTpi", "custom": "rasa", "path": "/webhook"}]


def test_many_requests_share_one_connection() -> None:
    peers: list[Any] = []

    async def handler(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername"))  # type: ignore[union-attr]
        return web.json_response({"ok": True})

    async def calls(url: str) -> list[Any]:
        endpoint = EndpointConfig(f"{url}/webhook")
        return [await endpoint_requests.request(endpoint, json={"n": n}) for n in range(10)]

    assert asyncio.run(_with_server(handler, calls)) == [{"ok": True}] * 10
    assert len(peers) == 10 and len(set(peers)) == 1


def test_errors_and_answers_without_json_come_back_as_from_rasas_request() -> None:
    async def handler(request: web.Request) -> web.Response:
        if request.path == "/kaputt":
            return web.Response(status=404, text="nicht da")
        return web.Response(text="kein JSON")

    async def calls(url: str) -> tuple[Any, ClientResponseError]:
        endpoint = EndpointConfig(url)
        plain = await endpoint_requests.request(endpoint, subpath="text", method="get")
        with pytest.raises(ClientResponseError) as failed:
            await endpoint_requests.request(endpoint, subpath="/kaputt")
        return plain, failed.value

    plain, error = asyncio.run(_with_server(handler, calls))
    assert plain is None
    assert error.status == 404 and error.text == b"nicht da"


def test_json_is_the_same_as_the_json_modules() -> None:
    state = _conversation()
    assert json.loads(endpoint_requests.dumps(state)) == json.loads(json.dumps(state)) == state
    assert endpoint_requests.dumps({"x": float("nan")}) == '{"x":NaN}'
    with pytest.raises(TypeError):
        endpoint_requests.dumps({"x": np.float32(1.5)})  # as json.dumps: not serialisable
