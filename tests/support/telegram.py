"""A fake Telegram Bot API on loopback that speaks the real protocol
(`POST /bot<token>/<method>`, `{"ok": true, "result": …}` or `{"ok": false, "error_code": …}`)
and records every call. It runs in its own thread, so the channel under test may be in this
process (a Sanic app in the test's loop) or in a Rasa server process.

Failures are scripted the way Telegram answers them: a chat that blocked the bot gets 403
"Forbidden: bot was blocked by the user"; `throttle(chat, n, retry_after)` answers the next `n`
sendMessage calls of a chat with 429 and `parameters.retry_after`; `fail_methods` answers 400.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

TOKEN = "123456:TEST-token"


class FakeBotApi:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.call_times: list[float] = []
        self.fail_methods: set[str] = set()
        self.blocked_chats: set[str] = set()
        # (chat id, method) -> retry_after of the next 429 answers
        self._throttled: dict[tuple[str, str], list[int]] = {}
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # ------------------------------------------------------------------ life cycle
    def start(self) -> FakeBotApi:
        started = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(started,), daemon=True)
        self._thread.start()
        if not started.wait(10):
            raise RuntimeError("fake Bot API did not start")
        return self

    def _serve(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)

        async def setup() -> None:
            app = web.Application()
            app.router.add_post("/bot{token}/{method}", self._handle)
            self._runner = web.AppRunner(app, access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            self.url = f"http://127.0.0.1:{port}"

        self._loop.run_until_complete(setup())
        started.set()
        self._loop.run_forever()

    def close(self) -> None:
        if self._thread is None:
            return
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._thread = None

    async def stop(self) -> None:
        """For async tests: close without blocking their event loop for long."""
        await asyncio.to_thread(self.close)

    # ------------------------------------------------------------------ scripting
    def throttle(self, chat_id: int | str, times: int, retry_after: int,
                 method: str = "sendMessage") -> None:
        """Answer the next `times` calls of `method` for the chat with 429 "retry after"."""
        with self._lock:
            self._throttled[(str(chat_id), method)] = [retry_after] * times

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.call_times.clear()
            self.fail_methods.clear()
            self.blocked_chats.clear()
            self._throttled.clear()

    # ------------------------------------------------------------------ protocol
    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        try:
            payload = await request.json()
        except json.JSONDecodeError:
            return _error(400, "Bad Request: invalid JSON")
        chat = str(payload.get("chat_id", "")) if isinstance(payload, dict) else ""
        with self._lock:
            self.calls.append((method, payload))
            self.call_times.append(time.monotonic())
            pending = self._throttled.get((chat, method))
            retry_after = pending.pop(0) if pending else None
        if chat in self.blocked_chats:
            return _error(403, "Forbidden: bot was blocked by the user")
        if retry_after is not None:
            return _error(429, f"Too Many Requests: retry after {retry_after}",
                          {"retry_after": retry_after})
        if method in self.fail_methods:
            return _error(400, "Bad Request: chat not found")
        result: Any = True
        if method == "sendMessage":
            result = {"message_id": len(self.calls), "date": int(time.time()),
                      "chat": {"id": int(chat), "type": "private"}, "text": payload.get("text")}
        return web.json_response({"ok": True, "result": result})

    # ------------------------------------------------------------------ inspection
    def sent(self, method: str = "sendMessage", chat_id: int | str | None = None) -> list[dict]:
        with self._lock:
            return [payload for name, payload in self.calls if name == method
                    and (chat_id is None or str(payload.get("chat_id")) == str(chat_id))]

    def wait_for(self, condition: Callable[[], bool], timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.1)
        return condition()


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


def text_update(text: str, chat_id: int = 4711, update_id: int = 1,
                chat_type: str = "private") -> dict[str, Any]:
    """A Bot API `message` update as Telegram sends it to the webhook."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": 10,
            "date": 1700000000,
            "chat": {"id": chat_id, "type": chat_type, "first_name": "Anna"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Anna"},
            "text": text,
        },
    }
