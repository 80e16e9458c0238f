"""Hostile input is plain text: no /intent injection, no control characters, bounded size."""

from __future__ import annotations

import string
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from safety.emergency import ACUTE_DANGER_METADATA
from security.channel_guard import rasa_metadata
from security.input_guard import (
    EMPTY_NOTICE,
    guard_text,
    normalise,
    payloads_from_events,
    valid_sender_id,
)

INJECTIONS = [
    '/greet',
    '/restart',
    '/session_start',
    '/human_handoff{"phone": "0171 1234567"}',
    '/nlu_fallback@1.0',
    '/inform{"municipality": "Dortmund"}@0.99',
    '  /greet',
    '\u200b/greet',  # zero-width space before the slash
    '\u202e/greet',  # right-to-left override
    '\ufeff/greet',  # byte order mark
    '／greet',  # full-width solidus becomes "/" under NFKC
    '\u00a0/greet',
    '//greet',
    '/ /greet',
    '\n/greet{"a":1}',
]


def rasa_sees_intent(text: str) -> bool:
    """Does Rasa's own pre-NLU parser turn `text` into an intent? (what the server does)"""
    message = YAMLStoryReader.unpack_regex_message(Message({TEXT: text}))
    return message.get(INTENT) is not None


def test_the_check_itself_detects_real_injection() -> None:
    assert rasa_sees_intent('/greet{"a": "b"}')  # otherwise the tests below prove nothing


@pytest.mark.parametrize("attack", INJECTIONS)
def test_intent_injection_is_neutralised(attack: str) -> None:
    result = guard_text(attack)
    assert not rasa_sees_intent(result.text)
    assert result.neutralised
    assert not result.is_button_payload


def test_offered_button_payload_passes_unchanged() -> None:
    payload = '/choose_topic{"topic": "pflege"}'
    result = guard_text(payload, offered_payloads=[payload, "/greet"])
    assert result.text == payload and result.is_button_payload
    assert rasa_sees_intent(result.text)


def test_payload_of_a_different_button_is_not_accepted() -> None:
    result = guard_text('/choose_topic{"topic": "geld"}',
                        offered_payloads=['/choose_topic{"topic": "pflege"}'])
    assert not rasa_sees_intent(result.text)


def test_lookalike_of_offered_payload_is_not_accepted() -> None:
    # full-width solidus would become "/greet" after NFKC: must not count as our button
    result = guard_text("／restart", offered_payloads=["/greet"])
    assert not rasa_sees_intent(result.text)


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "'; DROP TABLE events; --",
        "1 OR 1=1",
        '{"text": "hi", "intent": "greet"}',
        "Robert'); DELETE FROM webchat_outbox;--",
        "%s%s%s%n",
        "${jndi:ldap://x}",
        "{{7*7}}",
    ],
)
def test_html_sql_and_json_strings_stay_verbatim(text: str) -> None:
    assert guard_text(text).text == text


def test_control_characters_are_removed_line_breaks_kept() -> None:
    assert (guard_text("Hallo\x00\x07\x1b[31m Welt\r\nzweite Zeile").text
            == "Hallo[31m Welt\nzweite Zeile")


def test_empty_and_whitespace_only_messages_are_empty() -> None:
    for text in ["", "   ", "\u200b\u200b", "\x00", None]:
        result = guard_text(text)
        assert result.empty
        assert EMPTY_NOTICE in result.notices()


def test_emoji_only_message_is_kept() -> None:
    assert guard_text("👍🏻😀").text == "👍🏻😀"


def test_long_message_is_cut_with_notice() -> None:
    text = "Wort " * 1000
    result = guard_text(text, max_chars=1000)
    assert result.truncated and len(result.text) <= 1000 and len(result.text) >= 800
    assert any("sehr lang" in n for n in result.notices(1000))


