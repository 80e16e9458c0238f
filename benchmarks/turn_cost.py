"""The CPU cost of one turn, per graph node (NLU components and policies).

    PYTHONPATH=. .venv/bin/python benchmarks/turn_cost.py               # project model + floor
    PYTHONPATH=. .venv/bin/python benchmarks/turn_cost.py --no-floor    # project model only
    PYTHONPATH=. .venv/bin/python benchmarks/turn_cost.py --repeat 5 --no-write

Loads the trained project model (models/quartierslotse.tar.gz, trained first if out of date via
runtime.training.ensure_trained) in-process with rasa.core.agent.Agent and sends every message
of benchmarks/data/turn_cost_messages.yml through one whole `agent.handle_text` turn, each in a
fresh conversation, once to warm up and then --repeat times measured. A Rasa GraphNodeHook on
every node of the predict graph records time.process_time (CPU of the whole process, all
threads: TensorFlow's included) and wall time per node; a node that runs more than once in a
turn (the policies, once per predicted action) counts with its sum.

Conditions of a turn, so that no action server is needed:
- the conversation starts with a session already started (action_session_start is a custom
  action of actions/session.py), so the first message is a normal message after action_listen;
- custom actions (action_find_office, forms' validations, ...) are stubbed: they return no
  events and cost nothing here; their cost is the action server's (benchmarks/load.py);
- Rasa's server default log level (INFO) and the templated NLG (the domain's responses; the
  project's SafetyLineGenerator only prefixes a rendered line).

Printed per model: one row per node (p50 and p95 of its wall ms per turn, its mean CPU ms per
turn, its share of the whole turn's CPU, its CPU against DIETClassifier's, its highest CPU
ms in one turn), the rest of the turn
(tracker, actions, NLG, graph scheduling), the whole turn, and the turn's CPU per message
category. The floor is Rasa's stock `rasa init` bot: benchmarks/default_config.yml trained on
Rasa's own init data (rasa/cli/initial_project) in var/turn_cost/floor (about 1 min on 2 cores;
reused while config and data are unchanged). Trained on the project data, that pipeline (DIET
and ResponseSelector at 100 epochs, two transformer layers of 256) takes well over 3 min, so the
floor has the stock pipeline *and* the stock data, like the bot the issue compares with.

Written to benchmarks/turn_cost_results.json (unless --no-write), with the date, the git commit,
the machine's load, the SHA-256 of the messages, the models, bot/config.yml and our components,
and per message the outputs of our components (intent, ranking, entities after the node). The
previous results file is read first: when the model is the same, the script says whether our
components' outputs are identical to the previous run's, so a speed refactoring of a component
shows at once whether it changed what the component decides.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import hashlib
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = ROOT / "benchmarks" / "data" / "turn_cost_messages.yml"
RESULTS = ROOT / "benchmarks" / "turn_cost_results.json"
CONFIG = ROOT / "bot" / "config.yml"
FLOOR_CONFIG = ROOT / "benchmarks" / "default_config.yml"
FLOOR_DIR = ROOT / "var" / "turn_cost" / "floor"
COMPONENT_SOURCES = sorted([*(ROOT / "bot" / "components").glob("*.py"),
                            *(ROOT / "safety").glob("*.py")])
# our components in the predict graph (node names end with the component's class name + index)
OWN_COMPONENTS = ("UnknownWordsFallback", "EmergencyKeywordClassifier")
REFERENCE = "DIETClassifier"
REST = "(rest of the turn)"
TURN = "whole turn"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_messages(path: Path = MESSAGES) -> list[tuple[str, str]]:
    """(category, text) for every message of the set, in file order."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [(category, " ".join(str(text).split())) for category, texts in data.items()
            for text in texts]


