"""The scoring of benchmarks/nlu_eval.py and benchmarks/seed_spread.py: what a figure counts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import nlu_eval  # noqa: E402
import seed_spread  # noqa: E402


def write_nlu(directory: Path, blocks: dict[str, list[str]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    nlu = [{"intent": intent, "examples": "".join(f"- {text}\n" for text in texts)}
           for intent, texts in blocks.items()]
    (directory / "topics.yml").write_text(yaml.safe_dump({"version": "3.1", "nlu": nlu},
                                                         allow_unicode=True))
    return directory


def test_examples_are_read_as_rasa_reports_them(tmp_path: Path) -> None:
    data = write_nlu(tmp_path / "nlu", {
        "find_office": ["Wo ist das Büro in [Hörde](place)?",
                        'Büro in [Mitte]{"entity": "place", "value": "Innenstadt"}'],
        "ask_pflegegrad/pflegegeld": ["Wie viel Pflegegeld gibt es?"]})
    assert nlu_eval.examples(data) == {"Wo ist das Büro in Hörde?": "find_office",
                                       "Büro in Mitte": "find_office",
                                       "Wie viel Pflegegeld gibt es?": "ask_pflegegrad"}


def test_the_reference_score_counts_only_the_old_examples(tmp_path: Path) -> None:
    reference = {"alt eins": "greet", "alt zwei": "greet", "alt drei": "goodbye",
                 "verschoben": "goodbye"}
    current = {"alt eins": "greet", "alt zwei": "greet", "alt drei": "goodbye",
               "verschoben": "greet", "neu und schwer": "goodbye"}
    report = tmp_path / "cv"
    report.mkdir()
    errors = [{"text": "neu und schwer", "intent": "goodbye",
               "intent_prediction": {"name": "greet"}},
              {"text": "alt zwei", "intent": "greet",
               "intent_prediction": {"name": "goodbye"}}]
    (report / "intent_errors.json").write_text(json.dumps(errors))
    scored = nlu_eval.reference_macro_f1(report, current, reference)
    # three shared examples (the moved one no longer counts, the new one never did):
    # greet 1 of 2 found, goodbye found once and guessed twice -> F1 2/3 each
    assert scored["reference_examples"] == 3
    assert scored["reference_macro_f1"] == 0.667
    (report / "intent_errors.json").write_text("[]")
    assert nlu_eval.reference_macro_f1(report, current, reference)["reference_macro_f1"] == 1.0


def test_every_seeded_component_gets_the_seed(tmp_path: Path) -> None:
    config = yaml.safe_load(seed_spread.seeded_config(7, tmp_path / "c.yml").read_text())
    seeds = {c["name"]: c.get("random_seed") for c in config["pipeline"]}
    assert seeds["DIETClassifier"] == seeds["ResponseSelector"] == 7
    assert config["policies"] == yaml.safe_load(seed_spread.CONFIG.read_text())["policies"]


def test_the_spread_summarises_each_figure() -> None:
    rows = [dict.fromkeys(seed_spread.FIGURES, value) | {"seed": seed}
            for seed, value in ((1, 0.5), (2, 0.7), (3, 0.9))]
    summary = seed_spread.spread(rows)
    assert summary["holdout_macro_f1"] == {"mean": 0.7, "min": 0.5, "max": 0.9}
