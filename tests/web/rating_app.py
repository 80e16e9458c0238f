"""The real web chat channel blueprint (channels/webchat.py) and the insight blueprint in one
bare Sanic app, without Rasa (tests only): a tiny stand-in for the dialogue answers through
the channel's own output channel, with Rasa's `utter_action` as a domain response would. The
widget and a test page are served from the same origin. The insight user comes from test
headers (x-test-role, x-test-municipality), as in tests/insight/standalone_app.py.

    python -m tests.web.rating_app PORT TRACKER_URL DATABASE_URL
"""

from __future__ import annotations

import sys

from rasa.core.channels.channel import UserMessage
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.webchat import WebchatInput
from quartierslotse.settings import PROJECT_ROOT
from tests.insight.standalone_app import build as insight_app

QUESTION = "Wie viel Pflegegeld gibt es?"
# text -> (answer, utter_action)
ANSWERS = {
    "/greet": ("Guten Tag! Ich bin der Quartierslotse, ein digitaler Assistent – kein Mensch.",
               "utter_greet"),
    QUESTION: ("Pflegegeld gibt es ab Pflegegrad 2, wenn Angehörige zu Hause pflegen.",
               "utter_ask_pflegegrad/pflegegeld"),
}
PAGE = """<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Test</title></head>
<body><h1>Stadt</h1><script src="/widget/quartierslotse.js" defer data-server="{server}"
data-municipality="Dortmund"></script></body></html>"""


def build(tracker_url: str, database_url: str, port: int) -> Sanic:
    app = insight_app(tracker_url, database_url)
    channel = WebchatInput({"database_url": database_url, "poll_seconds": 2})

    async def on_new_message(message: UserMessage) -> None:
        text, name = ANSWERS.get(message.text or "", (f"Sie schrieben: {message.text}", None))
        reply = {"text": text}
        if name:
            reply["utter_action"] = name
        await message.output_channel.send_response(message.sender_id, reply)

    app.blueprint(channel.blueprint(on_new_message), url_prefix="/webhooks/webchat")
    app.static("/widget", str(PROJECT_ROOT / "web" / "widget"), name="widget")

    @app.get("/")
    async def page(_: Request) -> HTTPResponse:
        return response.html(PAGE.format(server=f"http://127.0.0.1:{port}"))

    return app


if __name__ == "__main__":
    port, tracker, database = sys.argv[1:4]
    build(tracker, database, int(port)).run(host="127.0.0.1", port=int(port), access_log=False,
                                            workers=1)
