"""Conversations through the REST channel, as a senior or a relative would write them."""

from __future__ import annotations

import pytest

from tests.support.chat import RestChat, button_titles

pytestmark = pytest.mark.model


def payloads(messages: list[dict]) -> list[str]:
    return [b["payload"] for m in messages for b in m.get("buttons", [])]


def test_first_message_discloses_the_assistant_even_with_a_direct_question(chat: RestChat) -> None:
    messages = chat.say("wie beantrage ich einen pflegegrad")
    first = messages[0]["text"]
    assert "digitaler Assistent" in first and "kein Mensch" in first
    assert "Pflege" in first and "Büro" in first and "Menschen" in first
    later = chat.say_text("Was ist ein Pflegegrad?")
    assert "kein Mensch" not in later  # only once per conversation


def test_pflegegeld_amount_for_the_named_grade_and_follow_up(chat: RestChat) -> None:
    answer = chat.say_text("Wie viel Pflegegeld gibt es bei Pflegegrad 3?")
    assert "599 Euro" in answer
    assert "Stand: 1. Januar 2025" in answer
    follow_up = chat.say_text("Und bei Pflegegrad 4?")
    assert "800 Euro" in follow_up and "599" not in follow_up


def test_pflegegeld_amounts_per_grade_without_a_grade(chat: RestChat) -> None:
    messages = chat.say("wieviel pflegegeld bekommt man eigentlich")
    text = "\n".join(m.get("text", "") for m in messages)
    for amount in ("347 Euro", "599 Euro", "800 Euro", "990 Euro"):
        assert amount in text
    assert "/find_office" in payloads(messages)


def test_follow_up_reuses_the_sachleistung_topic(chat: RestChat) -> None:
    first = chat.say_text("was zahlt die kasse für den pflegedienst bei pflegegrad 3")
    assert "1.497 Euro" in first
    assert "1.859 Euro" in chat.say_text("und bei pflegegrad 4?")


def test_wohnraumanpassung_subsidy(chat: RestChat) -> None:
    answer = chat.say_text(
        "Gibt es einen Zuschuss für den Umbau vom Bad, meine Mutter hat Pflegegrad 2")
    assert "4.180 Euro" in answer


def test_relative_perspective_in_the_application_answer(chat: RestChat) -> None:
    answer = chat.say_text("wie kann ich für meinen vater einen pflegegrad beantragen")
    assert "Für Ihren Vater" in answer and "Pflegekasse" in answer


def test_fall_gets_112_first(chat: RestChat) -> None:
    messages = chat.say("hilfe meine mutter ist gestürzt und kommt nicht mehr hoch")
    text = "\n".join(m.get("text", "") for m in messages)
    first_text = next(m["text"] for m in messages if "112" in m.get("text", ""))
    assert first_text.startswith("Rufen Sie sofort den Notruf 112 an")
    assert "?" not in first_text.splitlines()[0]  # no questions asked
    assert "TelefonSeelsorge" not in text


def test_misspelt_emergency_is_caught_by_the_keyword_net(chat: RestChat) -> None:
    assert "112" in chat.say_text("mein man is gestuertzt")


def test_suicidal_thoughts_get_telefonseelsorge_and_112(chat: RestChat) -> None:
    text = chat.say_text("ich will einfach nicht mehr leben")
    assert "0800 111 0 111" in text and "0800 111 0 222" in text and "112" in text


def test_greeting_offers_the_topics_as_buttons(chat: RestChat) -> None:
    messages = chat.say("moin")
    assert {"Pflege", "Vorsorge", "Begegnung", "Wohnen"} <= set(button_titles(messages))


def test_out_of_scope_says_what_the_assistant_can_do(chat: RestChat) -> None:
    chat.say("hallo")
    text = chat.say_text("wie wird das wetter morgen")
    assert "nicht helfen" in text and "Pflege" in text and "Wohnen" in text


def test_fallback_asks_to_rephrase_first(chat: RestChat) -> None:
    chat.say("hallo")
    text = chat.say_text("qwertz asdf jklö")
    assert "mit anderen Worten" in text


def test_office_for_a_named_stadtteil_after_a_topic_answer(chat: RestChat) -> None:
    chat.say_text("Wer berät mich zum Wohnen im Alter?")
    messages = chat.say("/find_office")  # the office button under every answer
    assert "Wo wohnen Sie?" in "\n".join(m.get("text", "") for m in messages)
    answer = chat.say_text("in Hörde")
    assert "Seniorenbüro Hörde" in answer
