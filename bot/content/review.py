"""The review gate: facts whose review date has passed, or is near, and the answers using
them (`quartierslotse facts check [--today YYYY-MM-DD]`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from bot.content import build, texts
from bot.content import facts as facts_module

WARN_DAYS = 60


@dataclass(frozen=True)
class Due:
    key: str               # "pflege.pflegegeld" or "answers.utter_ask_wohnen/hausnotruf"
    review_by: date | None  # None: missing or unreadable
    overdue: bool
    answers: list[str] = field(default_factory=list)
    problem: str = ""       # a missing label / source / as_of / review_by


def answers_using(data: dict[str, Any] | None = None) -> dict[str, list[str]]:
    """fact key -> answers (response names) that use it."""
    using: dict[str, list[str]] = {}
    for response in answer_names(data):
        for key in build.used_keys(response):
            using.setdefault(key, []).append(response)
    for name, template in texts.TEMPLATES.items():
        for key in facts_module.fact_keys(template):
            using.setdefault(key, []).append(f"Programmtext {name}")
    return using


def answer_names(data: dict[str, Any] | None = None) -> list[str]:
    names = set(facts_module.answers(data))
    for template in build.templates():
        names |= set(build.template_responses(template))
    return sorted(names)


def _entries(data: dict[str, Any] | None) -> list[tuple[str, dict[str, Any]]]:
    entries = [(fact.key, fact.data) for fact in facts_module.facts(data).values()]
    entries += [(f"answers.{name}", meta) for name, meta in facts_module.answers(data).items()]
    return entries


def check(today: date, data: dict[str, Any] | None = None) -> list[Due]:
    """Every fact and answer source that is overdue, due within WARN_DAYS, or incomplete."""
    using = answers_using(data)
    found: list[Due] = []
    for key, entry in _entries(data):
        users = [] if key.startswith("answers.") else using.get(key, [])
        required = facts_module.REQUIRED if key.startswith("answers.") else (
            facts_module.FACT_REQUIRED)
        missing = [name for name in required if not entry.get(name)]
        try:
            review_by = facts_module.parse_day(entry["review_by"])
        except (KeyError, ValueError):
            found.append(Due(key, None, True, users, "fehlt: " + ", ".join(missing or
                                                                           ["review_by"])))
            continue
        if missing:
            found.append(Due(key, review_by, True, users, "fehlt: " + ", ".join(missing)))
        elif review_by <= today:
            found.append(Due(key, review_by, True, users))
        elif review_by <= today + timedelta(days=WARN_DAYS):
            found.append(Due(key, review_by, False, users))
    return sorted(found, key=lambda due: (not due.overdue, due.review_by or date.min, due.key))


def report(due: list[Due], today: date) -> list[str]:
    overdue = [d for d in due if d.overdue]
    soon = [d for d in due if not d.overdue]
    lines = [f"Prüfung der Angaben am {today.isoformat()}: {len(overdue)} überfällig, "
             f"{len(soon)} in den nächsten {WARN_DAYS} Tagen fällig."]
    for title, group in (("FEHLER – Prüfdatum überschritten oder Angabe unvollständig:", overdue),
                         ("WARNUNG – bald zu prüfen:", soon)):
        if not group:
            continue
        lines.append(title)
        for entry in group:
            when = entry.review_by.isoformat() if entry.review_by else "ohne Datum"
            extra = f" ({entry.problem})" if entry.problem else ""
            lines.append(f"  {entry.key}: prüfen bis {when}{extra}")
            if entry.answers:
                lines.append(f"    verwendet in: {', '.join(entry.answers)}")
    return lines


def run(today: date) -> int:
    due = check(today)
    print("\n".join(report(due, today)))
    return 1 if any(entry.overdue for entry in due) else 0