def test_sender_ids() -> None:
    assert valid_sender_id("c0ffee-1234_abcd")
    for bad in ["", "a" * 129, "x y", "<script>", "../../etc", None, 5, "ä"]:
        assert not valid_sender_id(bad)


def test_payloads_are_the_buttons_the_bot_offered_in_this_conversation() -> None:
    events = [
        {"event": "bot", "data": {"buttons": [{"title": "Pflege", "payload": "/ask_pflegegrad"}]}},
        {"event": "user", "text": "Hallo", "data": {"buttons": [{"payload": "/forged"}]}},
        {"event": "action", "name": "utter_greet"},
        {"event": "bot", "data": {"quick_replies": [{"title": "Ja", "payload": "/affirm"}]}},
        {"event": "bot", "data": {"buttons": [{"title": "kaputt"}, "kein Button"]}},
    ]
    assert payloads_from_events(events) == {"/ask_pflegegrad", "/affirm"}


class FakeTrackerStore:
    def __init__(self, events: list[dict]) -> None:
        self.events = events
        self.reads = 0

    async def retrieve(self, sender_id: str):
        self.reads += 1

        class Tracker:
            events = self.events

        return Tracker()


async def test_guard_for_tracker_reads_the_tracker_only_for_commands() -> None:
    from security.input_guard import guard_for_tracker

    store = FakeTrackerStore([{"event": "bot", "data": {"buttons": [{"payload": "/ask_wohnen"}]}}])
    assert (await guard_for_tracker(store, "s", "Hallo")).text == "Hallo"
    assert store.reads == 0
    assert (await guard_for_tracker(store, "s", "/ask_wohnen")).is_button_payload
    assert (await guard_for_tracker(store, "s", "/request_human", entry_payloads=["/request_human"])
            ).is_button_payload
    assert not rasa_sees_intent((await guard_for_tracker(store, "s", "/restart")).text)


# --- property-based ----------------------------------------------------------------------

any_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=3000)
slashy_text = st.builds(
    lambda pre, body: pre + "/" + body,
    st.text(alphabet=" \t\n\u200b\u00a0\ufeff\u202e", max_size=4),
    st.text(alphabet=string.printable + "{}\"@äöü", max_size=80),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(any_text, slashy_text), st.integers(min_value=1, max_value=2000))
def test_guard_never_crashes_and_never_lets_a_command_through(text: str, limit: int) -> None:
    result = guard_text(text, max_chars=limit)
    assert not rasa_sees_intent(result.text)
    assert len(result.text) <= limit
    assert all(
        ch == "\n" or unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co", "Cn"}
        for ch in result.text
    )
    assert normalise(result.text) == result.text  # already normal


@settings(max_examples=200, deadline=None)
@given(st.lists(st.from_regex(r"/[a-z_]{1,20}(\{\"[a-z]{1,8}\": \"[a-zäöü ]{0,12}\"\})?",
                              fullmatch=True),
                min_size=1, max_size=5), st.data())
def test_only_offered_payloads_reach_rasa_as_commands(
    offered: list[str], data: st.DataObject
) -> None:
    attempt = data.draw(st.one_of(st.sampled_from(offered), slashy_text))
    result = guard_text(attempt, offered_payloads=offered)
    if rasa_sees_intent(result.text):
        assert result.text in offered


def test_only_the_server_marks_a_message_as_acute_danger() -> None:
    """rasa_metadata: the client's own keys pass, the danger marker is the server's verdict
    on the text (a client sending it for a harmless text gets it removed)."""
    assert rasa_metadata("Was ist ein Pflegegrad?",
                         {"municipality": "Hagen", ACUTE_DANGER_METADATA: True}) == {
        "municipality": "Hagen"}
    assert rasa_metadata("Was ist ein Pflegegrad?", None) is None
    assert rasa_metadata("Hilfe, mein Mann ist gestürzt und kommt nicht mehr hoch", None) == {
        ACUTE_DANGER_METADATA: True}
