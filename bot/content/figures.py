"""Is every figure a user can see backed by bot/facts.yml - in its context?

A euro amount must be the value of a fact whose unit is "euro", a phone number one of the
phone facts (compared as a number), a § citation part of a fact's or answer's source, a
date one of the facts' dates, "8 Wochen" a fact with unit "weeks", and so on. Grade labels
("Pflegegrad 3") are names, not figures. Text in German quotes („…“) is an example of what
a user may type and is skipped.

`unbacked(text)` checks a rendered text; `typed_figures(text)` finds figures typed into a
source (templates, Python string literals, the widget) instead of taken from the facts.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.content import facts as facts_module

MONTH = "|".join(facts_module.MONTHS)
QUOTED = re.compile(r"„[^“]*“")
# "zum Beispiel 44263", "zum Beispiel 0231 123456": a format example, not a figure
EXAMPLE = re.compile(r"(?:zum Beispiel|z\. ?B\.):?\s+\d[\d /-]*")
LAW = r"(?:SGB [IVX]+|BGB|BtOG|SGG|GBO|WoGG)"
CITATION = re.compile(
    r"§§?\s?\d+[a-z]?(?:(?:,\s?|\s(?:Abs\.|und|bis|ff\.)\s?)\d*[a-z]?\.?)*\s" + LAW)
DAY = re.compile(rf"\b(\d{{1,2}})\. ({MONTH}) (\d{{4}})\b")
MONTH_YEAR = re.compile(rf"\b({MONTH}) (\d{{4}})\b")
EURO = re.compile(r"(?<![\d.,])(\d{1,3}(?:\.\d{3})*(?:,\d{1,2})?)\s?(?:Euro|€)")
PHONE = re.compile(r"(?<![\d.,])(?:0\d{2,5}(?:[ /-]?\d+)+|11\d(?: \d{3})?)(?![\d]|,\d)")
CLOCK = re.compile(r"(?<![\d.,])(\d{1,2})(?: bis (\d{1,2}))? Uhr\b")
GRADE = re.compile(r"\b(?:Pflegegrade?n?|PG) (\d)(?: bis (\d))?\b")
RANGE = re.compile(r"(?<![\d.,])(\d+(?:,\d+)?) bis (\d+(?:,\d+)?) ([A-Za-zäöüÄÖÜß]+)")
WITH_UNIT = re.compile(r"(?<![\d.,])(\d+(?:[.,]\d+)?)\s?([A-Za-zäöüÄÖÜß%]+)")
YEAR = re.compile(r"\b((?:19|20)\d{2})\b")
DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
# German unit words -> fact units
UNIT_WORDS = {
    "woche": {"weeks"}, "wochen": {"weeks"}, "monat": {"months"}, "monate": {"months"},
    "monaten": {"months"}, "arbeitstage": {"working_days"}, "arbeitstagen": {"working_days"},
    "punkte": {"points"}, "punkten": {"points"}, "jahre": {"years", "age"},
    "jahren": {"years", "age"}, "bereiche": {"count"}, "wohnberatungsstellen": {"count"},
    "prozent": {"percent"}, "%": {"percent"},
}
SOURCE_SUFFIXES = (".yml", ".py", ".js", ".html")


@dataclass(frozen=True)
class Backing:
    by_unit: dict[str, frozenset[str]]
    phones: frozenset[str]
    sources: tuple[str, ...]
    days: frozenset[tuple[int, int, int]]
    months: frozenset[tuple[int, int]]
    grades: frozenset[str]


def _display_values(fact: facts_module.Fact) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for field, unit in fact.units().items():
        raw = fact.data.get(field)
        values = list(raw.values()) if isinstance(raw, dict) else (
            raw if isinstance(raw, list) else [raw])
        shown = out.setdefault(unit, set())
        for value in values:
            if value is None:
                continue
            shown.add(digits_only(str(value)) if unit == "phone"
                      else facts_module.number(value, unit))
    return out


def digits_only(text: str) -> str:
    return re.sub(r"\D", "", text)


def _dates(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        for value in node.values():
            _dates(value, found)
    elif isinstance(node, list):
        for value in node:
            _dates(value, found)
    elif isinstance(node, str) and re.fullmatch(r"\d{4}-\d{2}(?:-\d{2})?", node):
        found.add(node)


def backing(data: dict[str, Any] | None = None) -> Backing:
    data = facts_module.load() if data is None else data
    by_unit: dict[str, set[str]] = {}
    for fact in facts_module.facts(data).values():
        for unit, values in _display_values(fact).items():
            by_unit.setdefault(unit, set()).update(values)
    sources = [fact.source for fact in facts_module.facts(data).values()]
    sources += [str(meta.get("source", "")) for meta in facts_module.answers(data).values()]
    dates: set[str] = set()
    _dates(data, dates)
    days = {tuple(int(p) for p in d.split("-")) for d in dates if d.count("-") == 2}
    months = {(int(d[:4]), int(d[5:7])) for d in dates}
    grades = facts_module.lookup("pflege.punkte.grades", data)
    return Backing({u: frozenset(v) for u, v in by_unit.items()},
                   frozenset(by_unit.get("phone", set())), tuple(sources),
                   frozenset(days), frozenset(months),  # type: ignore[arg-type]
                   frozenset(str(g) for g in grades))


@lru_cache(maxsize=1)
def _default_backing() -> Backing:
    return backing()


def _in_unit(back: Backing, number: str, units: set[str]) -> bool:
    return any(number in back.by_unit.get(unit, frozenset()) for unit in units)


def unbacked(text: str, back: Backing | None = None) -> list[str]:
    """The figures in a user-visible text that no fact backs, each with its context."""
    back = back or _default_backing()
    problems: list[str] = []
    rest = EXAMPLE.sub(" ", QUOTED.sub(" ", text))

    def consume(pattern: re.Pattern[str], ok: Any) -> None:
        nonlocal rest

        def check(match: re.Match[str]) -> str:
            if not ok(match):
                problems.append(match.group(0))
            return " "
        rest = pattern.sub(check, rest)

    consume(CITATION, lambda m: any(re.sub(r"\s", " ", m.group(0)) in s for s in back.sources))
    consume(DAY, lambda m: (int(m.group(3)), facts_module.MONTHS.index(m.group(2)) + 1,
                            int(m.group(1))) in back.days)
    consume(MONTH_YEAR, lambda m: (int(m.group(2)), facts_module.MONTHS.index(m.group(1)) + 1)
            in back.months)
    consume(EURO, lambda m: m.group(1) in back.by_unit.get("euro", frozenset()))
    consume(CLOCK, lambda m: all(_in_unit(back, g, {"hour"}) for g in m.groups() if g))
    consume(GRADE, lambda m: all(g in back.grades for g in m.groups() if g))
    consume(RANGE, lambda m: all(_in_unit(back, g, UNIT_WORDS.get(m.group(3).lower(), set()))
                                 for g in m.groups()[:2]))
    consume(PHONE, lambda m: digits_only(m.group(0)) in back.phones)
    consume(WITH_UNIT, lambda m: _in_unit(back, m.group(1), UNIT_WORDS.get(m.group(2).lower(),
                                                                            set())))
    consume(YEAR, lambda m: any(year == int(m.group(1)) for year, _ in back.months))
    problems.extend(m.group(0) for m in DIGITS.finditer(rest))
    return problems


def typed_figures(text: str) -> list[str]:
    """Any number typed into a response template outside {{fact.key}} placeholders (grade
    labels and quoted user examples are not figures)."""
    rest = EXAMPLE.sub(" ", QUOTED.sub(" ", facts_module.PLACEHOLDER.sub(" ", text)))
    rest = GRADE.sub(" ", rest)
    return [m.group(0) for m in DIGITS.finditer(rest)]


FACT_LIKE = (CITATION, EURO, PHONE)


def fact_like_figures(text: str) -> list[str]:
    """Figures of the kinds the facts file owns (§ citations, euro amounts, phone numbers,
    durations and percentages) typed into program code: they must come from the facts."""
    rest = EXAMPLE.sub(" ", QUOTED.sub(" ", facts_module.PLACEHOLDER.sub(" ", text)))
    found = [m.group(0) for pattern in FACT_LIKE for m in pattern.finditer(rest)]
    found += [m.group(0) for m in WITH_UNIT.finditer(rest) if m.group(2).lower() in UNIT_WORDS]
    return found


# ---- where user-visible texts live ---------------------------------------------------------


def response_texts(domain_file: Path) -> list[tuple[str, str]]:
    """(response name, text) of every variation and button title of a domain file."""
    import yaml

    data = yaml.safe_load(domain_file.read_text(encoding="utf-8")) or {}
    out = []
    for name, variations in (data.get("responses") or {}).items():
        for variation in variations:
            out.append((name, str(variation.get("text") or "")))
            out += [(name, str(b.get("title") or "")) for b in variation.get("buttons") or []]
    return out


def template_lines(template: Path) -> list[str]:
    """The lines of a response template that users see (not comments or keys)."""
    lines = []
    for line in template.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("#") or stripped.startswith("version:") or \
                stripped.startswith("payload:"):
            continue
        lines.append(line)
    return lines


GERMAN_WORDS = re.compile(r"[A-Za-zÄÖÜäöüß]{3,} [A-Za-zÄÖÜäöüß]{2,}")


def python_strings(source: Path) -> list[str]:
    """String literals of a Python module that read like German text (docstrings skipped)."""
    tree = ast.parse(source.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings and GERMAN_WORDS.search(node.value)]


JS_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"|\'((?:[^\'\\\n]|\\.)*)\'')


def script_strings(source: Path) -> list[str]:
    """String literals of a JavaScript file that read like German text."""
    text = re.sub(r"/\*.*?\*/", " ", source.read_text(encoding="utf-8"), flags=re.S)
    text = re.sub(r"(?m)(^|\s)//.*$", " ", text)
    found = [a or b for a, b in JS_STRING.findall(text)]
    return [s for s in found if GERMAN_WORDS.search(s)]


def html_text(source: Path) -> str:
    """The visible text of an HTML template (tags and attributes removed)."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", source.read_text(encoding="utf-8"),
                  flags=re.S)
    return re.sub(r"<[^>]+>", " ", text)
