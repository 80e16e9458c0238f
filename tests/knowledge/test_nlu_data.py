"""The office NLU data: enough varied examples, and a place lookup in sync with the seeds."""

from __future__ import annotations

import re

import yaml

from knowledge.places import all_place_names
from quartierslotse.settings import PROJECT_ROOT

NLU_FILE = PROJECT_ROOT / "data" / "nlu" / "offices.yml"


def _blocks() -> list[dict]:
    return yaml.safe_load(NLU_FILE.read_text(encoding="utf-8"))["nlu"]


def _examples(intent: str) -> list[str]:
    block = next(b for b in _blocks() if b.get("intent") == intent)
    return [line[2:] for line in block["examples"].splitlines() if line.startswith("- ")]


def test_enough_examples_per_contract_intent() -> None:
    assert len(_examples("find_office")) >= 60
    assert len(_examples("ask_opening_hours")) >= 60
    assert len(_examples("inform_location")) >= 40


def test_examples_cover_lower_case_missing_umlauts_and_relatives() -> None:
    texts = _examples("find_office") + _examples("ask_opening_hours")
    assert any(text == text.lower() for text in texts)
    assert any(re.search(r"oe|ue|ae", text) and "ö" not in text for text in texts)
    assert sum("Mutter" in text or "Vater" in text or "Oma" in text for text in texts) >= 4
    for entity in ("place", "postal_code", "office_type", "weekday"):
        assert any(
            f'"entity": "{entity}"' in t or f"]({entity})" in t
            for t in texts + _examples("inform_location")
        ), entity


def test_place_lookup_matches_the_knowledge_base() -> None:
    lookup = next(b for b in _blocks() if b.get("lookup") == "place")
    names = [line[2:] for line in lookup["examples"].splitlines() if line.startswith("- ")]
    assert names == all_place_names()
    assert {"Hörde", "Dortmund-Hörde", "Alstaden", "Sterkrade-Mitte", "Sterkrade-Nord"} <= set(
        names
    )
