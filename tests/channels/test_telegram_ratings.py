""""War diese Antwort hilfreich?" on Telegram, against the fake Bot API on loopback and a real
SQLite database: the rating row under rateable answers (not under the 112 message), 👍 / 👎
stored in the shared answer_ratings and read by insight's statistics and review queue, the
"Was hat Ihnen gefehlt?" reply stored redacted and kept from Rasa, forged callbacks refused,
and the retention job deleting old Telegram rows."""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rasa.core.channels.channel import UserMessage, register
from sanic import Sanic

from channels import telegram_ratings
from channels.ratings import MAX_RATING_TEXT, Rating, TelegramAnswer
from channels.telegram import TelegramInput, TelegramOutput
from channels.telegram_ratings import (
    FEEDBACK_PROMPT,
    FEEDBACK_SAVED,
    HELPFUL_BUTTON,
    NOT_RATEABLE,
    RATING_FAILED,
    THANKS,
    UNHELPFUL_BUTTON,
)
from insight import review
from insight.report import ReportFilter, build_report
from privacy.retention import delete_conversation, run_retention
from quartierslotse.settings import Settings
from storage.engine import get_engine, session_scope
from storage.schema import upgrade
from tests.channels.test_telegram import FakeTrackerStore, Stack
from tests.conftest import free_port
from tests.support.telegram import TOKEN, FakeBotApi, text_update

CHAT = 4711
QUESTION = "Was ist ein Pflegegrad?"
ANSWERS: dict[str, dict[str, Any]] = {
    QUESTION: {"text": "Ein Pflegegrad zeigt, wie viel Hilfe jemand im Alltag braucht.",
               "utter_action": "utter_ask_pflegegrad/pflegegeld"},
    "Hilfe, mein Vater ist gestürzt": {
        "text": "Bitte rufen Sie sofort die 112 an.", "utter_action": "utter_emergency"},
    "Hallo": {"text": "Guten Tag!", "utter_action": "utter_greet",
              "buttons": [{"title": "Pflege", "payload": "/ask_pflegegrad"}]},
    "Wohnberatung": {"text": "Die Wohnberatung hilft beim Umbau.",
                     "utter_action": "utter_ask_wohnen/umbau",
                     "buttons": [{"title": "Zuschüsse", "payload": "/ask_wohnen_zuschuss"},
                                 {"title": "Beratung", "payload": "/request_human"}]},
    "Lange Liste": {"text": ("Absatz. " * 300 + "\n\n") * 3,
                    "utter_action": "utter_ask_pflegegrad/frist"},
    "Reply-Tastatur": {"text": "Bitte wählen Sie.", "utter_action": "utter_ask_wohnen/umbau",
                       "buttons": [{"title": "Lang", "payload": "/ask_wohnen" + "x" * 80}]},
    "Ohne Namen": {"text": "Eine Nachricht einer Aktion ohne Antwortnamen."},
    "System": {"text": "Die Beratung ist informiert.", "role": "system",
               "utter_action": "utter_ask_wohnen/umbau"},
}


class RatingAgent:
    """Answers with the response dicts Rasa's processor sends (with `utter_action`)."""

    def __init__(self) -> None:
        self.received: list[UserMessage] = []
        self.tracker_store = FakeTrackerStore()

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        reply = ANSWERS.get(message.text, ANSWERS[QUESTION])
        await message.output_channel.send_response(message.sender_id, dict(reply))


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    return url


@pytest.fixture
async def stack(database_url: str):
    api = FakeBotApi().start()
    channel = TelegramInput(TOKEN, api_url=api.url, database_url=database_url)
    Sanic.test_mode = True
    app = Sanic(f"tgr_{uuid.uuid4().hex[:8]}")
    agent = RatingAgent()
    app.ctx.agent = agent
    register([channel], app, route="/webhooks/")
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True,
                                     access_log=False)
    await server.startup()
    await server.before_start()
    await server.after_start()
    yield Stack(api, agent, channel, app, f"http://127.0.0.1:{port}")  # type: ignore[arg-type]
    await server.before_stop()
    server.close()
    await server.wait_closed()
    await api.stop()


_updates = iter(range(1000, 10**6))


async def ask(stack: Stack, text: str, chat: int = CHAT) -> dict[str, Any]:
    """Send `text`, return the last message the bot sent to the chat."""
    before = len(stack.api.sent("sendMessage", chat))
    resp = await stack.post_update(text_update(text, chat_id=chat, update_id=next(_updates)))
    assert resp.status == 200
    sent = stack.api.sent("sendMessage", chat)
    assert len(sent) > before
    return sent[-1]


