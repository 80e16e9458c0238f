"""Relatives on Telegram reach a person, through the real stack: Rasa with the
Telegram channel, action server, console and database; Telegram's cloud is the fake Bot API on
loopback (tests/support/telegram.py). Buttons are pressed as Telegram sends them (a
`callback_query` with the button's `callback_data`)."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest
import requests

from handoff import service
from handoff.models import ROLE_ADMIN
from quartierslotse.settings import Settings
from tests.handoff.test_every_request_reaches_a_person import nobody_on_duty
from tests.support.telegram import FakeBotApi, text_update

pytestmark = pytest.mark.model

_update_ids = itertools.count(random.randrange(10**7, 10**8))


class TelegramRelative:
    """One private Telegram chat with the bot."""

    def __init__(self, stack: Settings, api: FakeBotApi) -> None:
        self.stack, self.api = stack, api
        self.chat = random.randrange(10**8, 10**9)

    def _post(self, update: dict[str, Any]) -> str:
        return "\n".join(self._texts(update))

    def _texts(self, update: dict[str, Any]) -> list[str]:
        before = len(self.api.sent(chat_id=self.chat))
        response = requests.post(f"{self.stack.rasa_url}/webhooks/telegram/webhook",
                                 json=update, timeout=90)
        assert response.status_code == 200, response.text
        return [m.get("text", "") for m in self.api.sent(chat_id=self.chat)[before:]]

    def messages(self, text: str) -> list[str]:
        """The bot's messages for this message, in the order Telegram got them."""
        return self._texts(text_update(text, chat_id=self.chat, update_id=next(_update_ids)))

    def say(self, text: str) -> str:
        """The bot's texts sent for this message."""
        return "\n".join(self.messages(text))

    def press(self, title: str) -> str:
        """Press the button `title` of the latest message that has it."""
        for message in reversed(self.api.sent(chat_id=self.chat)):
            keyboard = (message.get("reply_markup") or {}).get("inline_keyboard") or []
            for row in keyboard:
                for button in row:
                    if button["text"] == title:
                        return self._post(self._callback(button["callback_data"]))
        raise AssertionError(f"no button {title!r} in {self.api.sent(chat_id=self.chat)}")

    def _callback(self, data: str) -> dict[str, Any]:
        person = {"id": self.chat, "is_bot": False, "first_name": "Anna"}
        return {"update_id": next(_update_ids), "callback_query": {
            "id": str(next(_update_ids)), "from": person, "data": data,
            "message": {"message_id": 11, "date": 1700000000, "text": "…",
                        "chat": {"id": self.chat, "type": "private", "first_name": "Anna"}}}}

    def user_texts(self) -> list[str]:
        response = requests.get(f"{self.stack.rasa_url}/conversations/{self.chat}/tracker",
                                params={"token": self.stack.rasa_token}, timeout=30)
        response.raise_for_status()
        return [e.get("text") or "" for e in response.json()["events"] if e["event"] == "user"]


@pytest.fixture
def relative(bot_stack: Settings, telegram_api: FakeBotApi) -> TelegramRelative:
    telegram_api.reset()
    return TelegramRelative(bot_stack, telegram_api)


def _callback_form(relative: TelegramRelative, phone: str) -> str:
    assert "einverstanden" in relative.press("Ja, bitte zurückrufen")
    assert "Telefonnummer" in relative.say("Ja, einverstanden")
    assert "Wann passt es Ihnen" in relative.say(phone)
    return relative.say("Donnerstag nachmittag")


def test_relative_names_the_place_and_the_callback_reaches_oberhausen(
        console, bot_stack: Settings, relative: TelegramRelative) -> None:  # type: ignore[no-untyped-def]
    nobody_on_duty(bot_stack.database_url, "Oberhausen")
    asked = relative.say("Meine Mutter braucht Hilfe, ich möchte mit einem Menschen sprechen")
    assert "wohnt Ihre Mutter" in asked  # the place question fits the person asked about
    assert "zurückrufen" in relative.say("Sie wohnt in Oberhausen Osterfeld")
    done = _callback_form(relative, "0208 3344556")
    assert "0208 3344556" in done and "Donnerstag Nachmittag" in done
    advisor = console.logged_in("Oberhausen", "Olga Brandt")
    page = advisor.http.get(advisor.url("/callbacks"), timeout=10).text
    assert "0208 3344556" in page
    assert len(relative.user_texts()) >= 6  # every message and button press is in the tracker


