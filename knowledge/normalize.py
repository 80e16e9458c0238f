"""Normalisation of place names for lookup: case, umlauts, 'ae/oe/ue', prefixes."""

from __future__ import annotations

import re
import unicodedata

_UMLAUTS = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}
_PREFIXES = re.compile(r"^(?:in|im|nach|aus|bei|von|am|an der|an|zu|zum|zur)\s+", re.IGNORECASE)


def fold(text: str) -> str:
    """'Dortmund-Hörde' -> 'dortmund hoerde'; 'HOERDE' and 'hörde' fold alike."""
    lowered = text.strip().lower()
    for umlaut, replacement in _UMLAUTS.items():
        lowered = lowered.replace(umlaut, replacement)
    decomposed = unicodedata.normalize("NFKD", lowered)
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", " ", ascii_only).strip()


def slug(text: str) -> str:
    return fold(text).replace(" ", "-")


def strip_preposition(text: str) -> str:
    """'in Dortmund-Hörde' -> 'Dortmund-Hörde' (repeatedly, e.g. 'bei uns in')."""
    previous = None
    text = text.strip().rstrip("?.!")
    while previous != text:
        previous = text
        text = _PREFIXES.sub("", text).strip()
    return text
