"""The emergency figures stay honest: no sentence of the evaluation sets, the held-out set or
the keyword tests is (nearly) a sentence of another of them or of the training data.

Near-duplicate means: the same after folding (case, umlauts, punctuation), or token overlap
(Jaccard) of at least 0.75, or a character similarity (difflib ratio) of at least 0.9 - so
"ich bin gestuerzt" and "Ich bin gestürzt!" or a sentence with one word swapped are caught.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from difflib import SequenceMatcher
from functools import partial
from itertools import combinations
from pathlib import Path

import pytest
import yaml

from safety.text import fold

ROOT = Path(__file__).resolve().parents[2]
JACCARD = 0.75
RATIO = 0.9
ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def canonical(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", fold(ANNOTATION.sub(r"\1", text))).split())


def nlu_examples(path: Path, only_intent: str | None = None) -> list[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [line.strip()[2:] for block in data.get("nlu") or []
            if "examples" in block and (only_intent is None or block.get("intent") == only_intent)
            for line in block["examples"].splitlines() if line.strip().startswith("- ")]


def training() -> list[str]:
    return [text for path in sorted((ROOT / "data" / "nlu").glob("*.yml"))
            for text in nlu_examples(path)]


def holdout() -> list[str]:
    return nlu_examples(ROOT / "tests" / "nlu" / "holdout.yml")


def keyword_tests() -> list[str]:
    """The test messages: string literals of the keyword tests with at least two words."""
    tree = ast.parse((ROOT / "tests" / "nlu" / "test_emergency_keywords.py").read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef)) and node.body
                  and isinstance(node.body[0], ast.Expr)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings and len(node.value.split()) >= 2]


def evaluation_set(name: str) -> list[str]:
    data = yaml.safe_load((ROOT / "benchmarks" / "data" / name).read_text(encoding="utf-8"))
    return ([text for texts in data["emergencies"].values() for text in texts]
            + [item["text"] for item in data["hard_negatives"]])


# the emergency evaluation sets (benchmarks/emergency_eval.py --set), each written apart
EVALUATION_SETS = {
    "evaluation set": "emergency_eval.yml",
    "fresh evaluation set": "emergency_eval_fresh.yml",
    "blind evaluation set": "emergency_eval_blind.yml",
    "second blind evaluation set": "emergency_eval_blind2.yml",
    "third blind evaluation set": "emergency_eval_blind3.yml",
    "fourth blind evaluation set": "emergency_eval_blind4.yml",
    "fifth blind evaluation set": "emergency_eval_blind5.yml",
}


def near_duplicate(a: str, b: str) -> bool:
    if a == b:
        return True
    tokens_a, tokens_b = set(a.split()), set(b.split())
    union = tokens_a | tokens_b
    if len(union) >= 3 and len(tokens_a & tokens_b) / len(union) >= JACCARD:
        return True
    matcher = SequenceMatcher(None, a, b)  # the cheap upper bounds first
    return (matcher.real_quick_ratio() >= RATIO and matcher.quick_ratio() >= RATIO
            and matcher.ratio() >= RATIO)


def leaks(left: list[str], right: list[str]) -> list[tuple[str, str]]:
    right_canonical = [(text, canonical(text)) for text in right]
    found = []
    for text in left:
        mine = canonical(text)
        found += [(text, other) for other, theirs in right_canonical
                  if near_duplicate(mine, theirs)]
    return found


SETS: dict[str, Callable[[], list[str]]] = {
    "training data": training, "held-out set": holdout, "keyword tests": keyword_tests,
    **{label: partial(evaluation_set, name) for label, name in EVALUATION_SETS.items()}}
# the held-out set against the training data is test_nlu_data.py's concern (all intents);
# here every pair involving the emergency measurement
PAIRS = [pair for pair in combinations(SETS, 2) if pair != ("training data", "held-out set")]


@pytest.mark.parametrize(("left", "right"), PAIRS)
def test_no_near_duplicates_between(left: str, right: str) -> None:
    assert leaks(SETS[left](), SETS[right]()) == []


def test_the_held_out_emergencies_are_not_in_the_training_data() -> None:
    emergencies = nlu_examples(ROOT / "tests" / "nlu" / "holdout.yml", only_intent="emergency")
    assert leaks(emergencies, training()) == []


def test_near_duplicates_are_recognised() -> None:
    assert near_duplicate(canonical("Ich bin gestürzt!"), canonical("ich bin gestuerzt"))
    assert near_duplicate(canonical("meine oma ist hingefallen und kommt nicht hoch"),
                          canonical("oma ist hingefallen und kommt nicht hoch"))
    assert not near_duplicate(canonical("Woran erkenne ich einen Schlaganfall?"),
                              canonical("Was kostet ein Hausnotruf?"))
