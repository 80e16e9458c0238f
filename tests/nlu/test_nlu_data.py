"""The NLU training data and the held-out set: size, variety, no leakage."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from quartierslotse.settings import PROJECT_ROOT

NLU_DIR = PROJECT_ROOT / "data" / "nlu"
HOLDOUT = PROJECT_ROOT / "tests" / "nlu" / "holdout.yml"
DOMAIN_DIR = PROJECT_ROOT / "bot" / "domain"
ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")

MIN_60 = ["ask_pflegegrad", "ask_vorsorgevollmacht", "ask_begegnung", "ask_wohnen", "emergency"]
MIN_60_OTHER_OWNERS = ["find_office", "ask_opening_hours", "request_human"]
MIN_30 = ["greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "out_of_scope"]


def examples(path: Path) -> list[tuple[str, str]]:
    """(full intent name, plain text) for every example of a Rasa NLU file."""
    rows = []
    for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
        if "intent" not in block:
            continue
        for line in block["examples"].splitlines():
            line = line.strip()
            if line.startswith("- "):
                rows.append((block["intent"], ANNOTATION.sub(r"\1", line[2:]).strip()))
    return rows


def training_rows() -> list[tuple[str, str]]:
    return [row for path in sorted(NLU_DIR.glob("*.yml")) for row in examples(path)]


def counts() -> Counter:
    return Counter(intent.split("/")[0] for intent, _ in training_rows())


@pytest.mark.parametrize("intent", MIN_60)
def test_topic_and_emergency_intents_have_at_least_60_examples(intent: str) -> None:
    assert counts()[intent] >= 60


@pytest.mark.parametrize("intent", MIN_60_OTHER_OWNERS)
def test_office_hours_and_handoff_intents_have_at_least_60_examples(intent: str) -> None:
    assert counts()[intent] >= 60, f"{intent}: only {counts()[intent]} examples"


@pytest.mark.parametrize("intent", MIN_30)
def test_other_intents_have_at_least_30_examples(intent: str) -> None:
    assert counts()[intent] >= 30


def norm(text: str) -> str:
    return re.sub(r"[^\wäöüß]+", " ", text.lower()).strip()


def test_holdout_is_not_used_for_training() -> None:
    trained = {norm(text) for _, text in training_rows()}
    leaked = [text for _, text in examples(HOLDOUT) if norm(text) in trained]
    assert not leaked
    assert not list(NLU_DIR.rglob("holdout*")), "the held-out set must stay outside data/"


def test_holdout_covers_every_contract_intent() -> None:
    covered = {intent.split("/")[0] for intent, _ in examples(HOLDOUT)}
    assert set(MIN_60 + MIN_60_OTHER_OWNERS + MIN_30) | {"inform_location"} <= covered


def test_every_retrieval_sub_intent_has_an_answer_and_vice_versa() -> None:
    responses: set[str] = set()
    for path in DOMAIN_DIR.glob("*.yml"):
        responses |= set((yaml.safe_load(path.read_text(encoding="utf-8")) or {})
                         .get("responses", {}))
    sub_intents = {intent for intent, _ in training_rows() if "/" in intent}
    answered = {name[len("utter_"):] for name in responses if "/" in name}
    assert sub_intents == answered


@pytest.mark.parametrize("topic", ["pflegegrad", "vorsorgevollmacht", "begegnung", "wohnen"])
def test_topic_data_is_varied(topic: str) -> None:
    """Register, spelling and perspective as seniors and relatives really write."""
    texts = [text for _, text in examples(NLU_DIR / f"{topic}.yml")]
    raw = (NLU_DIR / f"{topic}.yml").read_text(encoding="utf-8")
    lower = [t for t in texts if t == t.lower()]
    long_ = [t for t in texts if len(t.split()) >= 12]
    one_word = [t for t in texts if len(t.split()) == 1]
    assert len(lower) >= len(texts) // 2
    assert len(long_) >= 2 and len(one_word) >= 1
    assert raw.count('"relation"') + raw.count("(relation)") >= 5, "relative's perspective"
    assert any(re.search(r"\b(ich|mir|mich)\b", t.lower()) for t in texts)
    assert any(t.rstrip()[-1:] == "?" for t in texts) and any(t.rstrip()[-1:] != "?" for t in texts)


def test_data_has_typos_missing_umlauts_and_regional_words() -> None:
    text = " ".join(t.lower() for _, t in training_rows())
    for word in ["pflegegrat", "vorsorgevolmacht", "widerufen", "gestuerzt", "betreuungsbehoerde",
                 "patientenverfuegung", "tach", "glück auf", "wat is", "mach et gut", "pflegestufe",
                 "mdk"]:
        assert word in text, word
