"""The foundation end to end: a trained model answers German through the REST channel."""

import pytest

from tests.support.chat import RestChat, button_titles

pytestmark = pytest.mark.model


def test_greeting_discloses_assistant_and_offers_topics(chat: RestChat) -> None:
    messages = chat.say("Guten Tag")
    text = "\n".join(message.get("text", "") for message in messages)
    assert "digitale" in text and "kein Mensch" in text
    assert {"Pflege", "Vorsorge", "Begegnung", "Wohnen"} <= set(button_titles(messages))


def test_pflegegrad_question_is_answered_in_german(chat: RestChat) -> None:
    answer = chat.say_text("Was ist ein Pflegegrad?")
    assert "Pflegegrad" in answer
    assert "Pflegekasse" in answer


def test_each_conversation_is_kept_apart(bot_stack) -> None:
    first, second = RestChat(bot_stack.rasa_url), RestChat(bot_stack.rasa_url)
    assert first.say_text("Bist du ein Mensch?") != ""
    assert "kein Mensch" in second.say_text("Rede ich mit einem Computer?")
