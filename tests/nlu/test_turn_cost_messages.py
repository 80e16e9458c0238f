"""The messages of benchmarks/turn_cost.py are its own: no message is (nearly) a sentence of the
training data, the held-out set, the emergency evaluation set or the keyword tests, and none is
longer than the 1000-character input limit (security/input_guard.py)."""

from __future__ import annotations

import pytest

from benchmarks.turn_cost import load_messages
from security.input_guard import DEFAULT_MAX_CHARS
from tests.nlu.test_emergency_leakage import SETS, leaks

MESSAGES = [text for _category, text in load_messages()]


@pytest.mark.parametrize("name", sorted(SETS))
def test_no_message_is_near_a_sentence_of(name: str) -> None:
    assert leaks(MESSAGES, SETS[name]()) == []


def test_every_message_fits_the_input_limit() -> None:
    assert all(0 < len(text) <= DEFAULT_MAX_CHARS for text in MESSAGES)
    assert max(len(text) for text in MESSAGES) > 0.9 * DEFAULT_MAX_CHARS  # the limit is covered


def test_the_set_covers_every_kind_of_message() -> None:
    categories = {category for category, _text in load_messages()}
    assert categories == {"topic", "office", "emergency", "typo", "foreign", "long"}
    assert 35 <= len(MESSAGES) <= 50
