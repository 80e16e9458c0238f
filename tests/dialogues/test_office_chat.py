"""The three office conversations (place, hours, nearest office), through the REST channel."""

from __future__ import annotations

import json
import urllib.request
from datetime import datetime, timezone

import pytest

from actions.office_messages import status_lines
from knowledge.db import open_session
from knowledge.queries import office_by_key
from quartierslotse.settings import Settings
from tests.support.chat import RestChat, button_titles

pytestmark = pytest.mark.model


def texts(messages: list[dict]) -> list[str]:
    """Bot texts of one turn without the disclosure greeting sent at session start."""
    return [m["text"] for m in messages if m.get("text") and "kein Mensch" not in m["text"]]


def test_nearest_seniorenbuero_asks_for_the_place_then_answers_honestly(chat: RestChat) -> None:
    assert texts(chat.say("Wo ist das nächste Seniorenbüro?")) == [
        "Wo wohnen Sie? Nennen Sie bitte Ihren Ort, Stadtteil oder Ihre Postleitzahl."
    ]
    answer = chat.say_text("In Dortmund-Hörde")
    assert answer.startswith("Für Hörde ist zuständig:\nSeniorenbüro Hörde\n")
    assert "Adresse: Hörder Bahnhofstraße 16, 44263 Dortmund" in answer
    assert "Telefon: 0231 5023311" in answer
    assert "Sprechzeiten: Dazu habe ich keine bestätigten Angaben." in answer
    assert "Bitte rufen Sie vorher an: 0231 5023311." in answer


def test_quartiersbuero_alstaden_with_hours_and_open_now(
    chat: RestChat, bot_stack: Settings
) -> None:
    answer = "\n".join(texts(chat.say("Gibt es ein Quartiersbüro in Alstaden?")))
    assert answer.startswith(
        "Für Alstaden sind zuständig:\n"
        "Quartiersbüro Alstaden/Lirich – Standort I Rohlandshof\n"
        "Adresse: Kewerstraße 56, 46049 Oberhausen\n"
        "Telefon: 0208 97069682\n"
        "Sprechzeiten:\nDonnerstag: 10 bis 12 Uhr\n"
    )
    with open_session(bot_stack.database_url) as session:
        office = office_by_key(session, "oberhausen", "qb-alstaden-lirich-kewerstrasse")
        expected = status_lines(office, datetime.now(timezone.utc))
    assert "\n".join(expected) in answer
    assert "Quartiersbüro Alstaden/Lirich – Standort II Wohnpark Bebelstraße" in answer


def test_sterkrade_asks_which_sozialraum(chat: RestChat) -> None:
    messages = chat.say("Quartiersbüro in Sterkrade")
    assert texts(messages) == ["Meinen Sie Sterkrade-Mitte oder Sterkrade-Nord?"]
    assert button_titles(messages)[-2:] == ["Sterkrade-Mitte", "Sterkrade-Nord"]
    answer = chat.say_text('/inform_location{"place": "Sterkrade-Nord"}')
    assert answer.startswith(
        "Für Sterkrade-Nord ist zuständig:\nQuartiersbüro Sterkrade-Nord\n"
        "Adresse: Julius-Brecht-Anger 33, 46147 Oberhausen"
    )


def test_place_persists_for_the_opening_hours_question(chat: RestChat) -> None:
    assert "Julius-Brecht-Anger 33" in chat.say_text("Wo ist das Quartiersbüro in Sterkrade-Nord?")
    answer = chat.say_text("Wann hat es offen?")
    assert answer.startswith("Quartiersbüro Sterkrade-Nord\n")
    assert "Alle Sprechzeiten:\nDonnerstag: 9 bis 13 Uhr" in answer


def actions_of_last_turn(stack: Settings, sender: str) -> list[str]:
    with urllib.request.urlopen(f"{stack.rasa_url}/conversations/{sender}/tracker"
                                f"?token={stack.rasa_token}", timeout=30) as response:
        events = json.loads(response.read())["events"]
    last_user = max(i for i, event in enumerate(events) if event["event"] == "user")
    return [event["name"] for event in events[last_user:] if event["event"] == "action"]


def test_a_named_place_is_answered_in_one_step(chat: RestChat, bot_stack: Settings) -> None:
    """No form round trip when the message names the place: one custom action per turn (the
    office and the hours turn cost little more than a plain answer, issue 21)."""
    assert "Julius-Brecht-Anger 33" in chat.say_text("Wo ist das Quartiersbüro in Sterkrade-Nord?")
    assert actions_of_last_turn(bot_stack, chat.sender) == ["action_find_office", "action_listen"]
    assert chat.say_text("Wann hat es offen?").startswith("Quartiersbüro Sterkrade-Nord\n")
    assert actions_of_last_turn(bot_stack, chat.sender) == [
        "action_opening_hours", "action_listen"]
