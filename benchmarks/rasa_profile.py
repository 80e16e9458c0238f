"""Where a Rasa replica's CPU goes under load: py-spy samples sorted into components.

Used by `benchmarks/load.py --profile`: py-spy (a sampling profiler, `pip install py-spy`, in
the dev extra) records every Rasa replica while the measured cell runs; the samples are sorted
into the components below by the frames on their stack. A component's share times the replica's
CPU milliseconds per turn (measured by load.py in the same cell) is its cost per turn.
Components nest (indented): a parent counts every sample of its children, so the shares of one
level add up to at most their parent's. py-spy pauses the replica for each sample (in its
non-blocking mode it counts a waiting event loop as busy), so a profiled cell's latencies are a
little higher: quote latencies from a run without --profile.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

# (label, frames): a sample belongs to the component if one of the frames is on its stack and
# none of UNLESS[label]
COMPONENTS: list[tuple[str, tuple[str, ...]]] = [
    ("message turn (Rasa processor)", ("handle_message (rasa/core/processor.py",)),
    ("  NLU pipeline", ("parse_message (rasa/core/processor.py",)),
    ("    DIET intent classifier", ("process (rasa/nlu/classifiers/diet_classifier.py",)),
    ("    ResponseSelector", ("process (rasa/nlu/selectors/response_selector.py",)),
    ("    spaCy and featurizers", ("rasa/nlu/utils/spacy_utils.py", "rasa/nlu/featurizers/",
                                   "rasa/nlu/tokenizers/")),
    ("    project components", ("bot/components/",)),
    ("  policies (next action)", ("_predict_next_with_tracker (rasa/core/processor.py",)),
    ("    TED", ("rasa/core/policies/ted_policy.py",)),
    ("    RulePolicy and Memoization", ("rasa/core/policies/rule_policy.py",
                                        "rasa/core/policies/memoization.py")),
    ("  custom-action calls (Rasa side)", ("rasa/utils/endpoints.py",
                                           "security/endpoint_requests.py")),
    ("  tracker store: read", ("retrieve (rasa/core/tracker_store.py",)),
    ("  tracker store: write and broker", ("save (channels/rasa_stores.py",
                                           "save (rasa/core/tracker_store.py")),
    ("  lock store", ("rasa/core/lock_store.py", "lock (channels/rasa_stores.py")),
    ("action guard (server side, to the action server)", ("channels/action_guard.py",)),
    ("event broker publishing (RabbitMQ client)", ("aio_pika/", "aiormq/")),
    ("HTTP server outside request handlers", ("connection_task",)),
    ("worker threads (outside the event loop)", ("_bootstrap (threading.py",)),
]
UNLESS = {"HTTP server outside request handlers": ("handle_request", "aio_pika/", "aiormq/")}
EXCLUDED = ("load_agent_on_start",)  # a replica loading its model is no turn
# a thread-pool worker waiting for work (py-spy counts this C-level wait as busy)
IDLE_LEAF = "_worker (concurrent/futures/thread.py"


def record(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    """py-spy sampling `pid` for `seconds` into `out` (raw: one stack and count per line)."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return subprocess.Popen(
        [py_spy, "record", "--pid", str(pid), "--duration", str(max(1, round(seconds))),
         "--rate", "50", "--format", "raw", "--output", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stacks(paths: Iterable[Path]) -> list[tuple[str, int]]:
    """(stack, samples) of the recordings, without model loading and idle pool workers."""
    found = []
    for path in paths:
        for line in path.read_text(errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if (stack and count.isdigit() and not any(frame in stack for frame in EXCLUDED)
                    and not stack.rsplit(";", 1)[-1].startswith(IDLE_LEAF)):
                found.append((stack, int(count)))
    return found


def _belongs(stack: str, label: str, frames: tuple[str, ...]) -> bool:
    return (any(frame in stack for frame in frames)
            and not any(frame in stack for frame in UNLESS.get(label, ())))


def shares(samples: list[tuple[str, int]]) -> dict[str, float]:
    """Share (0..1) of all samples per component; "other" is what no top-level one took."""
    total = sum(count for _, count in samples) or 1
    result = {label: sum(count for stack, count in samples
                         if _belongs(stack, label, frames)) / total
              for label, frames in COMPONENTS}
    top_level = [(label, frames) for label, frames in COMPONENTS if not label.startswith(" ")]
    result["other"] = sum(count for stack, count in samples
                          if not any(_belongs(stack, label, frames)
                                     for label, frames in top_level)) / total
    return result


def table(component_shares: dict[str, float], cpu_ms_per_turn: float, samples: int) -> list[str]:
    lines = [f"  Rasa CPU per component ({samples} samples, {cpu_ms_per_turn:.0f} ms per turn)",
             "  | component | share | ms per turn |", "  |---|---|---|"]
    for label, share in component_shares.items():
        lines.append(f"  | {label} | {100 * share:.1f} % | {share * cpu_ms_per_turn:.1f} |")
    return lines
