"""How much of an NLU figure is training noise: the same data and pipeline, several seeds.

    PYTHONPATH=. .venv/bin/python benchmarks/seed_spread.py                   # data/nlu
    PYTHONPATH=. .venv/bin/python benchmarks/seed_spread.py --data-rev 6492717 --seeds 42 7
    PYTHONPATH=. .venv/bin/python benchmarks/seed_spread.py --nlu-data var/candidate/nlu
    PYTHONPATH=. .venv/bin/python benchmarks/seed_spread.py \
        --also benchmarks/data/emergency_eval_fresh.yml

DIET and the ResponseSelector are trained with a fixed random_seed (bot/config.yml), so one
training is repeatable - but a change to the data reshuffles what a model of that data gets
right on unfamiliar wordings by several points, for reasons that have nothing to do with the
change. A data round judged on one training each (before and after) mostly measures that
reshuffle. This script trains the NLU of one data variant once per seed and prints, per seed
and as mean / min / max, on sets that no training ever sees:

- held-out macro F1 (tests/nlu/holdout.yml; base intents, a fallback counts as a miss, the
  same definition as the held-out figure of benchmarks/nlu_eval.py),
- on benchmarks/data/emergency_eval.yml: acute recall, acute false alarms on the hard
  negatives, and the share of hard negatives answered with their topic intent / without a
  wrong answer (the definitions of benchmarks/emergency_eval.py),
- the same four figures on each further set given with --also (for instance the fresh set
  benchmarks/data/emergency_eval_fresh.yml), stored under the set's name.

Compare two data variants by their spreads, each from its own invocation on the same machine;
`--out` appends one entry per invocation to a JSON file (default
benchmarks/seed_spread_results.json) with the date, the seeds and the input hashes. NLU only:
the dialogue policies do not take part in any of these figures.
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from sklearn.metrics import f1_score

sys.path.insert(0, str(Path(__file__).resolve().parent))

import emergency_eval  # noqa: E402
import nlu_eval  # noqa: E402

ROOT = nlu_eval.ROOT
CONFIG = nlu_eval.CONFIGS["project"]
RESULTS = ROOT / "benchmarks" / "seed_spread_results.json"
SEEDED = {"DIETClassifier", "ResponseSelector"}
DEFAULT_SEEDS = (42, 7, 1234)
FIGURES = ("holdout_macro_f1", "acute_recall", "acute_false_alarm_rate",
           "hard_negatives_with_their_topic_intent", "hard_negatives_without_a_wrong_answer")


def seeded_config(seed: int, target: Path, base: Path = CONFIG) -> Path:
    """The configuration (bot/config.yml) with every seeded NLU component on `seed`."""
    config = yaml.safe_load(base.read_text(encoding="utf-8"))
    for component in config["pipeline"]:
        if component["name"] in SEEDED:
            component["random_seed"] = seed
    target.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False),
                      encoding="utf-8")
    return target


def holdout_examples(known: set[str]) -> list[tuple[str, str]]:
    """(text, base intent) of the held-out set, for intents the training data knows."""
    return [(text, intent) for text, intent in nlu_eval.examples(nlu_eval.HOLDOUT).items()
            if intent in known]


def measure_seed(seed: int, nlu_data: Path, work: Path, base: Path = CONFIG,
                 also: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Train the NLU on `seed` and measure it on the held-out and the emergency sets."""
    config = seeded_config(seed, work / f"config-{seed}.yml", base)
    seconds = nlu_eval.rasa("train", "nlu", "--nlu", str(nlu_data), "--config", str(config),
                            "--domain", str(nlu_eval.DOMAIN), "--out", str(work),
                            "--fixed-model-name", f"nlu-{seed}", log=work / f"train-{seed}.log")
    judge = emergency_eval.model_judge(work / f"nlu-{seed}.tar.gz")
    holdout = holdout_examples(nlu_eval.training_intents(nlu_data))
    gold = [intent for _, intent in holdout]
    predicted = [judge(text)[2] or nlu_eval.FALLBACK for text, _ in holdout]
    result = emergency_eval.measure(judge, emergency_eval.load_set())
    further = {path.stem: emergency_eval.measure(judge, emergency_eval.load_set(path))
               for path in also}
    return {"seed": seed, "training_seconds": round(seconds),
            "holdout_macro_f1": round(float(f1_score(gold, predicted, labels=sorted(set(gold)),
                                                     average="macro", zero_division=0)), 3),
            **{name: result[name] for name in FIGURES[1:]},
            **{stem: {name: found[name] for name in FIGURES[1:]}
               for stem, found in further.items()}}


def spread(rows: list[dict[str, Any]],
           figures: tuple[str, ...] = FIGURES) -> dict[str, dict[str, float]]:
    return {name: {"mean": round(statistics.fmean(row[name] for row in rows), 3),
                   "min": min(row[name] for row in rows), "max": max(row[name] for row in rows)}
            for name in figures}


def print_table(label: str, rows: list[dict[str, Any]], summary: dict[str, Any],
                figures: tuple[str, ...] = FIGURES) -> None:
    print(f"\n== {label}")
    print("seed  " + "  ".join(f"{name[:24]:>24}" for name in figures))
    for row in rows:
        print(f"{row['seed']:<6}" + "  ".join(f"{row[name]:>24.3f}" for name in figures))
    for key in ("mean", "min", "max"):
        print(f"{key:<6}" + "  ".join(f"{summary[name][key]:>24.3f}" for name in figures))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(DEFAULT_SEEDS))
    parser.add_argument("--data-rev", help="a commit whose data/nlu to train on "
                        "(default: the working tree's data/nlu)")
    parser.add_argument("--nlu-data", type=Path, default=nlu_eval.NLU_DATA,
                        help="a training data directory (default data/nlu)")
    parser.add_argument("--config", type=Path, default=CONFIG,
                        help="a candidate configuration (default bot/config.yml)")
    parser.add_argument("--also", type=Path, nargs="*", default=[],
                        help="further evaluation sets in the format of emergency_eval.yml")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="seed-spread-") as tmp:
        work = Path(tmp)
        nlu_data = nlu_eval.data_at(args.data_rev, work) if args.data_rev else args.nlu_data
        inputs = {"data/nlu": next(iter(nlu_eval.fingerprint([nlu_data]).values())),
                  **nlu_eval.fingerprint([nlu_eval.HOLDOUT, args.config.resolve()])}
        for path in (emergency_eval.EVAL_SET, *args.also):
            inputs[f"benchmarks/data/{path.name}"] = emergency_eval.sha256(path.read_bytes())[:12]
        rows = []
        for seed in args.seeds:
            rows.append(measure_seed(seed, nlu_data, work, args.config, tuple(args.also)))
            print(f"seed {seed}: {rows[-1]}", flush=True)
    label = f"data/nlu of {args.data_rev}" if args.data_rev else f"{args.nlu_data} (working tree)"
    if args.config.resolve() != CONFIG:
        label += f", configuration {args.config}"
    summary: dict[str, Any] = spread(rows)
    print_table(label, rows, summary)
    for path in args.also:
        further = [{"seed": row["seed"], **row[path.stem]} for row in rows]
        summary[path.stem] = spread(further, FIGURES[1:])
        print_table(f"{label}, on {path.name}", further, summary[path.stem], FIGURES[1:])
    entries = json.loads(args.out.read_text()) if args.out.exists() else []
    entries.append({"date": datetime.datetime.now(datetime.timezone.utc).isoformat(
                        timespec="seconds"),
                    "data": label, "inputs_sha1": inputs, "seeds": rows, "spread": summary})
    args.out.write_text(json.dumps(entries, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten: {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