def label(node_name: str) -> str:
    """'run_bot.components.unknown_words.UnknownWordsFallback11' -> 'UnknownWordsFallback11'."""
    return node_name.removeprefix("run_").rsplit(".", 1)[-1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def snapshot(messages: Any) -> dict[str, Any]:
    """What a component decided about the (only) message of a turn."""
    message = messages[0]
    intent = message.get("intent") or {}
    return {
        "intent": intent.get("name"),
        "confidence": round(float(intent.get("confidence") or 0.0), 4),
        "ranking": [entry.get("name") for entry in message.get("intent_ranking") or []][:5],
        "entities": sorted([str(e.get("entity")), str(e.get("value")), str(e.get("extractor"))]
                           for e in message.get("entities") or []),
    }


def make_hook() -> Any:
    from rasa.engine.graph import ExecutionContext, GraphNodeHook

    class NodeTimer(GraphNodeHook):
        """CPU and wall seconds per node of the current turn, summed over repeated runs."""

        def __init__(self) -> None:
            self.turn: dict[str, list[float]] = {}
            self.outputs: dict[str, Any] = {}
            self.order: list[str] = []

        def start_turn(self) -> None:
            self.turn, self.outputs = {}, {}

        def on_before_node(self, node_name: str, execution_context: ExecutionContext,
                           config: dict[str, Any], received_inputs: dict[str, Any]) -> dict:
            return {"cpu": time.process_time(), "wall": time.perf_counter()}

        def on_after_node(self, node_name: str, execution_context: ExecutionContext,
                          config: dict[str, Any], output: Any, input_hook_data: dict) -> None:
            cpu = time.process_time() - input_hook_data["cpu"]
            wall = time.perf_counter() - input_hook_data["wall"]
            name = label(node_name)
            if name not in self.order:
                self.order.append(name)
            spent = self.turn.setdefault(name, [0.0, 0.0])
            spent[0] += cpu
            spent[1] += wall
            if name.rstrip("0123456789") in OWN_COMPONENTS:
                self.outputs[name.rstrip("0123456789")] = snapshot(output)

    return NodeTimer()


def stub_custom_actions() -> None:
    """Custom actions return no events instead of calling the action server."""
    from rasa.core.actions.action import RemoteAction

    async def run(self: Any, output_channel: Any, nlg: Any, tracker: Any,
                  domain: Any) -> list[Any]:
        return []

    RemoteAction.run = run  # type: ignore[method-assign]


async def fresh_conversation(agent: Any, sender: str) -> None:
    """A conversation whose session has started: the first message follows action_listen."""
    from rasa.shared.core.events import ActionExecuted, SessionStarted

    tracker = await agent.processor.get_tracker(sender)
    for event in (ActionExecuted("action_session_start"), SessionStarted(),
                  ActionExecuted("action_listen")):
        tracker.update(event)
    await agent.tracker_store.save(tracker)


def measure(model: Path, messages: list[tuple[str, str]], repeat: int) -> dict[str, Any]:
    from rasa.core.agent import Agent
    from rasa.shared.core.events import ActionExecuted

    loaded = time.perf_counter()
    agent = Agent.load(str(model))
    load_seconds = time.perf_counter() - loaded
    hook = make_hook()
    for node in agent.processor.graph_runner._instantiated_nodes.values():
        node._hooks.append(hook)  # the loader takes no hooks; GraphNode keeps them in a list
    loop = asyncio.new_event_loop()
    samples: dict[str, list[tuple[float, float]]] = defaultdict(list)
    per_category: dict[str, list[float]] = defaultdict(list)
    outputs: list[dict[str, Any]] = []
    actions: list[list[str]] = []
    for round_ in range(repeat + 1):  # round 0 warms up (TensorFlow traces its graphs)
        for index, (category, text) in enumerate(messages):
            sender = f"turn-cost-{round_}-{index}"
            loop.run_until_complete(fresh_conversation(agent, sender))
            hook.start_turn()
            cpu, wall = time.process_time(), time.perf_counter()
            loop.run_until_complete(agent.handle_text(text, sender_id=sender))
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            if round_ == 0:
                outputs.append(hook.outputs)
                tracker = loop.run_until_complete(agent.processor.get_tracker(sender))
                actions.append([event.action_name for event in list(tracker.events)[3:]
                                if isinstance(event, ActionExecuted)])
                continue
            for name, (node_cpu, node_wall) in hook.turn.items():
                samples[name].append((node_cpu, node_wall))
            nodes_cpu = sum(c for c, _ in hook.turn.values())
            nodes_wall = sum(w for _, w in hook.turn.values())
            samples[REST].append((cpu - nodes_cpu, wall - nodes_wall))
            samples[TURN].append((cpu, wall))
            per_category[category].append(cpu)
    loop.close()
    turn_cpu = statistics.fmean(c for c, _ in samples[TURN])
    reference = [c for c, _ in samples.get(next(
        (n for n in hook.order if n.startswith(REFERENCE)), ""), [])]
    reference_cpu = statistics.fmean(reference) if reference else 0.0
    rows = []
    for name in [*hook.order, REST, TURN]:
        cpu_values = [c for c, _ in samples[name]]
        wall_values = [w for _, w in samples[name]]
        cpu_mean = statistics.fmean(cpu_values)
        rows.append({
            "node": name,
            "p50_ms": round(1000 * percentile(wall_values, 0.5), 3),
            "p95_ms": round(1000 * percentile(wall_values, 0.95), 3),
            "cpu_mean_ms": round(1000 * cpu_mean, 3),
            "cpu_max_ms": round(1000 * max(cpu_values), 3),
            "share": round(cpu_mean / turn_cpu, 4) if turn_cpu else 0.0,
            "vs_diet": round(cpu_mean / reference_cpu, 3) if reference_cpu else None,
        })
    return {
        "model_sha256": sha256(model.read_bytes()),
        "load_seconds": round(load_seconds, 1),
        "turns_measured": len(samples[TURN]),
        "nodes": rows,
        "turn_cpu_ms_by_category": {category: round(1000 * statistics.fmean(values), 2)
                                    for category, values in per_category.items()},
        "component_outputs": outputs,
        "actions": actions,
    }


def floor_model() -> Path:
    """Rasa's `rasa init` bot: the stock config on Rasa's init data, trained once."""
    import rasa.cli

    initial = Path(rasa.cli.__file__).parent / "initial_project"
    inputs = [FLOOR_CONFIG, initial / "domain.yml", *sorted((initial / "data").glob("*.yml"))]
    digest = sha256(b"".join(path.read_bytes() for path in inputs))
    model = FLOOR_DIR / "floor.tar.gz"
    stamp = FLOOR_DIR / "floor.fingerprint"
    if model.exists() and stamp.exists() and stamp.read_text().strip() == digest:
        return model
    FLOOR_DIR.mkdir(parents=True, exist_ok=True)
    shutil.copytree(initial / "data", FLOOR_DIR / "data", dirs_exist_ok=True)
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "rasa", "train", "--config", str(FLOOR_CONFIG),
         "--domain", str(initial / "domain.yml"), "--data", str(FLOOR_DIR / "data"),
         "--out", str(FLOOR_DIR), "--fixed-model-name", "floor"],
        cwd=FLOOR_DIR, check=True, env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        stdout=subprocess.DEVNULL,
    )
    stamp.write_text(digest)
    print(f"floor model trained in {time.monotonic() - started:.0f} s")
    return model