def rating_buttons(sent: dict[str, Any]) -> list[dict[str, str]]:
    rows = (sent.get("reply_markup") or {}).get("inline_keyboard") or []
    return [b for row in rows for b in row if b["callback_data"].startswith("bew:")]


def callback(data: str, sent: dict[str, Any] | None = None, chat: int = CHAT,
             chat_type: str = "private", message: Any = "default") -> dict[str, Any]:
    if message == "default":
        message = {"message_id": 77, "date": 1700000000,
                   "chat": {"id": chat, "type": chat_type},
                   "text": (sent or {}).get("text", "Antwort")}
        if sent and sent.get("reply_markup"):
            message["reply_markup"] = sent["reply_markup"]
    query: dict[str, Any] = {"id": f"cbq-{uuid.uuid4().hex[:6]}",
                             "from": {"id": chat, "is_bot": False, "first_name": "Anna"},
                             "chat_instance": "x", "data": data}
    if message is not None:
        query["message"] = message
    return {"update_id": next(_updates), "callback_query": query}


def reply(text: str, to_message_id: int, chat: int = CHAT) -> dict[str, Any]:
    update = text_update(text, chat_id=chat, update_id=next(_updates))
    update["message"]["reply_to_message"] = {
        "message_id": to_message_id, "date": 1700000000, "chat": {"id": chat, "type": "private"},
        "from": {"id": 1, "is_bot": True, "first_name": "Quartierslotse"},
        "text": FEEDBACK_PROMPT}
    return update


def stored_ratings(url: str) -> list[Rating]:
    with session_scope(url) as session:
        rows = list(session.scalars(sa.select(Rating).order_by(Rating.id)))
        session.expunge_all()
        return rows


def answered_callbacks(stack: Stack) -> list[str | None]:
    return [c.get("text") for c in stack.api.sent("answerCallbackQuery")]


FLT = ReportFilter(date.today() - timedelta(days=2), date.today() + timedelta(days=2))


# --- the buttons --------------------------------------------------------------------------------

async def test_rateable_answer_gets_the_rating_row_on_its_last_part(stack: Stack,
                                                                    database_url: str) -> None:
    sent = await ask(stack, QUESTION)
    [row] = sent["reply_markup"]["inline_keyboard"]
    assert [b["text"] for b in row] == [HELPFUL_BUTTON, UNHELPFUL_BUTTON]
    with session_scope(database_url) as session:
        [answer] = session.scalars(sa.select(TelegramAnswer)).all()
        assert (answer.sender, answer.response) == ("4711", "utter_ask_pflegegrad/pflegegeld")
        answer_id = answer.id
    assert [b["callback_data"] for b in row] == [f"bew:{answer_id}:h", f"bew:{answer_id}:n"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in row)

    # answer buttons stay first; the rating row is a row of its own after them
    sent = await ask(stack, "Wohnberatung")
    rows = sent["reply_markup"]["inline_keyboard"]
    assert rows[:2] == [[{"text": "Zuschüsse", "callback_data": "/ask_wohnen_zuschuss"}],
                        [{"text": "Beratung", "callback_data": "/request_human"}]]
    assert [b["text"] for b in rows[2]] == [HELPFUL_BUTTON, UNHELPFUL_BUTTON]

    # a long answer: only its last part carries the buttons
    before = len(stack.api.sent("sendMessage", CHAT))
    await ask(stack, "Lange Liste")
    parts = stack.api.sent("sendMessage", CHAT)[before:]
    assert len(parts) >= 2
    assert [bool(rating_buttons(p)) for p in parts] == [False] * (len(parts) - 1) + [True]


@pytest.mark.parametrize("text", ["Hilfe, mein Vater ist gestürzt", "Hallo", "Reply-Tastatur",
                                  "Ohne Namen", "System"])
async def test_no_rating_under_emergency_greeting_reply_keyboard_or_system_message(
        stack: Stack, database_url: str, text: str) -> None:
    sent = await ask(stack, text)
    assert rating_buttons(sent) == []
    if text == "Hallo":  # the greeting keeps its own buttons
        assert sent["reply_markup"] == {
            "inline_keyboard": [[{"text": "Pflege", "callback_data": "/ask_pflegegrad"}]]}
    if text == "Reply-Tastatur":
        assert "keyboard" in sent["reply_markup"]
    with session_scope(database_url) as session:
        assert session.scalars(sa.select(TelegramAnswer)).all() == []


async def test_no_rating_under_an_advisor_message(stack: Stack, database_url: str) -> None:
    output = stack.channel.get_output_channel()
    await output.send_response("4711", {"text": "Hier ist Frau Schulz.", "role": "advisor",
                                        "utter_action": "utter_ask_pflegegrad/pflegegeld"})
    [sent] = stack.api.sent("sendMessage", CHAT)
    assert "reply_markup" not in sent
    assert stored_ratings(database_url) == []


