"""Text normalisation shared by the emergency detector and the NLU components.

Two forms: `normalise` writes umlauts out (ä -> ae) and is what the vocabulary of the
unknown-words fallback is built on; `fold` goes one step further and maps both "ä" and
"ae" to "a" (and so on), so that "gestürzt", "gestuerzt" and "gesturzt" become one word.
"""

from __future__ import annotations

import re
import unicodedata

_UMLAUTS = (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"))
_FOLDS = (("ae", "a"), ("oe", "o"), ("ue", "u"))


def _strip_accents(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def write_out_umlauts(text: str) -> str:
    """Lower case, umlauts as ae/oe/ue, ß as ss, other accents removed."""
    text = text.lower()
    for umlaut, plain in _UMLAUTS:
        text = text.replace(umlaut, plain)
    return _strip_accents(text)


def normalise(text: str) -> str:
    """Lower case, umlauts as ae/oe/ue, ß as ss, no punctuation, single spaces."""
    text = re.sub(r"[^a-z0-9! ]+", " ", write_out_umlauts(text))
    return re.sub(r"\s+", " ", text).strip()


def fold_letters(text: str) -> str:
    """Lower case with every umlaut spelling folded to its base vowel ("ü", "ue" -> "u").

    Touches letters only, so it can be applied to regular expressions as well.
    """
    text = write_out_umlauts(text)
    for pair, vowel in _FOLDS:
        text = text.replace(pair, vowel)
    return text


def fold(text: str) -> str:
    """`fold_letters`, then anything but letters, digits and clause marks as single spaces."""
    text = re.sub(r"[^a-z0-9.,;:!?\n ]+", " ", fold_letters(text))
    return re.sub(r"[ \t]+", " ", text).strip()


def within_one_edit(word: str, target: str) -> bool:
    """True if one substitution, insertion, deletion or transposition turns word into target."""
    if abs(len(word) - len(target)) > 1:
        return False
    if word == target:
        return True
    if len(word) == len(target):
        diffs = [i for i, (a, b) in enumerate(zip(word, target, strict=True)) if a != b]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2 and diffs[1] == diffs[0] + 1
            and word[diffs[0]] == target[diffs[1]] and word[diffs[1]] == target[diffs[0]]
        )
    short, long_ = (word, target) if len(word) < len(target) else (target, word)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))