def print_table(title: str, result: dict[str, Any]) -> None:
    print(f"\n{title}  ({result['turns_measured']} turns, model loaded in "
          f"{result['load_seconds']} s)")
    print(f"{'node':34s} {'p50 ms':>8s} {'p95 ms':>8s} {'CPU ms':>8s} {'share':>7s} "
          f"{'x DIET':>7s} {'CPU max':>8s}")
    for row in result["nodes"]:
        ratio = "" if row["vs_diet"] is None else f"{row['vs_diet']:.3f}"
        print(f"{row['node']:34s} {row['p50_ms']:8.2f} {row['p95_ms']:8.2f} "
              f"{row['cpu_mean_ms']:8.2f} {100 * row['share']:6.1f}% {ratio:>7s} "
              f"{row['cpu_max_ms']:8.2f}")
    by_category = ", ".join(f"{c} {ms:.1f}" for c, ms in result["turn_cpu_ms_by_category"].items())
    print(f"turn CPU ms by category: {by_category}")


def compare_outputs(previous: dict[str, Any], current: dict[str, Any]) -> str:
    before = previous.get("runs", {}).get("project", {})
    if before.get("model_sha256") != current["model_sha256"]:
        return "previous results are from another model: outputs not compared"
    if previous.get("inputs", {}).get("messages_sha256") != sha256(MESSAGES.read_bytes()):
        return "previous results are from other messages: outputs not compared"
    written = json.loads(json.dumps(current["component_outputs"]))  # as the file holds them
    changed = [index for index, (old, new) in enumerate(
        zip(before.get("component_outputs", []), written, strict=False)) if old != new]
    if changed:
        return f"our components' outputs CHANGED for messages {changed}"
    return (f"our components' outputs identical to the previous results "
            f"({len(current['component_outputs'])} messages, {', '.join(OWN_COMPONENTS)})")


def git_commit() -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", *map(str, COMPONENT_SOURCES),
                            str(CONFIG), str(Path(__file__))], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    return commit + ("+uncommitted changes" if dirty else "")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="measured rounds over the set")
    parser.add_argument("--no-floor", action="store_true", help="skip the rasa init floor")
    parser.add_argument("--no-write", action="store_true", help="do not write the results")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    from rasa.utils.log_utils import configure_structlog

    from quartierslotse.settings import get_settings
    from runtime import training

    configure_structlog(logging.INFO)  # the server's default; DEBUG would cost far more
    logging.getLogger().setLevel(logging.WARNING)
    stub_custom_actions()
    messages = load_messages()
    model = training.ensure_trained(get_settings())
    runs = {"project": measure(model, messages, args.repeat)}
    print_table("project model (bot/config.yml)", runs["project"])
    if not args.no_floor:
        runs["floor"] = measure(floor_model(), messages, args.repeat)
        print_table("floor: rasa init bot (benchmarks/default_config.yml, Rasa's init data)",
                    runs["floor"])
        project, floor = (runs[name]["nodes"][-1]["cpu_mean_ms"] for name in ("project", "floor"))
        print(f"\nturn CPU project / floor: {project / floor:.2f}")
    previous = json.loads(args.out.read_text()) if args.out.exists() else {}
    print(compare_outputs(previous, runs["project"]))
    results = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "machine": {"cpus": os.cpu_count(), "load_average_1min": round(os.getloadavg()[0], 2)},
        "repeat": args.repeat,
        "inputs": {
            "messages_sha256": sha256(MESSAGES.read_bytes()),
            "config_sha256": sha256(CONFIG.read_bytes()),
            "floor_config_sha256": sha256(FLOOR_CONFIG.read_bytes()),
            **{f"{path.relative_to(ROOT)}_sha256": sha256(path.read_bytes())
               for path in COMPONENT_SOURCES},
        },
        "runs": runs,
    }
    if not args.no_write:
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n",
                            encoding="utf-8")
        print(f"written: {args.out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