def test_relative_without_a_place_lands_in_the_installation_wide_queue(
        console, bot_stack: Settings, relative: TelegramRelative) -> None:  # type: ignore[no-untyped-def]
    db = bot_stack.database_url
    nobody_on_duty(db)
    assert "In welchem Ort" in relative.say("Ich möchte mit einem Menschen sprechen")
    refused = relative.say("Das möchte ich nicht sagen")
    assert "In welchem Ort" not in refused and "zurückrufen" in refused
    done = _callback_form(relative, "0201 9988776")
    assert "0201 9988776" in done and "zuständigen Stelle" in done

    _, waiting = service.unassigned(db)
    callback = next(c for c in waiting if c.sender_id == str(relative.chat))
    admin = console.logged_in("Dortmund", "Ines Adler", role=ROLE_ADMIN)
    assert admin.post(f"/ohne-kommune/callback/{callback.id}",
                      municipality="Oberhausen").status_code == 200
    advisor = console.logged_in("Oberhausen", "Olga Brandt")
    assert "0201 9988776" in advisor.http.get(advisor.url("/callbacks"), timeout=10).text
    assert service.orphans(db) == []
    texts = relative.user_texts()
    assert texts[:2] == ["Ich möchte mit einem Menschen sprechen", "Das möchte ich nicht sagen"]


def test_a_first_message_in_danger_gets_112_before_anything_else(
        console, bot_stack: Settings, relative: TelegramRelative) -> None:  # type: ignore[no-untyped-def]
    """No place known, nobody on duty: 112 first, the truth about who is alerted, the
    disclosure only after that; an urgent ticket in the installation-wide queue."""
    db = bot_stack.database_url
    nobody_on_duty(db)
    texts = relative.messages("Mein Vater ist gestürzt und kommt nicht mehr hoch")
    assert texts[0].startswith("Rufen Sie sofort den Notruf 112")
    joined = "\n".join(texts)
    assert "niemand" in joined and "digitalen Assistenten" in joined
    assert joined.index("digitalen Assistenten") > joined.index("Notfall markiert")
    tickets, _ = service.unassigned(db)
    ticket = next(t for t in tickets if t.sender_id == str(relative.chat))
    assert ticket.priority == service.PRIORITY_EMERGENCY and ticket.emergency_tier == "akut"


def test_an_emergency_while_waiting_in_the_queue_gets_112_and_raises_the_ticket(
        console, bot_stack: Settings, relative: TelegramRelative) -> None:  # type: ignore[no-untyped-def]
    advisor = console.logged_in("Dortmund", "Hanna Vogt", on_duty=True)
    relative.say("Ich möchte mit einem Menschen sprechen")
    assert "Beraterin oder einen Berater" in relative.say("Ich wohne in Dortmund-Hörde")  # queued
    ticket = advisor.wait_for_ticket(lambda t: t["preview"] and not t["alarm"]
                                     and t["channel_label"] == "Telegram")
    texts = relative.messages("Meine Mutter atmet ganz komisch und reagiert nicht mehr")
    assert texts and texts[0].startswith("Rufen Sie sofort den Notruf 112")
    raised = next(t for t in advisor.queue() if t["id"] == ticket["id"])
    assert raised["priority_label"] == "Notfall" and raised["alarm"]


def test_a_question_about_stroke_signs_gets_the_safety_line_then_the_answer(
        relative: TelegramRelative) -> None:
    texts = relative.messages("Welche Warnsignale gibt es bei einem Schlaganfall?")
    line = next(i for i, text in enumerate(texts) if text.startswith("Falls gerade jetzt"))
    assert "FAST" in "\n".join(texts[line:])
    assert not any(text.startswith("Rufen Sie sofort den Notruf") for text in texts)