# --- 👍 and 👎 ----------------------------------------------------------------------------------

async def test_helpful_is_stored_and_counted_per_topic_and_answer(stack: Stack,
                                                                  database_url: str) -> None:
    sent = await ask(stack, "Wohnberatung")
    helpful = rating_buttons(sent)[0]["callback_data"]
    resp = await stack.post_update(callback(helpful, sent))
    assert resp.status == 200
    assert [m.text for m in stack.agent.received] == ["Wohnberatung"]  # not sent to Rasa
    assert answered_callbacks(stack) == [THANKS]
    [edit] = stack.api.sent("editMessageReplyMarkup")
    assert edit["chat_id"] == "4711" and edit["message_id"] == 77
    assert edit["reply_markup"] == {"inline_keyboard": [
        [{"text": "Zuschüsse", "callback_data": "/ask_wohnen_zuschuss"}],
        [{"text": "Beratung", "callback_data": "/request_human"}]]}
    [rating] = stored_ratings(database_url)
    assert (rating.channel, rating.sender, rating.value, rating.text) == (
        "telegram", "4711", "hilfreich", "")
    report = build_report(get_engine(database_url), FLT)
    assert report.ratings_by_topic == [("wohnen", 1, 0)]
    assert report.ratings_by_response == [("utter_ask_wohnen/umbau", 1, 0)]


async def test_unhelpful_reply_text_is_stored_redacted_and_kept_from_rasa(
        stack: Stack, database_url: str) -> None:
    sent = await ask(stack, QUESTION)
    unhelpful = rating_buttons(sent)[1]["callback_data"]
    await stack.post_update(callback(unhelpful, sent))
    assert answered_callbacks(stack) == [THANKS]
    # without answer buttons the rating row goes and nothing remains
    assert stack.api.sent("editMessageReplyMarkup")[0]["reply_markup"] == {"inline_keyboard": []}
    prompt = stack.api.sent("sendMessage", CHAT)[-1]
    assert prompt["text"] == FEEDBACK_PROMPT
    assert prompt["reply_markup"]["force_reply"] is True
    assert 1 <= len(prompt["reply_markup"]["input_field_placeholder"]) <= 64
    prompt_id = len(stack.api.calls)  # the fake Bot API numbers messages by its calls
    with session_scope(database_url) as session:
        [answer] = session.scalars(sa.select(TelegramAnswer)).all()
        assert answer.feedback_prompt_id == prompt_id

    resp = await stack.post_update(reply(
        "Die Beträge fehlen. Rufen Sie mich an: 0231 9876543", prompt_id))
    assert resp.status == 200
    assert stack.api.sent("sendMessage", CHAT)[-1]["text"] == FEEDBACK_SAVED
    assert [m.text for m in stack.agent.received] == [QUESTION]  # the reply never reached Rasa
    [item] = review.feedback(get_engine(database_url))
    assert item["text"] == "Die Beträge fehlen. Rufen Sie mich an: [Telefon]"
    assert "9876543" not in stored_ratings(database_url)[0].text
    assert item["response"] == "utter_ask_pflegegrad/pflegegeld" and item["topic"] == "pflege"
    report = build_report(get_engine(database_url), FLT)
    assert report.ratings_by_topic == [("pflege", 0, 1)]

    # a second reply replaces the text, cut like the web chat's
    await stack.post_update(reply("x" * 2000, prompt_id))
    assert len(stored_ratings(database_url)[0].text) == MAX_RATING_TEXT

    # a second rating replaces the first; the question is then no longer open
    await stack.post_update(callback(rating_buttons(sent)[0]["callback_data"], sent))
    [rating] = stored_ratings(database_url)
    assert (rating.value, rating.text) == ("hilfreich", "")
    await stack.post_update(reply("Noch etwas", prompt_id))
    assert [m.text for m in stack.agent.received] == [QUESTION, "Noch etwas"]


async def test_reply_to_another_message_goes_to_rasa(stack: Stack, database_url: str) -> None:
    await ask(stack, QUESTION)
    await stack.post_update(reply("Und was kostet das?", 3))
    assert [m.text for m in stack.agent.received] == [QUESTION, "Und was kostet das?"]


