"""Measured understanding: NLU cross-validation and a held-out test set, two pipelines.

    PYTHONPATH=. .venv/bin/python benchmarks/nlu_eval.py            # 5-fold CV + held-out
    PYTHONPATH=. .venv/bin/python benchmarks/nlu_eval.py --no-cv    # held-out only (quick)
    PYTHONPATH=. .venv/bin/python benchmarks/nlu_eval.py --folds 3 --pipelines project
    PYTHONPATH=. .venv/bin/python benchmarks/nlu_eval.py --pipelines project --reference-rev 6492717

Only a complete run (5 folds, CV and held-out) writes benchmarks/nlu_eval_results.json;
every run writes its reports and summary.json to --out (var/nlu_eval).

For the project pipeline (bot/config.yml) and Rasa's default pipeline (the `rasa init`
config, benchmarks/default_config.yml) on the same data (data/nlu) it prints intent
accuracy, macro F1, emergency recall, retrieval (sub-intent) accuracy and the top
confusions. The held-out set tests/nlu/holdout.yml is never used for training.

Labels are the top-level intents (Rasa evaluates `ask_pflegegrad/pflegegeld` as
`ask_pflegegrad`; the sub-intent is scored separately as retrieval accuracy).
Macro F1 is the unweighted mean over the intents of the gold data; a prediction of
`nlu_fallback` (FallbackClassifier, UnknownWordsFallback) counts as a miss, it is not a
class of its own.
`rasa test nlu` itself silently replaces an nlu_fallback prediction by the intent ranked
below it (rasa.nlu.test.get_eval_data -> undo_fallback_prediction), which would score
messages the bot answers with "I did not understand" as correct; the rasa commands
here run with that undo disabled, so the figures are those of the deployed pipeline.

New training examples change the CV's own test folds: a data round that adds hard wordings
lowers the plain CV figure although nothing got worse. `--reference-rev REV` therefore also
scores the CV predictions of only those examples that data/nlu of REV already held, with the
same intent (`cv.reference_macro_f1`): the old examples, judged by models that were trained
on the new data. Compare it with the plain CV figure of REV's own run.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml
from sklearn.metrics import f1_score

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = {
    "project": ROOT / "bot" / "config.yml",
    "rasa-default": ROOT / "benchmarks" / "default_config.yml",
}
NLU_DATA = ROOT / "data" / "nlu"
HOLDOUT = ROOT / "tests" / "nlu" / "holdout.yml"
DOMAIN = ROOT / "bot" / "domain"
RESULTS = ROOT / "benchmarks" / "nlu_eval_results.json"
FALLBACK = "nlu_fallback"
IGNORED_LABELS = {"accuracy", "macro avg", "weighted avg", "micro avg", FALLBACK}
ENTITY_MARKUP = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")

# Runs the rasa CLI with the evaluation's fallback undo switched off (see module doc).
# undo_fallback_prediction is only used by rasa.nlu.test, so nothing else changes.
# Rasa draws the CV folds (StratifiedKFold(shuffle=True)) from numpy's global random
# state without a seed; seeding it makes a run repeatable and gives both pipelines the
# same folds.
# Each fallback's would-be intent (the classifier's best guess below nlu_fallback) is
# logged to NLU_EVAL_FALLBACK_LOG, to tell how many fallbacks hid a right answer.
RASA_WITH_FALLBACK = (
    "import json, os, sys\n"
    "import numpy\n"
    "numpy.random.seed(int(os.environ.get('NLU_EVAL_SEED', '0')))\n"
    "import rasa.nlu.classifiers.fallback_classifier as fallback\n"
    "def keep_fallback(prediction):\n"
    "    ranking = prediction.get('intent_ranking') or []\n"
    "    if len(ranking) > 1 and os.environ.get('NLU_EVAL_FALLBACK_LOG'):\n"
    "        with open(os.environ['NLU_EVAL_FALLBACK_LOG'], 'a', encoding='utf-8') as log:\n"
    "            log.write(json.dumps({'text': prediction.get('text'),\n"
    "                                  'guess': ranking[1].get('name')}) + '\\n')\n"
    "    return prediction\n"
    "fallback.undo_fallback_prediction = keep_fallback\n"
    "from rasa.__main__ import main\n"
    "sys.argv[0] = 'rasa'\n"
    "main()\n"
)


def rasa(*args: str, log: Path, fallback_log: Path | None = None) -> float:
    """Run a rasa command, its output to `log`; returns the wall time in seconds."""
    env = dict(os.environ)
    if fallback_log is not None:
        fallback_log.parent.mkdir(parents=True, exist_ok=True)
        fallback_log.unlink(missing_ok=True)
        env["NLU_EVAL_FALLBACK_LOG"] = str(fallback_log)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("NLU_EVAL_SEED", "0")
    # Each pipeline its own training cache: parallel rasa processes that create the
    # shared default cache (.rasa/cache) at the same moment fail with "table exists".
    env["RASA_CACHE_DIRECTORY"] = str(log.parent / "rasa-cache")
    started = time.monotonic()
    with log.open("w") as out:
        result = subprocess.run([sys.executable, "-c", RASA_WITH_FALLBACK, *args], cwd=ROOT,
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        raise SystemExit(f"rasa {' '.join(args[:2])} failed, see {log}")
    return time.monotonic() - started


def fingerprint(paths: list[Path]) -> dict[str, str]:
    """Short content hashes, to tell which configuration and data a figure belongs to."""
    digests = {}
    for path in paths:
        files = sorted(path.glob("*.yml")) if path.is_dir() else [path]
        digest = hashlib.sha1()
        for file in files:
            digest.update(file.read_bytes())
        digests[str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)] = (
            digest.hexdigest()[:12])
    return digests


def training_intents(nlu_data: Path) -> set[str]:
    intents: set[str] = set()
    for path in sorted(nlu_data.glob("*.yml")):
        for block in (yaml.safe_load(path.read_text()) or {}).get("nlu", []):
            if "intent" in block:
                intents.add(block["intent"].split("/")[0])
    return intents


def examples(nlu_data: Path) -> dict[str, str]:
    """Text (as Rasa reports it: entity markup removed) -> base intent of every example of
    an NLU file or of the files of a directory."""
    found: dict[str, str] = {}
    for path in sorted(nlu_data.glob("*.yml")) if nlu_data.is_dir() else [nlu_data]:
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            if "intent" not in block:
                continue
            for line in block["examples"].splitlines():
                if line.strip().startswith("- "):
                    text = ENTITY_MARKUP.sub(r"\1", line.strip()[2:]).strip()
                    found[text] = block["intent"].split("/")[0]
    return found


def data_at(rev: str, target: Path) -> Path:
    """data/nlu as committed in `rev`, unpacked into `target`."""
    archive = subprocess.run(["git", "archive", rev, "data/nlu"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target / "data" / "nlu"


def reference_macro_f1(report_dir: Path, current: dict[str, str],
                       reference: dict[str, str]) -> dict[str, Any]:
    """Macro F1 of the CV predictions of the reference examples still in the data."""
    errors_file = report_dir / "intent_errors.json"
    errors = json.loads(errors_file.read_text()) if errors_file.exists() else []
    predicted = {e["text"]: (e["intent_prediction"]["name"] or "None").split("/")[0]
                 for e in errors}
    shared = [(text, intent) for text, intent in reference.items()
              if current.get(text) == intent]
    gold = [intent for _, intent in shared]
    guesses = [predicted.get(text, intent) for text, intent in shared]
    score = f1_score(gold, guesses, labels=sorted(set(gold)), average="macro", zero_division=0)
    return {"reference_macro_f1": round(float(score), 3),
            "reference_examples": len(shared)}


def filtered_holdout(known: set[str], target: Path) -> list[str]:
    """Held-out examples of intents the training data knows; returns the skipped intents."""
    data = yaml.safe_load(HOLDOUT.read_text())
    kept: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for block in data["nlu"]:
        (kept if block["intent"].split("/")[0] in known else skipped).append(block)
    target.write_text(yaml.safe_dump({"version": "3.1", "nlu": kept}, allow_unicode=True))
    return sorted({b["intent"] for b in skipped})


def summarise(report_dir: Path) -> dict[str, Any]:
    report = json.loads((report_dir / "intent_report.json").read_text())
    labels = {k: v for k, v in report.items()
              if k not in IGNORED_LABELS and isinstance(v, dict) and v.get("support", 0) > 0}
    # All errors (the report's "confused_with" keeps only the 2-3 largest per intent).
    errors_file = report_dir / "intent_errors.json"
    errors = json.loads(errors_file.read_text()) if errors_file.exists() else []
    pairs = Counter((e["intent"], e["intent_prediction"]["name"] or "None") for e in errors)
    confusions = sorted(((n, gold, pred) for (gold, pred), n in pairs.items()),
                        key=lambda c: (-c[0], c[1], c[2]))
    result: dict[str, Any] = {
        "accuracy": report.get("accuracy"),
        "macro_f1": sum(v["f1-score"] for v in labels.values()) / len(labels),
        "emergency_recall": labels.get("emergency", {}).get("recall"),
        "per_intent_f1": {k: round(v["f1-score"], 3) for k, v in sorted(labels.items())},
        "top_confusions": [f"{gold} -> {pred}: {n}" for n, gold, pred in confusions[:10]],
        "errors": len(errors),
        "fallback_predictions": sum(n for (_, pred), n in pairs.items() if pred == FALLBACK),
    }
    guesses_file = report_dir / "fallback_guesses.jsonl"
    if guesses_file.exists():
        guesses = {}
        for line in guesses_file.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            guesses[entry["text"]] = entry["guess"]
        result["fallbacks_hiding_right_intent"] = sum(
            1 for e in errors if e["intent_prediction"]["name"] == FALLBACK
            and (guesses.get(e["text"]) or "").split("/")[0] == e["intent"])
    selection = report_dir / "response_selection_report.json"
    if selection.exists():
        result["retrieval_accuracy"] = json.loads(selection.read_text()).get("accuracy")
    return result


def evaluate(name: str, config: Path, out: Path, folds: int, cv: bool,
             holdout: Path, nlu_data: Path,
             reference: dict[str, str] | None = None) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    if cv:
        seconds = rasa("test", "nlu", "--nlu", str(nlu_data), "--config", str(config),
                       "--domain", str(DOMAIN), "--cross-validation", "--folds", str(folds),
                       "--out", str(out / "cv"), "--no-plot",
                       log=out / "cv.log", fallback_log=out / "cv" / "fallback_guesses.jsonl")
        results["cv"] = summarise(out / "cv") | {"folds": folds, "seconds": round(seconds)}
        if reference is not None:
            results["cv"] |= reference_macro_f1(out / "cv", examples(nlu_data), reference)
    seconds = rasa("train", "nlu", "--nlu", str(nlu_data), "--config", str(config),
                   "--domain", str(DOMAIN), "--out", str(out / "model"),
                   "--fixed-model-name", "nlu", log=out / "train.log")
    rasa("test", "nlu", "--model", str(out / "model" / "nlu.tar.gz"), "--nlu", str(holdout),
         "--out", str(out / "holdout"), "--no-plot", log=out / "holdout.log",
         fallback_log=out / "holdout" / "fallback_guesses.jsonl")
    results["holdout"] = summarise(out / "holdout") | {"nlu_training_seconds": round(seconds)}
    return results


def fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def print_results(all_results: dict[str, dict[str, Any]]) -> None:
    for name, results in all_results.items():
        print(f"\n=== {name} pipeline ===")
        for part in ("cv", "holdout"):
            if part not in results:
                continue
            r = results[part]
            if "reference_macro_f1" in r:
                print(f"[{part}] on the {r['reference_examples']} reference examples: "
                      f"macro_f1={fmt(r['reference_macro_f1'])}")
            print(f"[{part}] accuracy={fmt(r['accuracy'])} macro_f1={fmt(r['macro_f1'])} "
                  f"emergency_recall={fmt(r['emergency_recall'])} "
                  f"retrieval_accuracy={fmt(r.get('retrieval_accuracy'))} "
                  f"errors={r['errors']} fallbacks={r['fallback_predictions']} "
                  f"(of which the best guess was right: "
                  f"{r.get('fallbacks_hiding_right_intent', '?')})")
            weakest = sorted(r["per_intent_f1"].items(), key=lambda kv: kv[1])[:4]
            print("   weakest intents: " + ", ".join(f"{k}={v}" for k, v in weakest))
            print("   top confusions: " + ("; ".join(r["top_confusions"]) or "none"))
    print("\n=== comparison (macro F1 / emergency recall) ===")
    for part in ("cv", "holdout"):
        row = [f"{name}: {fmt(res[part]['macro_f1'])} / {fmt(res[part]['emergency_recall'])}"
               for name, res in all_results.items() if part in res]
        if row:
            print(f"{part:8s} " + " | ".join(row))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--no-cv", action="store_true", help="held-out set only")
    parser.add_argument("--pipelines", default=",".join(CONFIGS),
                        help="comma-separated subset of: " + ", ".join(CONFIGS)
                        + "; or name=path/to/config.yml to try a candidate configuration")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "nlu_eval")
    parser.add_argument("--nlu-data", type=Path, default=NLU_DATA,
                        help="training data directory (e.g. a snapshot of data/nlu)")
    parser.add_argument("--reference-rev",
                        help="also score the CV on the examples data/nlu of this commit held")
    args = parser.parse_args(argv)

    started = time.monotonic()
    configs = dict(CONFIGS)
    names = []
    for entry in args.pipelines.split(","):
        name, _, path = entry.partition("=")
        if path:
            configs[name] = Path(path).resolve()
        elif name not in configs:
            parser.error(f"unknown pipeline {name!r}")
        names.append(name)
    inputs = [args.nlu_data, HOLDOUT, *(configs[name] for name in names)]
    before = fingerprint(inputs)
    known = training_intents(args.nlu_data)
    with tempfile.TemporaryDirectory() as tmp:
        reference = (examples(data_at(args.reference_rev, Path(tmp) / "reference"))
                     if args.reference_rev else None)
        holdout = Path(tmp) / "holdout.yml"
        skipped = filtered_holdout(known, holdout)
        if skipped:
            print("held-out intents without training data (skipped): " + ", ".join(skipped))
        print(f"evaluating {', '.join(names)} (in parallel) ...", flush=True)
        with ThreadPoolExecutor(max_workers=len(names)) as pool:
            futures = {name: pool.submit(evaluate, name, configs[name], args.out / name,
                                         args.folds, not args.no_cv, holdout, args.nlu_data,
                                         reference)
                       for name in names}
            all_results = {name: future.result() for name, future in futures.items()}
    wall = round(time.monotonic() - started)
    changed = [name for name, digest in fingerprint(inputs).items() if before[name] != digest]
    if changed:
        print("WARNING: changed during the run, figures are not reliable: " + ", ".join(changed))
    (args.out / "summary.json").write_text(json.dumps(all_results, indent=2))
    print_results(all_results)
    print(f"\nwall time: {wall} s; reports: {args.out}")
    complete = (not args.no_cv and args.folds == 5 and not changed
                and all(configs[name] == CONFIGS.get(name) for name in names))
    if complete and args.nlu_data.resolve() == NLU_DATA.resolve():
        RESULTS.write_text(json.dumps({
            "measured": datetime.datetime.now().isoformat(timespec="seconds"),
            "machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at end",
            "wall_seconds": wall,
            "folds": args.folds,
            "fold_seed": int(os.environ.get("NLU_EVAL_SEED", "0")),
            "reference_rev": args.reference_rev,
            "inputs_sha1": before,
            "holdout_skipped_intents": skipped,
            **all_results,
        }, indent=2, ensure_ascii=False) + "\n")
        print(f"results: {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
