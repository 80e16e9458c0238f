"""Every fact has its German name in bot/facts.yml (what the review page and the
Antwortkatalog show city staff), and a fact without one is reported by the check."""

from __future__ import annotations

import copy
from datetime import date

from bot.content import facts, review


def test_every_fact_names_itself_in_german() -> None:
    unnamed = [key for key, fact in facts.facts(facts.load()).items()
               if not str(fact.data.get("label") or "").strip()]
    assert unnamed == []


def test_a_fact_without_its_name_is_reported_but_an_answer_source_needs_none() -> None:
    data = copy.deepcopy(facts.load())
    del data["pflege"]["entlastungsbetrag"]["label"]
    found = {due.key: due for due in review.check(date(2026, 12, 2), data)}
    assert found["pflege.entlastungsbetrag"].overdue
    assert "label" in found["pflege.entlastungsbetrag"].problem
    assert not any(key.startswith("answers.") and "label" in (due.problem or "")
                   for key, due in found.items())