# --- refused -----------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [
    "bew:{id}:x", "bew:0:h", "bew:0{id}:h", "bew:-{id}:h", "bew:{id}:h:extra", "bew:{id}",
    "bew:", "bew:99999999999:h", "bew:2147483648:n", "bew:{id} :h", "bew:{other}:h",
    "bew:{greeting}:h",
])
async def test_forged_or_malformed_callbacks_store_nothing(stack: Stack, database_url: str,
                                                           data: str) -> None:
    sent = await ask(stack, QUESTION)
    answer_id = int(rating_buttons(sent)[0]["callback_data"].split(":")[1])
    with session_scope(database_url) as session:  # an answer that is not rateable
        greeting = TelegramAnswer(sender="4711", response="utter_greet",
                                  created_at=datetime(2026, 12, 1))
        session.add(greeting)
        session.flush()
        greeting_id = greeting.id
    resp = await stack.post_update(callback(data.format(id=answer_id, other=answer_id + 1000,
                                                        greeting=greeting_id), sent))
    assert resp.status == 200
    assert answered_callbacks(stack) == [NOT_RATEABLE]
    assert stored_ratings(database_url) == []
    assert stack.api.sent("editMessageReplyMarkup") == []
    assert [m.text for m in stack.agent.received] == [QUESTION]


async def test_another_chats_answer_cannot_be_rated(stack: Stack, database_url: str) -> None:
    sent = await ask(stack, QUESTION, chat=CHAT)
    data = rating_buttons(sent)[0]["callback_data"]
    for update in (callback(data, sent, chat=4712),  # another person's chat
                   callback(data, sent, chat=-100123, chat_type="supergroup"),
                   callback(data, sent, message=None)):  # no message: no chat
        resp = await stack.post_update(update)
        assert resp.status == 200
    assert answered_callbacks(stack) == [NOT_RATEABLE] * 3
    assert stored_ratings(database_url) == []
    assert [m.text for m in stack.agent.received] == [QUESTION]


async def test_database_errors_give_a_friendly_line_and_never_break_the_webhook(
        stack: Stack, database_url: str, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    sent = await ask(stack, QUESTION)
    data = rating_buttons(sent)[1]["callback_data"]

    def broken(url: str) -> Any:
        raise sa.exc.OperationalError("UPDATE answer_ratings SET sender='4711'", {}, Exception())

    monkeypatch.setattr(telegram_ratings, "get_store", broken)
    caplog.set_level(logging.ERROR, logger="channels.telegram")
    resp = await stack.post_update(callback(data, sent))
    assert resp.status == 200
    assert answered_callbacks(stack) == [RATING_FAILED]
    assert "OperationalError" in caplog.text and "4711" not in caplog.text
    # an answer is still sent when it cannot be recorded, only without the rating row
    sent = await ask(stack, QUESTION)
    assert sent["text"] == ANSWERS[QUESTION]["text"] and rating_buttons(sent) == []


def test_callback_data_stays_within_telegrams_64_bytes() -> None:
    from channels.telegram_ratings import MAX_ANSWER_ID, parse_callback, rating_row

    row = rating_row(MAX_ANSWER_ID)
    assert all(len(b["callback_data"].encode()) <= 64 for b in row)
    assert [parse_callback(b["callback_data"]) for b in row] == [
        (MAX_ANSWER_ID, "hilfreich"), (MAX_ANSWER_ID, "nicht_hilfreich")]
    assert isinstance(TelegramOutput(TOKEN), TelegramOutput)


# --- retention ---------------------------------------------------------------------------------

async def test_retention_deletes_old_telegram_rows_and_a_chat_on_request(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, retention_days=30)
    store = telegram_ratings.get_store(settings.database_url)
    for chat in ("1001", "1002", "1003"):
        answer_id = store.record_answer(chat, "utter_ask_pflegegrad/frist")
        assert store.rate(chat, answer_id, "nicht_hilfreich")
        store.set_feedback_prompt(chat, answer_id, 500)
        assert store.set_feedback(chat, answer_id, "Die Frist fehlt")
    old = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(days=31)
    engine = get_engine(settings.database_url)
    with engine.begin() as conn:
        for table in ("answer_ratings", "telegram_answers"):
            conn.execute(sa.text(f"UPDATE {table} SET created_at = :t WHERE sender = '1001'"),
                         {"t": old})

    def senders(table: str) -> list[str]:
        with engine.connect() as conn:
            return sorted(s for (s,) in conn.execute(sa.text(f"SELECT sender FROM {table}")))

    counts = run_retention(settings)
    assert counts["answer_ratings"] == 1 and counts["telegram_answers"] == 1
    assert senders("answer_ratings") == senders("telegram_answers") == ["1002", "1003"]
    counts = delete_conversation(settings, "1003")
    assert counts["answer_ratings"] == 1 and counts["telegram_answers"] == 1
    assert senders("answer_ratings") == senders("telegram_answers") == ["1002"]
