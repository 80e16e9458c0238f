""""hilfreich / nicht hilfreich": POST /webhooks/webchat/rating in process (no Rasa) and the
outbox keeping the response name of bot messages."""

from __future__ import annotations

import json
import uuid
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from channels.outbox import Outbox, ensure_schema
from channels.ratings import Rating, response_topic
from channels.webchat import (
    RATE_LIMITED,
    OutboxOutput,
    WebchatInput,
    conversation_id,
)
from storage.engine import session_scope


def _sender() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def channel(tmp_path) -> WebchatInput:
    from security.channel_guard import ChannelGuard

    channel = WebchatInput({"database_url": f"sqlite:///{tmp_path / 'outbox.db'}"})
    limits = SimpleNamespace(rate_limit_messages=20, rate_limit_per_ip=100,
                             rate_limit_window_seconds=60, redis_url="", trusted_proxies="",
                             max_message_chars=1000)
    channel.guard = ChannelGuard(limits, f"webchat-test-{uuid.uuid4().hex}")
    return channel


def _rate_route(channel: WebchatInput):  # noqa: ANN202
    async def ignore(_message) -> None:  # noqa: ANN001
        return None

    bp = channel.blueprint(ignore)
    return next(r.handler for r in bp._future_routes if r.handler.__name__ == "rate")


def _request(body: object):  # noqa: ANN202
    return SimpleNamespace(json=body, args={}, ip="203.0.113.9", headers={},
                           app=SimpleNamespace(ctx=SimpleNamespace(agent=None)))


async def _answer(channel: WebchatInput, sender: str, response: str | None,
                  role: str = "bot") -> dict:
    output = OutboxOutput(channel.outbox)
    message = {"text": "Pflegegeld gibt es ab Pflegegrad 2.", "role": role}
    if response:
        message["utter_action"] = response
    await output.send_response(conversation_id(sender), message)
    return output.messages[-1]


def _ratings(channel: WebchatInput) -> list[Rating]:
    assert channel.outbox  # creates the tables
    with session_scope(channel.database_url) as session:
        rows = session.scalars(sa.select(Rating).order_by(Rating.id)).all()
        session.expunge_all()
        return list(rows)


async def test_outbox_keeps_the_response_name_and_marks_answers_rateable(channel) -> None:
    sender = _sender()
    answer = await _answer(channel, sender, "utter_ask_pflegegrad/pflegegeld")
    greeting = await _answer(channel, sender, "utter_greet")
    composed = await _answer(channel, sender, None)  # a text an action composed
    advisor = await _answer(channel, sender, "utter_ask_pflegegrad/pflegegeld", role="advisor")
    assert answer["rateable"] is True and composed["rateable"] is True
    assert "rateable" not in greeting and "rateable" not in advisor
    stored = await channel.outbox.after(conversation_id(sender), 0)
    assert [m.get("rateable", False) for m in stored] == [True, False, True, False]
    emergency = await _answer(channel, sender, "utter_emergency")
    assert "rateable" not in emergency  # nothing distracts from the 112 message
    assert response_topic("utter_ask_pflegegrad/pflegegeld") == "pflege"
    assert response_topic("utter_ask_vorsorgevollmacht/form") == "vorsorge"
    assert response_topic(None) is None


async def test_rating_is_stored_and_a_second_one_replaces_the_first(channel) -> None:
    sender = _sender()
    answer = await _answer(channel, sender, "utter_ask_pflegegrad/pflegegeld")
    rate = _rate_route(channel)
    reply = await rate(_request({"sender": sender, "message_id": answer["id"],
                                 "value": "hilfreich", "municipality": "Dortmund"}))
    assert reply.status == 200 and json.loads(reply.body) == {"rated": True}
    reply = await rate(_request({
        "sender": sender, "message_id": answer["id"], "value": "nicht_hilfreich",
        "text": "Rufen Sie mich an: 0231 1234567, ich heiße Erika Muster",
        "municipality": "Dortmund"}))
    assert reply.status == 200
    [rating] = _ratings(channel)  # one per message
    assert rating.value == "nicht_hilfreich" and rating.sender == conversation_id(sender)
    assert rating.response == "utter_ask_pflegegrad/pflegegeld" and rating.topic == "pflege"
    assert rating.municipality == "Dortmund" and rating.message_id == answer["id"]
    # redacted before it was stored
    assert "1234567" not in rating.text and "Erika" not in rating.text
    assert "[Telefon]" in rating.text and "[Name]" in rating.text
    # back to "hilfreich": the text goes with the "nicht hilfreich"
    await rate(_request({"sender": sender, "message_id": answer["id"], "value": "hilfreich",
                         "text": "egal"}))
    [rating] = _ratings(channel)
    assert rating.value == "hilfreich" and rating.text == ""


