"""Removes personal data from free text before it is stored or shown.

`redact(text)` replaces
  - e-mail addresses                      -> "[E-Mail]"
  - IBANs (DE and other countries)        -> "[IBAN]"
  - dates (of birth) in common formats    -> "[Datum]"
  - phone numbers (German and +49 forms)  -> "[Telefon]"
  - URLs with personal paths              -> "[Link]"
  - German health-insurance numbers       -> "[Versichertennummer]"
  - long digit sequences (customer/ID no) -> "[Nummer]"
  - postal addresses "Musterstr. 12"      -> "[Adresse]"
  - names after "ich heiße / mein Name ist / Frau / Herr" -> "[Name]"

It is deliberately conservative: it prefers redacting a little too much (a house number,
a year) over letting a phone number through. The order of the rules matters (IBAN before
phone, dates before phone), so the patterns are applied in the order of `RULES`.

Every rule costs time linear in the text length (bounded quantifiers, e-mail addresses found
from their "@", digit runs judged once as a whole), so hostile input cannot stall a caller;
benchmarks/redaction_cost.py measures it on hostile inputs up to 200,000 characters
(tests/insight/test_redaction.py keeps the behaviour tests).

The module has no dependencies besides `re`, so logs, exports and the security work can
reuse it. `redact_value` walks nested dicts/lists (e.g. Rasa event metadata).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

PLACEHOLDERS = {
    "email": "[E-Mail]",
    "iban": "[IBAN]",
    "date": "[Datum]",
    "phone": "[Telefon]",
    "url": "[Link]",
    "insurance": "[Versichertennummer]",
    "number": "[Nummer]",
    "address": "[Adresse]",
    "name": "[Name]",
}

_MONTHS = (
    r"(?:Jan(?:uar)?|J[äa]n(?:ner)?|Feb(?:ruar)?|M[äa]r(?:z)?|Apr(?:il)?|Mai|Jun(?:i)?|Jul(?:i)?"
    r"|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Okt(?:ober)?|Nov(?:ember)?|Dez(?:ember)?)\.?"
)

# E-mail addresses are found from their "@" (or "(at)", "[at]", " at "), never by trying every
# start of a word: the domain is matched only right after a marker (bounded labels), the local
# part is the run of address characters just before it (read on the reversed text). Every
# character is looked at a bounded number of times, so the cost is linear in the text length.
_EMAIL_MARKER = re.compile(
    r"[^\S\n]{0,3}(?:@|\(at\)|\[at\])[^\S\n]{0,3}|[^\S\n]{1,3}at[^\S\n]{1,3}", re.IGNORECASE)
_EMAIL_SEP = r"(?:[^\S\n]{0,3}(?:\.|\(dot\)|\[dot\])[^\S\n]{0,3}|[^\S\n]{1,3}punkt[^\S\n]{1,3})"
_EMAIL_LABEL = r"[A-Za-z0-9\-äöüÄÖÜ]{1,63}"
_EMAIL_DOMAIN = re.compile(
    _EMAIL_LABEL + r"(?:" + _EMAIL_SEP + _EMAIL_LABEL + r"){0,8}" + _EMAIL_SEP
    + r"[A-Za-z]{2,24}\b",
    re.IGNORECASE,
)
_EMAIL_LOCAL_REVERSED = re.compile(r"[A-Za-z0-9._%+\-äöüÄÖÜß]+")
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
# IBAN: two letters, two check digits, 11-30 alphanumerics, optionally grouped by spaces
_IBAN = re.compile(r"\b[A-Z]{2}\s?\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b",
                   re.IGNORECASE)
_DATE = re.compile(
    # 01.02.1945, 1.2.45
    r"\b(?:0?[1-9]|[12]\d|3[01])\s?[./\-]\s?(?:0?[1-9]|1[0-2])\s?[./\-]\s?(?:19|20)?\d{2}\b"
    r"|\b(?:19|20)\d{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])\b"  # 1945-02-01
    r"|\b(?:0?[1-9]|[12]\d|3[01])\.?\s+" + _MONTHS + r"\s+(?:19|20)\d{2}\b"  # 1. Februar 1945
    r"|\b(?:0?[1-9]|1[0-2])\s?/\s?(?:19|20)\d{2}\b",  # 01/2024
    re.IGNORECASE,
)
# "geboren 1945", "Jahrgang 1938", "geb. 45"
_BIRTH_YEAR = re.compile(
    r"\b(geb(?:oren|\.)?(?:\s+(?:am|im(?:\s+Jahr)?|in))?|Jahrgang|Jg\.)\s+((?:19|20)?\d{2})\b",
    re.IGNORECASE,
)
# Krankenversichertennummer: one letter + 9 digits
_INSURANCE = re.compile(r"\b[A-Z]\d{9}\b")
# Python 3.10's `re` has no atomic groups; "(?=(X))\1" is the same: X matches once, greedily,
# and is never re-tried with fewer characters. Used where a failed match would otherwise be
# retried for every way of splitting a digit run (exponential) or every start (quadratic).
# Phone numbers: +49 / 0049 / leading 0, digits with spaces, slashes, dashes, brackets
_PHONE = re.compile(
    r"(?<![\w+.])(?=((?:(?:\+|00)\s?\d{1,3}[\s\-/.]?(?:\(0\)\s?)?|\(?0)\d{1,5}\)?"
    r"(?:[\s\-/.]{0,3}\d{1,8}){1,5}))\1(?![\w])"
)
# a whole run of digits (single spaces or dashes between them) at once, judged in `_number_sub`
_DIGIT_RUN = re.compile(r"(?<![\w\[])\d(?:[\s\-]?\d)*")
_LAST_DIGIT_GROUP = re.compile(r"[\s\-]\d+$")
_STREET_SUFFIX = (r"(?:stra(?:ß|ss)e|str\.|weg|allee|platz|gasse|ring|damm|ufer|chaussee|pfad"
                  r"|steig|markt)")
_ADDRESS = re.compile(
    r"\b[A-ZÄÖÜ][\wäöüß\-]{0,40}" + _STREET_SUFFIX + r"\s{1,3}\d{1,4}\s?[a-zA-Z]?\b"
    r"|\b(?:[A-ZÄÖÜ][\wäöüß\-]{0,40}\s)?(?:Stra(?:ß|ss)e|Weg|Allee|Platz|Gasse|Ring)\s+\d{1,4}\s?[a-zA-Z]?\b",
)
_NAME = re.compile(
    r"\b((?i:ich\s+hei(?:ß|ss)e|mein\s+name\s+ist|hier\s+(?:ist|spricht)|name:?|frau|herrn?)"
    r"(?:\s+(?:Dr|Prof)\.)*"
    r"|(?i:mein(?:e|em|er|en)?)\s+(?i:sohn|tochter|mann|ehemann|ehefrau|enkel(?:in)?|bruder"
    r"|schwester|mutter|vater|nachbar(?:in)?|betreuer(?:in)?|schwiegertochter|schwiegersohn))\s+"
    r"([A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ][a-zäöüß]+)?(?:\s[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ][a-zäöüß]+)?)?)"
    r"(?![\wäöüß])",
)
# capitalised words after "Frau/Herr/mein Sohn" that are not names (titles, common nouns)
_NOT_NAMES = {
    "doktor", "dr", "professor", "prof", "ich", "und", "oder", "bitte", "mit", "von", "hat",
    "ist", "pflegegrad", "pflege", "hilfe", "vollmacht", "vorsorgevollmacht", "wohnung",
    "antrag", "rente", "geld", "termin", "zeit", "der", "die", "das", "den", "dem", "braucht",
    "kann", "will", "möchte", "muss", "wohnt", "lebt", "sagt", "meint", "heute", "morgen",
    "gestern", "auch", "noch", "schon", "nicht", "kein", "keine", "einen", "eine", "ein",
}


def _name_sub(match: re.Match[str]) -> str:
    lead, names = match.group(1), match.group(2)
    words = names.split()
    if words[0].lower() in _NOT_NAMES or not words[0][:1].isupper():
        return match.group(0)
    if len(words) > 1 and words[1].lower() in _NOT_NAMES:  # "Frau Schmidt Pflegegrad"
        return f"{lead} {PLACEHOLDERS['name']} {words[1]}"
    return f"{lead} {PLACEHOLDERS['name']}"


def _birth_year_sub(match: re.Match[str]) -> str:
    return f"{match.group(1)} {PLACEHOLDERS['date']}"


def _phone_sub(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    # short numbers ("0 Euro", "Pflegegrad 2", "112") stay; phone numbers have >= 6 digits
    if len(digits) < 6:
        return match.group(0)
    return PLACEHOLDERS["phone"]


def _number_sub(match: re.Match[str]) -> str:
    """Six or more digits are a customer/ID number; digits glued to a following letter
    ("12 345 6789a") belong to that word, so only the part before them counts."""
    run, end = match.group(0), match.end()
    kept = ""
    if end < len(match.string) and (match.string[end].isalnum() or match.string[end] == "_"):
        glued = _LAST_DIGIT_GROUP.search(run)
        if glued is None:
            return run
        run, kept = run[:glued.start()], run[glued.start():]
    if sum(ch.isdigit() for ch in run) < 6:
        return run + kept
    return PLACEHOLDERS["number"] + kept


def _redact_emails(text: str) -> str:
    reversed_text = text[::-1]
    parts: list[str] = []
    done = 0  # text[:done] is already in `parts`
    position = 0
    while True:
        marker = _EMAIL_MARKER.search(text, position)
        if marker is None:
            break
        position = marker.end()
        local = _EMAIL_LOCAL_REVERSED.match(reversed_text, len(text) - marker.start())
        domain = _EMAIL_DOMAIN.match(text, marker.end())
        if local is None or domain is None:
            position = max(position, marker.start() + 1)
            continue
        start = max(marker.start() - len(local.group(0)), done)
        parts += [text[done:start], PLACEHOLDERS["email"]]
        done = position = domain.end()
    parts.append(text[done:])
    return "".join(parts)


def _substitute(pattern: re.Pattern[str],
                replacement: str | Callable[[re.Match[str]], str]) -> Callable[[str], str]:
    return lambda text: pattern.sub(replacement, text)


Rule = tuple[str, Callable[[str], str]]


def _is_iban(candidate: str) -> bool:
    """Checks an IBAN candidate with the ISO 7064 mod-97 checksum (or accepts DE-shaped ones)."""
    compact = re.sub(r"\s", "", candidate).upper()
    if not (15 <= len(compact) <= 34):
        return False
    rearranged = compact[4:] + compact[:4]
    try:
        number = int("".join(str(int(ch, 36)) for ch in rearranged))
    except ValueError:
        return False
    return number % 97 == 1 or (compact.startswith("DE") and len(compact) == 22)


def _iban_sub(match: re.Match[str]) -> str:
    return PLACEHOLDERS["iban"] if _is_iban(match.group(0)) else match.group(0)


RULES: list[Rule] = [
    ("email", _redact_emails),
    ("url", _substitute(_URL, PLACEHOLDERS["url"])),
    ("iban", _substitute(_IBAN, _iban_sub)),
    ("date", _substitute(_DATE, PLACEHOLDERS["date"])),
    ("date", _substitute(_BIRTH_YEAR, _birth_year_sub)),
    ("insurance", _substitute(_INSURANCE, PLACEHOLDERS["insurance"])),
    ("phone", _substitute(_PHONE, _phone_sub)),
    ("number", _substitute(_DIGIT_RUN, _number_sub)),
    ("address", _substitute(_ADDRESS, PLACEHOLDERS["address"])),
    ("name", _substitute(_NAME, _name_sub)),
]


def redact(text: str | None) -> str:
    """Returns `text` with personal data replaced by German placeholders."""
    if not text:
        return text or ""
    result = text
    for _kind, apply in RULES:
        result = apply(result)
    return result


def redact_value(value: Any) -> Any:
    """Redacts all strings in a nested structure (dicts, lists, tuples)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redact_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact_value(item) for item in value)
    return value
