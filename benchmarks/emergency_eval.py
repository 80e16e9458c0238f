"""Measured emergency safety: recall per category and false alarms on hard negatives.

    PYTHONPATH=. .venv/bin/python benchmarks/emergency_eval.py                # all three
    PYTHONPATH=. .venv/bin/python benchmarks/emergency_eval.py --no-pipeline  # detectors only
    PYTHONPATH=. .venv/bin/python benchmarks/emergency_eval.py \
        --set benchmarks/data/emergency_eval_fresh.yml
    PYTHONPATH=. .venv/bin/python benchmarks/emergency_eval.py --model var/before.tar.gz --out F

On benchmarks/data/emergency_eval.yml (written apart from data/nlu, the keyword tests and
tests/nlu/holdout.yml; tests/nlu/test_emergency_leakage.py keeps it apart) it measures

- detector: safety.emergency.assess alone;
- old-detector: bot/components/emergency_keywords.py as of commit 3185bd1 (read from git), the
  keyword net before the recall redesign (it knows no "possible" tier);
- pipeline: the trained project model (models/quartierslotse.tar.gz, trained if out of date
  via runtime.training.ensure_trained): acute = intent `emergency`, possible = entity
  emergency_tier "moeglich"; a hard negative counts as answered with its topic when the
  predicted base intent is the one the set names, and as answered without a wrong answer
  when, besides, an out_of_scope message got the fallback ("nicht verstanden").

Printed and written to benchmarks/emergency_eval_results.json (with the date and the SHA-256
of the evaluation set, the detector and the model): acute recall per category (a suicide
message also needs the TelefonSeelsorge kind), the acute false-alarm rate on the hard
negatives and their share in the possible tier.

Which figures are honest: a set is untouched until the detector or the training data is
changed after looking at its misses; from then on it is a development set. Every set below was
written by someone who had not seen the training data, the detector or the other sets
(tests/nlu/test_emergency_leakage.py keeps them apart). First measurements, untouched:

- emergency_eval.yml (2026-12-01, detector of 711ac28): acute recall 0.911, false alarms
  12.1 %; a development set since.
- emergency_eval_fresh.yml (2026-12-06, detector and model of 0b31ccd): detector 0.727 / 5.3 %,
  pipeline 0.758 / 5.3 %; a development set since.
- emergency_eval_blind.yml (2026-12-06, after the round on the fresh set): detector 0.703 /
  13.0 % (that of 0b31ccd: 0.649 / 13.0 %); a development set since.
- emergency_eval_blind2.yml (2026-12-06, after the round on the blind set): detector 0.581 /
  7.7 % (that of 0b31ccd: 0.463 / 11.2 %, its pipeline 0.494 / 11.2 %); its misses and false
  alarms guided the training data of 2026-12-07: a development set since.
- emergency_eval_blind3.yml (2026-12-06, first measured with the detector, training data and
  classifier thresholds of 97c4be8): pipeline 0.944 / 6.9 %, detector alone 0.715 / 4.4 %
  (0b31ccd: pipeline 0.632 / 6.3 %, detector 0.583 / 6.3 %). Measured a second time after the
  classifier was required to see words of danger (a conversation test found "weiß ich nicht"
  raising the alarm in the callback form; the vocabulary was widened on blind2's losses, not
  blind3's, whose sentences were never read): 0.931 / 6.9 %. Third measurement, after the round
  of 2026-12-07 (its sentences still unread): 0.938 / 5.0 %.
- emergency_eval_blind4.yml (2026-12-07, first measured with the model and detector of
  cb4475c, benchmarks/emergency_eval_blind4_cb4475c_results.json): pipeline 0.923 / 15.5 %,
  detector alone 0.710 / 12.2 %; after the round of 2026-12-07 (its sentences unread):
  pipeline 0.923 / 13.8 %, detector 0.710 / 12.2 %. Most of its false alarms come from the
  detector, which the sets it was developed on (detector 0-8 %) do not show.
- emergency_eval_blind5.yml (2026-12-07): sealed, not measured yet - the honest first figure
  of the next round.

So on wordings nobody tuned for, the keyword detector alone finds about 60-70 % of the
emergencies; the trained classifier (benchmarks/emergency_eval_*_results.json) finds most of
the rest. --set measures any of the sets; results go to benchmarks/<set>_results.json.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import hashlib
import json
import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
EVAL_SET = ROOT / "benchmarks" / "data" / "emergency_eval.yml"
DETECTOR = ROOT / "safety" / "emergency.py"
OLD_COMMIT = "3185bd1"
OLD_PATH = "bot/components/emergency_keywords.py"
COMPONENT = ROOT / "bot" / "components" / "emergency_keywords.py"
SUICIDE = "suizid"
OUT_OF_SCOPE, FALLBACK = "out_of_scope", "nlu_fallback"

# a verdict: (tier "akut"/"moeglich"/"keins", kind "akut"/"suizid"/None, base intent or None)
Verdict = tuple[str, str | None, str | None]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_set(path: Path = EVAL_SET) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {"emergencies": data["emergencies"], "hard_negatives": data["hard_negatives"]}


def new_detector() -> Callable[[str], Verdict]:
    from safety.emergency import assess

    def judge(text: str) -> Verdict:
        found = assess(text)
        return found.tier, found.kind, None
    return judge


def old_source() -> str:
    return subprocess.run(["git", "show", f"{OLD_COMMIT}:{OLD_PATH}"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout


def old_detector() -> Callable[[str], Verdict]:
    module = types.ModuleType("old_emergency_keywords")
    exec(compile(old_source(), f"{OLD_COMMIT}:{OLD_PATH}", "exec"), module.__dict__)

    def judge(text: str) -> Verdict:
        kind = module.classify(text)
        return ("akut", kind, None) if kind else ("keins", None, None)
    return judge


def results_path(eval_set: Path) -> Path:
    """benchmarks/<set>_results.json for the set benchmarks/data/<set>.yml."""
    return ROOT / "benchmarks" / f"{eval_set.stem}_results.json"


def pipeline(model: Path | None) -> tuple[Callable[[str], Verdict], str]:
    """The judge of `model`, or of the project model (trained first if out of date), and its
    SHA-256."""
    if model is None:
        from quartierslotse.settings import get_settings
        from runtime import training

        model = training.ensure_trained(get_settings())
    return model_judge(model), sha256(model.read_bytes())


def model_judge(model: Path) -> Callable[[str], Verdict]:
    """A verdict from a trained Rasa model (a full or an NLU-only one)."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    loop = asyncio.new_event_loop()

    def judge(text: str) -> Verdict:
        parsed = loop.run_until_complete(agent.parse_message(text))
        intent = (parsed.get("intent") or {}).get("name") or ""
        entities = {e["entity"]: e["value"] for e in parsed.get("entities") or []}
        if intent == "emergency":
            return "akut", entities.get("emergency_type", "akut"), intent
        tier = "moeglich" if entities.get("emergency_tier") == "moeglich" else "keins"
        return tier, entities.get("emergency_type"), intent.split("/")[0]
    return judge


