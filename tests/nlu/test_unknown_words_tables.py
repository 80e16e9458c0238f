"""The look-up tables of the unknown-words fallback decide exactly as the scan they replaced.

`ScanVocabulary` is `bot.components.unknown_words.Vocabulary` as of commit 28bf983: every
unknown word was compared with every known word of a neighbouring length and with every
compound part. The tables (one-letter deletions, substrings, prefixes) must give the same
answer for every word: the real vocabulary (data/nlu), and as queries the words of the
benchmark messages, of the held-out set and of the training data and, for a fixed sample of
known words, each of their one-edit variants, prefixes, suffixes and compounds.
"""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from benchmarks.turn_cost import load_messages
from bot.components.unknown_words import (
    MIN_COMPOUND_PART,
    MIN_FUZZY_LENGTH,
    MIN_PREFIX_PART,
    Vocabulary,
    collapse_repeats,
    training_vocabulary,
    words,
)
from safety.text import within_one_edit
from tests.nlu.test_emergency_leakage import holdout, training

ROOT = Path(__file__).resolve().parents[2]
ALPHABET = "abcdefghijklmnopqrstuvwxyz0"


class ScanVocabulary:
    """The replaced implementation, verbatim but for the name."""

    def __init__(self, known: set[str]) -> None:
        self.known = known
        self.by_length: dict[int, list[str]] = defaultdict(list)
        for word in known:
            self.by_length[len(word)].append(word)
        self.compound_parts = [w for w in known if len(w) >= MIN_COMPOUND_PART and w.isalpha()]
        self.collapsed = {collapse_repeats(w) for w in known}

    def knows(self, word: str) -> bool:
        word = word.strip("!")
        if word in self.known or word.isdigit() or collapse_repeats(word) in self.collapsed:
            return True
        if len(word) < MIN_FUZZY_LENGTH:
            return False
        return any(
            within_one_edit(word, candidate)
            for length in (len(word) - 1, len(word), len(word) + 1)
            for candidate in self.by_length.get(length, ())
        ) or self._has_known_part(word)

    def _has_known_part(self, word: str) -> bool:
        if any(word[:n] in self.known for n in range(MIN_PREFIX_PART, len(word))):
            return True
        for part in self.compound_parts:
            if len(part) < len(word) and part in word:
                return True
            if len(part) > len(word) and part.startswith(word):
                return True
        return False


def variants(word: str, rng: random.Random) -> set[str]:
    """One-edit variants (a sample of substitutions and insertions), prefixes, suffixes."""
    found = {word[:i] + word[i + 1:] for i in range(len(word))}
    found |= {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1)}
    for i in rng.sample(range(len(word) + 1), min(3, len(word) + 1)):
        letter = rng.choice(ALPHABET)
        found |= {word[:i] + letter + word[i + 1:], word[:i] + letter + word[i:]}
    found |= {word[:n] for n in range(2, len(word))} | {word[n:] for n in range(1, len(word) - 1)}
    return found


@pytest.fixture(scope="module")
def known() -> set[str]:
    return training_vocabulary(load_data(str(ROOT / "data" / "nlu")))


def queries(known: set[str]) -> list[str]:
    rng = random.Random(21)
    texts = [text for _category, text in load_messages()] + holdout() + training()
    found = {word for text in texts for word in words(text)}
    sample = rng.sample(sorted(known), 120)
    for word in sample:
        found |= variants(word, rng)
    found |= {a + b for a, b in zip(sample, reversed(sample), strict=True)}  # compounds
    found |= {"".join(rng.choice(ALPHABET) for _ in range(rng.randint(5, 14)))
              for _ in range(200)}  # gibberish
    found |= {"", "!", "jaaa!", "tschoeoeoe", "x" * 300}
    return sorted(found)


def test_the_tables_decide_like_the_scan(known: set[str]) -> None:
    tables, scan = Vocabulary(known), ScanVocabulary(known)
    asked = queries(known)
    differing = [word for word in asked if tables.knows(word) != scan.knows(word)]
    assert differing == []
    decided = [scan.knows(word) for word in asked]
    assert len(asked) > 3000 and 0.2 < sum(decided) / len(decided) < 0.95  # both answers occur
