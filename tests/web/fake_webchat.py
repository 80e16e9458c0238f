"""A small in-memory fake of the webchat channel contract (channels/webchat.py), for fast
widget tests without a trained model. Runs an aiohttp server in a background thread. It can
be stopped (`go_offline`) or made to hang (`hang = True`: accepts, reads, never answers)."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from typing import Any

from aiohttp import web

TOPICS = [
    {"title": "Pflege", "payload": "/ask_pflegegrad"},
    {"title": "Vorsorge", "payload": "/ask_vorsorgevollmacht"},
    {"title": "Begegnung", "payload": "/ask_begegnung"},
    {"title": "Wohnen", "payload": "/ask_wohnen"},
    {"title": "Büro finden", "payload": "/find_office"},
]
PFLEGEGELD_QUESTION = "Wie viel Pflegegeld bekommt man bei Pflegegrad 3?"
# as long as the real answer (four lines and a button whose title differs from the topic's)
PFLEGEGELD_ANSWER = (
    "Bei Pflegegrad 3 gibt es jeden Monat Pflegegeld, wenn Angehörige oder Bekannte zu Hause "
    "pflegen.\nSie können es frei verwenden.\nStand und Quelle stehen im Bescheid der "
    "Pflegekasse.\nPersönliche Beratung bekommen Sie im Büro in Ihrer Nähe."
)
ANSWERS = {
    "/greet": (
        "Guten Tag! Ich bin der Quartierslotse, ein digitaler Assistent – kein Mensch.\n"
        "Wobei kann ich Ihnen helfen?",
        TOPICS,
    ),
    "/ask_pflegegrad": (
        "Ein Pflegegrad zeigt, wie viel Hilfe jemand im Alltag braucht. Den Antrag "
        "stellen Sie bei der Pflegekasse.",
        None,
    ),
    "/ask_vorsorgevollmacht": (
        "Mit einer Vorsorgevollmacht bestimmen Sie eine Person Ihres "
        "Vertrauens. Fragen? Telefon 0231 50-0 oder https://www.dortmund.de/senioren",
        None,
    ),
    "/request_human": ("Ich gebe Ihr Anliegen an eine Beraterin oder einen Berater weiter.", None),
    "/find_office": ("Das Seniorenbüro Innenstadt ist heute bis 16 Uhr geöffnet.", None),
    PFLEGEGELD_QUESTION: (
        PFLEGEGELD_ANSWER,
        [{"title": "Büro in meiner Nähe finden", "payload": "/find_office"}],
    ),
}


class FakeWebchat:
    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.next_id = 1
        self.received: list[dict[str, Any]] = []
        self.deleted: list[str] = []
        # message id -> {"value", "text"} as POST /rating stored it (a second one replaces)
        self.ratings: dict[int, dict[str, Any]] = {}
        self.fail_delete = False  # True: DELETE /conversation answers 503
        # True: the server hangs. It accepts each connection and reads the request, then never
        # answers (not even the CORS preflight); requests that hung stay unanswered until stop()
        self.hang = False
        self.hung: list[str] = []  # "METHOD /path" of each request that got no answer
        self.url = ""
        self.port = 0
        self._site: web.TCPSite | None = None
        self._loop = asyncio.new_event_loop()
        self._changed: asyncio.Condition | None = None
        self._stopping: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    # ---- store ----
    def _append(self, sender: str, role: str, text: str, buttons=None, handoff=None) -> dict:
        msg: dict[str, Any] = {
            "id": self.next_id,
            "role": role,
            "text": text,
            "timestamp": dt.datetime.now(dt.timezone.utc).isoformat(),
        }
        if buttons:
            msg["buttons"] = buttons
        if handoff:
            msg["handoff"] = handoff
        self.next_id += 1
        self.messages.setdefault(sender, []).append(msg)
        return msg

    def _button_title(self, sender: str, payload: str) -> str | None:
        for msg in reversed(self.messages.get(sender, [])):
            for button in msg.get("buttons") or []:
                if button["payload"] == payload:
                    return button["title"]
        return None

    async def _notify(self) -> None:
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    # ---- HTTP ----
    @web.middleware
    async def _hang_when_asked(self, request: web.Request, handler) -> web.StreamResponse:  # noqa: ANN001
        if not self.hang:
            return await handler(request)
        self.hung.append(f"{request.method} {request.path}")
        if request.method == "POST" and request.can_read_body:
            self.received.append(await request.json())  # read, then never answered
        assert self._stopping is not None
        await self._stopping.wait()
        raise web.HTTPServiceUnavailable()

    @staticmethod
    def _cors(resp: web.StreamResponse) -> web.StreamResponse:
        resp.headers["Access-Control-Allow-Origin"] = "*"
        resp.headers["Access-Control-Allow-Headers"] = "Content-Type"
        resp.headers["Access-Control-Allow-Methods"] = "GET, POST, DELETE"
        return resp

    async def _options(self, _: web.Request) -> web.StreamResponse:
        return self._cors(web.Response(status=204))

    async def _webhook(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.received.append(body)
        sender, text = body.get("sender", ""), body.get("message", "")
        if not text.strip():
            return self._cors(
                web.json_response({"error": "Feld 'message' fehlt oder ist leer."}, status=400)
            )
        # like the real channel with the input guard: a button press is stored under the
        # title of the newest button the bot offered with that payload
        self._append(sender, "user", self._button_title(sender, text) or text)
        if self.delay:
            await asyncio.sleep(self.delay)
        answer, buttons = ANSWERS.get(text, (f"Sie haben geschrieben: {text}", None))
        out = [self._append(sender, "bot", answer, buttons)]
        if text != "/greet":  # like the real outbox: answers are rateable, the greeting is not
            out[0]["rateable"] = True
        if text == "/request_human":
            out.append(
                self._append(sender, "system", "Sie sind in der Warteschlange.", handoff="queued")
            )
        await self._notify()
        return self._cors(web.json_response({"messages": out}))

    async def _poll(self, request: web.Request) -> web.StreamResponse:
        sender, after = request.query["sender"], int(request.query.get("after", "0"))
        assert self._changed is not None

        def found() -> list[dict]:
            return [m for m in self.messages.get(sender, []) if m["id"] > after]

        try:
            async with self._changed:
                await asyncio.wait_for(self._changed.wait_for(lambda: bool(found())), 2.0)
        except asyncio.TimeoutError:
            pass
        return self._cors(web.json_response({"messages": found()}))

    async def _history(self, request: web.Request) -> web.StreamResponse:
        return self._cors(
            web.json_response({"messages": self.messages.get(request.query["sender"], [])})
        )

    async def _rating(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        sender, message_id = body.get("sender", ""), body.get("message_id")
        found = [m for m in self.messages.get(sender, [])
                 if m["id"] == message_id and m.get("rateable")]
        if not found or body.get("value") not in ("hilfreich", "nicht_hilfreich"):
            error = {"error": "Diese Nachricht gibt es in Ihrem Gespräch nicht."}
            return self._cors(web.json_response(error, status=404))
        self.ratings[message_id] = {"value": body["value"], "text": body.get("text") or ""}
        return self._cors(web.json_response({"rated": True}))

    async def _delete(self, request: web.Request) -> web.StreamResponse:
        if self.fail_delete:
            failed = web.json_response({"error": "Datenbank nicht erreichbar"}, status=503)
            return self._cors(failed)
        sender = request.query["sender"]
        self.messages.pop(sender, None)
        self.deleted.append(sender)
        return self._cors(web.json_response({"deleted": True}))

    # ---- lifecycle ----
    async def _start(self, port: int) -> None:
        self._changed = asyncio.Condition()
        self._stopping = asyncio.Event()
        app = web.Application(middlewares=[self._hang_when_asked])
        app.router.add_route("OPTIONS", "/{tail:.*}", self._options)
        app.router.add_post("/webhooks/webchat/webhook", self._webhook)
        app.router.add_get("/webhooks/webchat/messages", self._poll)
        app.router.add_get("/webhooks/webchat/history", self._history)
        app.router.add_delete("/webhooks/webchat/conversation", self._delete)
        app.router.add_post("/webhooks/webchat/rating", self._rating)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await self._listen()

    async def _listen(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await self._site.start()

    async def _stop_listening(self) -> None:
        if self._site is not None:
            await self._site.stop()
        self._site = None
        assert self._runner is not None and self._runner.server is not None
        for connection in list(self._runner.server.connections):  # keep-alive ones too
            connection.force_close()

    def start(self, port: int) -> str:
        self.port = port
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(port), self._loop).result(10)
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    def go_offline(self) -> None:
        """The server is stopped: the port refuses connections (the store is kept)."""
        asyncio.run_coroutine_threadsafe(self._stop_listening(), self._loop).result(10)

    def go_online(self) -> None:
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(10)

    def advisor(self, sender: str, text: str) -> None:
        async def send() -> None:
            self._append(sender, "advisor", text)
            await self._notify()

        asyncio.run_coroutine_threadsafe(send(), self._loop).result(5)

    def stop(self) -> None:
        async def shutdown() -> None:
            if self._stopping is not None:
                self._stopping.set()  # hung requests end, the runner need not wait for them
            if self._runner:
                await self._runner.cleanup()
            # long polls still waiting: end them here, not when the stopped loop is collected
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