def answered_fittingly(item: dict[str, str], intent: str | None) -> bool:
    """Its topic intent, or - for a message outside the topics - the fallback: both tell the
    user this is nothing the assistant can help with, neither gives a wrong topic's answer."""
    return intent == item["intent"] or (item["intent"] == OUT_OF_SCOPE and intent == FALLBACK)


def measure(judge: Callable[[str], Verdict], data: dict[str, Any]) -> dict[str, Any]:
    recall: dict[str, float] = {}
    missed: list[str] = []
    total = hits = 0
    for category, texts in data["emergencies"].items():
        found = 0
        for text in texts:
            tier, kind, _ = judge(text)
            right_help = (kind == SUICIDE) == (category == SUICIDE)
            if tier == "akut" and right_help:
                found += 1
            else:
                missed.append(f"{category}: {text}")
        recall[category] = round(found / len(texts), 3)
        total += len(texts)
        hits += found
    negatives = data["hard_negatives"]
    verdicts = [(item, judge(item["text"])) for item in negatives]
    alarms = [item["text"] for item, (tier, _, _) in verdicts if tier == "akut"]
    possible = sum(1 for _, (tier, _, _) in verdicts if tier == "moeglich")
    result: dict[str, Any] = {
        "acute_recall": round(hits / total, 3),
        "recall_per_category": recall,
        "acute_false_alarm_rate": round(len(alarms) / len(negatives), 3),
        "possible_share_of_hard_negatives": round(possible / len(negatives), 3),
        "missed": missed,
        "false_alarms": alarms,
    }
    if any(intent is not None for _, (_, _, intent) in verdicts):
        topic = sum(1 for item, (_, _, intent) in verdicts if intent == item["intent"])
        result["hard_negatives_with_their_topic_intent"] = round(topic / len(negatives), 3)
        result["hard_negatives_without_a_wrong_answer"] = round(
            sum(1 for item, (_, _, intent) in verdicts if answered_fittingly(item, intent))
            / len(negatives), 3)
        result["hard_negatives_with_another_intent"] = [
            f"{item['intent']} -> {intent}: {item['text']}"
            for item, (_, _, intent) in verdicts if intent != item["intent"]]
    return result


