"""The facts file bot/facts.yml: look-up by key, German formatting, rendering of templates.

A fact is a mapping with `label` (its German name on the review page and in the
Antwortkatalog), `source`, `as_of` and `review_by`; its numbers are fields whose
kind is named in `units` ("euro", "weeks", "phone" …). Texts refer to a number by key:
`{{pflege.entlastungsbetrag.value}}`, `{{pflege.pflegegeld.per_grade.3}}`,
`{{phones.silbernetz.number}}` or a whole line: `{{stand}}` (the Stand/Quelle line of the
answer being rendered, from the `answers` section).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from quartierslotse.settings import PROJECT_ROOT

FACTS_FILE = PROJECT_ROOT / "bot" / "facts.yml"
PLACEHOLDER = re.compile(r"\{\{\s*([a-z0-9_./]+)\s*\}\}")
MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
          "September", "Oktober", "November", "Dezember")
FACT_SECTIONS = ("pflege", "vorsorge", "wohnen", "soziales", "gesundheit", "phones")
REQUIRED = ("source", "as_of", "review_by")  # of every fact and answer source
FACT_REQUIRED = ("label", *REQUIRED)  # a fact also has its German name


class FactError(KeyError):
    """A template names a key that bot/facts.yml does not have."""


@dataclass(frozen=True)
class Fact:
    key: str            # "pflege.entlastungsbetrag"
    source: str
    as_of: str
    review_by: str
    data: dict[str, Any]

    def units(self) -> dict[str, str]:
        units = dict(self.data.get("units") or {})
        if "number" in self.data:
            units["number"] = "phone"
        if "numbers" in self.data:
            units["numbers"] = "phone"
        return units


@lru_cache(maxsize=4)
def load(path: Path = FACTS_FILE) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping")
    return data


def facts(data: dict[str, Any] | None = None) -> dict[str, Fact]:
    """Every fact of the topical sections, by key."""
    data = load() if data is None else data
    found: dict[str, Fact] = {}
    for section in FACT_SECTIONS:
        for name, entry in (data.get(section) or {}).items():
            if isinstance(entry, dict):
                key = f"{section}.{name}"
                found[key] = Fact(key, str(entry.get("source", "")), str(entry.get("as_of", "")),
                                  str(entry.get("review_by", "")), entry)
    return found


def answers(data: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    data = load() if data is None else data
    return dict(data.get("answers") or {})


def lookup(key: str, data: dict[str, Any] | None = None) -> Any:
    """The raw value at a dotted key ("pflege.pflegegeld.per_grade.3")."""
    node: Any = load() if data is None else data
    for part in key.split("."):
        if isinstance(node, dict):
            if part in node:
                node = node[part]
            elif part.isdigit() and int(part) in node:
                node = node[int(part)]
            else:
                raise FactError(key)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise FactError(key)
    return node


def fact_of(key: str, data: dict[str, Any] | None = None) -> Fact:
    """The fact a value key belongs to ("pflege.pflegegeld.per_grade.3" -> pflege.pflegegeld)."""
    section, name = (key.split(".") + [""])[:2]
    found = facts(data).get(f"{section}.{name}")
    if found is None:
        raise FactError(key)
    return found


def unit_of(key: str, data: dict[str, Any] | None = None) -> str | None:
    fact = fact_of(key, data)
    field = key.split(".")[2] if key.count(".") >= 2 else ""
    return fact.units().get(field)


def number(value: Any, unit: str | None = None) -> str:
    """German display: 1497 -> "1.497", 25.5 Euro -> "25,50", 12.5 -> "12,5"."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, float) and not value.is_integer():
        text = f"{value:.2f}" if unit == "euro" else f"{value:g}"
        return text.replace(".", ",")
    if isinstance(value, (int, float)):
        return f"{int(value):,}".replace(",", ".")
    return str(value)


def value(key: str, data: dict[str, Any] | None = None) -> str:
    """The display text of one value by key."""
    raw = lookup(key, data)
    if isinstance(raw, (dict, list)):
        raise FactError(f"{key} is not a single value")
    if isinstance(raw, str):
        return german_date(raw) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw) else raw
    return number(raw, unit_of(key, data))


def german_date(iso: str) -> str:
    """"2025-01-01" -> "1. Januar 2025"; other days and "2026-11" -> "November 2026"."""
    parts = [int(p) for p in str(iso).split("-")[:3]]
    if len(parts) == 3 and parts[2] == 1:
        return f"1. {MONTHS[parts[1] - 1]} {parts[0]}"
    return f"{MONTHS[parts[1] - 1]} {parts[0]}"


def stand_line(response: str, data: dict[str, Any] | None = None) -> str:
    """"Stand: 1. Januar 2025 · Quelle: § 45b SGB XI" for an answer of the answers section."""
    meta = answers(data).get(response)
    if meta is None:
        raise FactError(f"answers.{response}")
    return f"Stand: {german_date(meta['as_of'])} · Quelle: {meta['source']}"


def placeholders(text: str) -> list[str]:
    return PLACEHOLDER.findall(text)


def fact_keys(text: str) -> list[str]:
    """The facts a text uses ("pflege.pflegegeld" for {{pflege.pflegegeld.per_grade.3}})."""
    keys: list[str] = []
    for key in placeholders(text):
        fact = ".".join(key.split(".")[:2])
        if key != "stand" and fact not in keys:
            keys.append(fact)
    return keys


def render(text: str, response: str | None = None, data: dict[str, Any] | None = None) -> str:
    """Replace every {{key}} by its display value; {{stand}} needs the response name."""
    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key == "stand":
            if response is None:
                raise FactError("stand outside a response")
            return stand_line(response, data)
        return value(key, data)
    return PLACEHOLDER.sub(replace, text)


def parse_day(text: str) -> date:
    return date.fromisoformat(str(text)[:10])
