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

_EMAIL = re.compile(
    r"[A-Za-z0-9._%+\-äöüÄÖÜß]+\s*(?:@|\(at\)|\[at\]|\s+at\s+)\s*"
    r"[A-Za-z0-9\-äöüÄÖÜ]+(?:\s*(?:\.|\(dot\)|\[dot\]|\s+punkt\s+)\s*[A-Za-z0-9\-äöüÄÖÜ]+)*"
    r"\s*(?:\.|\(dot\)|\[dot\]|\s+punkt\s+)\s*[A-Za-z]{2,}\b",
    re.IGNORECASE,
)
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
# Phone numbers: +49 / 0049 / leading 0, digits with spaces, slashes, dashes, brackets
_PHONE = re.compile(
    r"(?<![\w+.])(?:(?:\+|00)\s?\d{1,3}[\s\-/.]?(?:\(0\)\s?)?|\(?0)\d{1,5}\)?"
    r"(?:[\s\-/.]*\d{1,8}){1,5}(?![\w])"
)
_LONG_NUMBER = re.compile(r"(?<![\w\[])\d(?:[\s\-]?\d){5,}(?![\w])")
_STREET_SUFFIX = (r"(?:stra(?:ß|ss)e|str\.|weg|allee|platz|gasse|ring|damm|ufer|chaussee|pfad"
                  r"|steig|markt)")
_ADDRESS = re.compile(
    r"\b[A-ZÄÖÜ][\wäöüß\-]*" + _STREET_SUFFIX + r"\s+\d{1,4}\s?[a-zA-Z]?\b"
    r"|\b(?:[A-ZÄÖÜ][\wäöüß\-]*\s)?(?:Stra(?:ß|ss)e|Weg|Allee|Platz|Gasse|Ring)\s+\d{1,4}\s?[a-zA-Z]?\b",
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


Rule = tuple[str, re.Pattern[str], "str | Callable[[re.Match[str]], str]"]

RULES: list[Rule] = [
    ("email", _EMAIL, PLACEHOLDERS["email"]),
    ("url", _URL, PLACEHOLDERS["url"]),
    ("iban", _IBAN, PLACEHOLDERS["iban"]),
    ("date", _DATE, PLACEHOLDERS["date"]),
    ("date", _BIRTH_YEAR, _birth_year_sub),
    ("insurance", _INSURANCE, PLACEHOLDERS["insurance"]),
    ("phone", _PHONE, _phone_sub),
    ("number", _LONG_NUMBER, PLACEHOLDERS["number"]),
    ("address", _ADDRESS, PLACEHOLDERS["address"]),
    ("name", _NAME, _name_sub),
]


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


RULES[2] = ("iban", _IBAN, _iban_sub)


def redact(text: str | None) -> str:
    """Returns `text` with personal data replaced by German placeholders."""
    if not text:
        return text or ""
    result = text
    for _kind, pattern, replacement in RULES:
        result = pattern.sub(replacement, result)  # type: ignore[arg-type]
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