def report(name: str, result: dict[str, Any]) -> None:
    print(f"\n== {name}")
    print(f"acute recall {result['acute_recall']:.3f}; false alarms on hard negatives "
          f"{result['acute_false_alarm_rate']:.1%}; hard negatives in tier moeglich "
          f"{result['possible_share_of_hard_negatives']:.1%}")
    if "hard_negatives_with_their_topic_intent" in result:
        print(f"hard negatives with their topic intent "
              f"{result['hard_negatives_with_their_topic_intent']:.1%}; without a wrong "
              f"answer (out_of_scope answered by the fallback counts) "
              f"{result['hard_negatives_without_a_wrong_answer']:.1%}")
    for category, value in result["recall_per_category"].items():
        print(f"  {category:16} {value:.3f}")
    for line in result["missed"]:
        print(f"  missed: {line}")
    for line in result["false_alarms"]:
        print(f"  false alarm: {line}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-pipeline", action="store_true",
                        help="detectors only (no trained model needed)")
    parser.add_argument("--set", type=Path, default=EVAL_SET, dest="eval_set",
                        help="the evaluation set (default benchmarks/data/emergency_eval.yml)")
    parser.add_argument("--model", type=Path,
                        help="judge this trained model (default: the project model)")
    parser.add_argument("--out", type=Path,
                        help="results file (default benchmarks/<set>_results.json)")
    args = parser.parse_args(argv)
    data = load_set(args.eval_set)
    out = args.out or results_path(args.eval_set)
    results: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "inputs": {"eval_set": args.eval_set.name,
                   "eval_set_sha256": sha256(args.eval_set.read_bytes()),
                   "detector_sha256": sha256(DETECTOR.read_bytes()),
                   "component_sha256": sha256(COMPONENT.read_bytes()),
                   "old_detector": f"{OLD_COMMIT}:{OLD_PATH}",
                   "old_detector_sha256": sha256(old_source().encode())},
        "counts": {"emergencies": sum(len(v) for v in data["emergencies"].values()),
                   "hard_negatives": len(data["hard_negatives"])},
        "runs": {},
    }
    runs: dict[str, Callable[[str], Verdict]] = {"detector": new_detector(),
                                                 "old-detector": old_detector()}
    if not args.no_pipeline:
        runs["pipeline"], results["inputs"]["model_sha256"] = pipeline(args.model)
    for name, judge in runs.items():
        results["runs"][name] = measure(judge, data)
        report(name, results["runs"][name])
    out.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"\nwritten: {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