async def test_foreign_and_unrateable_messages_are_refused(channel) -> None:
    owner, stranger = _sender(), _sender()
    answer = await _answer(channel, owner, "utter_ask_pflegegrad/pflegegeld")
    greeting = await _answer(channel, owner, "utter_greet")
    advisor = await _answer(channel, owner, None, role="advisor")
    await channel.outbox.append(conversation_id(owner), "user", "Frage")
    user_id = (await channel.outbox.after(conversation_id(owner), 0))[-1]["id"]
    rate = _rate_route(channel)
    reply = await rate(_request({"sender": stranger, "message_id": answer["id"],
                                 "value": "hilfreich"}))
    assert reply.status == 404
    assert json.loads(reply.body)["error"].startswith("Diese Nachricht gibt es")
    for message_id in (greeting["id"], advisor["id"], user_id, 999_999):
        reply = await rate(_request({"sender": owner, "message_id": message_id,
                                     "value": "nicht_hilfreich"}))
        assert reply.status == 404, message_id
    assert _ratings(channel) == []


@pytest.mark.parametrize(("body", "field"), [
    ("kein Objekt", "JSON-Objekt"),
    ({"sender": "kurz", "message_id": 1, "value": "hilfreich"}, "'sender'"),
    ({"sender": "abcdefgh\n", "message_id": 1, "value": "hilfreich"}, "'sender'"),
    ({"sender": "abcdefgh", "message_id": "1", "value": "hilfreich"}, "'message_id'"),
    ({"sender": "abcdefgh", "message_id": True, "value": "hilfreich"}, "'message_id'"),
    ({"sender": "abcdefgh", "message_id": 0, "value": "hilfreich"}, "'message_id'"),
    ({"sender": "abcdefgh", "message_id": 2**70, "value": "hilfreich"}, "'message_id'"),
    ({"sender": "abcdefgh", "message_id": 1, "value": "super"}, "'value'"),
    ({"sender": "abcdefgh", "message_id": 1, "value": "nicht_hilfreich", "text": "x" * 301},
     "300 Zeichen"),
    ({"sender": "abcdefgh", "message_id": 1, "value": "nicht_hilfreich", "text": 5}, "'text'"),
    ({"sender": "abcdefgh", "message_id": 1, "value": "hilfreich", "municipality": "x" * 200},
     "'municipality'"),
])
async def test_invalid_requests_get_a_german_error(channel, body, field: str) -> None:
    reply = await _rate_route(channel)(_request(body))
    assert reply.status == 400 and field in json.loads(reply.body)["error"]
    assert _ratings(channel) == []


async def test_rating_is_rate_limited_by_the_shared_guard(channel) -> None:
    from security.channel_guard import ChannelGuard

    limits = SimpleNamespace(rate_limit_messages=2, rate_limit_per_ip=100,
                             rate_limit_window_seconds=60, redis_url="", trusted_proxies="",
                             max_message_chars=1000)
    channel.guard = ChannelGuard(limits, f"webchat-test-{uuid.uuid4().hex}")
    sender = _sender()
    answer = await _answer(channel, sender, "utter_ask_wohnen/hausnotruf")
    rate = _rate_route(channel)
    body = {"sender": sender, "message_id": answer["id"], "value": "hilfreich"}
    assert (await rate(_request(body))).status == 200
    assert (await rate(_request(body))).status == 200
    limited = await rate(_request(body))
    assert limited.status == 429 and json.loads(limited.body)["error"] == RATE_LIMITED


def test_an_outbox_table_from_before_gets_the_response_column(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE webchat_outbox (id INTEGER PRIMARY KEY, sender VARCHAR(64) NOT NULL, "
            "role VARCHAR(16) NOT NULL, text TEXT NOT NULL, buttons TEXT, handoff VARCHAR(32), "
            "created_at DATETIME NOT NULL)")
    ensure_schema(url)
    assert "response" in {c["name"] for c in sa.inspect(engine).get_columns("webchat_outbox")}
    stored = Outbox(url).append_sync("webchat:abcdefgh", "bot", "Hallo",
                                     response="utter_ask_wohnen/umbau")
    assert stored["rateable"] is True
