"""Load and cold-start benchmark of the production topology. Not part of CI.

    .venv/bin/python benchmarks/load.py                      # full matrix, 60 s per cell
    .venv/bin/python benchmarks/load.py --replicas 2 --stores postgres --duration 30
    .venv/bin/python benchmarks/load.py --floor-only         # only the `rasa init` floor
    .venv/bin/python benchmarks/load.py --replicas 1 --stores sqlite --no-floor --profile

benchmarks/load_results.json holds the runs quoted in the notes of issue 21 (2026-12-02, -03):
`--replicas 1 --stores sqlite --concurrency 1 --think 0.2 --duration 60` (one user) and
`--replicas 1 --stores sqlite postgres --concurrency 20 --duration 60` (with the floor).

For every cell (replicas × store) it starts the topology from local processes
(runtime.topology: nginx → n Rasa replicas → action server; Redis lock store;
RabbitMQ broker; tracker store and knowledge base in PostgreSQL or SQLite), measures the
cold start (process start until every replica answers, i.e. the model is loaded), then holds
N concurrent conversations through the public channel (REST, or the web chat channel with
--channel webchat) behind nginx for T seconds. Each simulated user sends the next message
of a realistic German conversation after a think time (default 2 s; real users need far
longer to read and type) and starts a new conversation after the last message. The
conversation (CONVERSATION) covers the expensive paths: an office look-up and its opening
hours, a Pflegegeld question with a follow-up, a handoff that ends in a callback.

Reported per cell: turns, throughput (turns/s), p50/p95/p99 latency per turn, errors
(HTTP errors, timeouts, empty answers, the ActionGuard's apology) and the peak RSS of each
process (MiB) and the CPU milliseconds each process group used per turn (PostgreSQL, Redis and
RabbitMQ run as system services and are not counted); then per turn type p50/p95/p99, the
ratio of its p50 to the plain answer's p50 and of its p95 to the floor's p95 at the same
concurrency. The framework's floor: a stock
`rasa init` bot (built in a temp dir, one process, in-memory stores) under the same load in
the same run. `--profile` also samples every Rasa replica with py-spy during the measured cell
and prints its CPU per component and turn (NLU, policies, action calls, tracker and lock
store, broker, guard; benchmarks/rasa_profile.py). `--out FILE` also writes the figures as JSON
(date, commit, arguments).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import rasa_profile

from channels.action_guard import APOLOGY
from quartierslotse.settings import get_settings
from runtime import processes, topology
from runtime.services import Service

# (turn type, message): the expensive paths too - an office look-up with its opening hours, a
# Pflegegeld question with a follow-up, and a handoff that ends in a callback (nobody is on
# duty in the benchmark's fresh database, so the bot offers one)
CONVERSATION = [
    ("plain", "Guten Tag"),
    ("plain", "Was ist ein Pflegegrad?"),
    ("pflegegeld", "Wie viel Pflegegeld bekommt man bei Pflegegrad 3?"),
    ("follow_up", "Und bei Pflegegrad 4?"),
    ("office", "Wo ist das Seniorenbüro in Dortmund-Hörde?"),
    ("opening_hours", "Wann hat das Seniorenbüro geöffnet?"),
    ("plain", "Was ist eine Vorsorgevollmacht?"),
    ("handoff", "Ich möchte mit einem Menschen sprechen"),
    ("callback", "Ja, bitte zurückrufen"),
    ("callback", "Ja, einverstanden"),
    ("callback", "0231 1234567"),
    ("callback", "morgen vormittag"),
    ("plain", "Danke, das hilft mir"),
    ("plain", "Tschüss"),
]
FLOOR_CONVERSATION = [("floor", text) for text in
                      ("hello", "I am sad", "yes", "great", "are you a bot?", "bye")]
FLOOR_LABEL = "rasa init (floor)"
ROOT = Path(__file__).resolve().parents[1]
TURN_TYPES = ["plain", "pflegegeld", "follow_up", "office", "opening_hours", "handoff",
              "callback", "floor"]
Script = list[tuple[str, str]]


# --------------------------------------------------------------------------- measuring


def group_members(pid: int) -> list[str]:
    """The /proc entries of a process and everything in its process group (nginx workers, …)."""
    try:
        pgid = os.getpgid(pid)
    except ProcessLookupError:
        return []
    members = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and os.getpgid(int(entry)) == pgid:
                members.append(entry)
        except ProcessLookupError:
            continue
    return members


def group_rss_mib(pid: int) -> float:
    """RSS of a process group in MiB."""
    total = 0
    for entry in group_members(pid):
        try:
            for line in Path(f"/proc/{entry}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (FileNotFoundError, PermissionError):
            continue
    return total / 1024


def group_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process group has used so far."""
    ticks = 0
    for entry in group_members(pid):
        try:
            # the fields after the command name (which may hold spaces): utime is the 12th
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except (FileNotFoundError, PermissionError, IndexError, ValueError):
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


class MemorySampler(threading.Thread):
    def __init__(self, pids: dict[str, int], interval: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.pids, self.interval = pids, interval
        self.peak: dict[str, float] = dict.fromkeys(pids, 0.0)
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            for name, pid in self.pids.items():
                self.peak[name] = max(self.peak[name], group_rss_mib(pid))
            self._halt.wait(self.interval)

    def stop(self) -> dict[str, float]:
        self._halt.set()
        self.join()
        return self.peak


@dataclass
class Result:
    label: str
    replicas: int
    store: str
    concurrency: int
    duration: float
    latencies: list[float] = field(default_factory=list)
    by_type: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    memory: dict[str, float] = field(default_factory=dict)
    cpu_ms_per_turn: dict[str, float] = field(default_factory=dict)
    cold_start: float = 0.0
    rasa_components: dict[str, float] = field(default_factory=dict)  # with --profile

    def percentile(self, q: float, turn_type: str = "") -> float:
        """Milliseconds; of every turn, or of the turns of one type."""
        return percentile(self.by_type.get(turn_type, []) if turn_type else self.latencies, q)

    def type_rows(self, floor_p95: float | None) -> list[str]:
        """One row per turn type: p50/p95/p99, the ratio to the plain turn's p50 and of its
        p95 to the floor's p95 (the stock bot in the same run)."""
        plain = self.percentile(50, "plain")
        rows = []
        for turn_type in (t for t in TURN_TYPES if t in self.by_type):
            p50, p95 = self.percentile(50, turn_type), self.percentile(95, turn_type)
            to_floor = f"{p95 / floor_p95:.2f}" if floor_p95 else "–"
            rows.append(f"| {self.label} | {self.replicas} | {self.store} | {self.concurrency} | "
                        f"{turn_type} | {len(self.by_type[turn_type])} | {p50:.0f} | {p95:.0f} | "
                        f"{self.percentile(99, turn_type):.0f} | "
                        f"{f'{p50 / plain:.2f}' if plain == plain else '–'} | "
                        f"{to_floor} |")
        return rows

    def as_dict(self) -> dict[str, object]:
        return {"label": self.label, "replicas": self.replicas, "store": self.store,
                "concurrency": self.concurrency, "duration_s": self.duration,
                "turns": len(self.latencies),
                "turns_per_s": round(len(self.latencies) / self.duration, 2),
                "p50_ms": round(self.percentile(50)), "p95_ms": round(self.percentile(95)),
                "p99_ms": round(self.percentile(99)), "errors": self.error_kinds,
                "cold_start_s": round(self.cold_start, 1), "peak_rss_mib": self.memory,
                "cpu_ms_per_turn": {k: round(v, 1) for k, v in self.cpu_ms_per_turn.items()},
                "turn_types": {t: {"n": len(v), "p50_ms": round(self.percentile(50, t)),
                                   "p95_ms": round(self.percentile(95, t)),
                                   "p99_ms": round(self.percentile(99, t))}
                               for t, v in self.by_type.items()},
                **({"rasa_cpu_share_per_component": {k: round(v, 3) for k, v in
                                                     self.rasa_components.items()}}
                   if self.rasa_components else {})}

    def row(self) -> str:
        turns = len(self.latencies)
        memory = ", ".join(f"{k} {v:.0f}" for k, v in self.memory.items())
        cpu = ", ".join(f"{k} {v:.0f}" for k, v in self.cpu_ms_per_turn.items())
        return (f"| {self.label} | {self.replicas} | {self.store} | {self.concurrency} | {turns} | "
                f"{turns / self.duration:.1f} | {self.percentile(50):.0f} | "
                f"{self.percentile(95):.0f} | {self.percentile(99):.0f} | {self.errors} | "
                f"{self.cold_start:.1f} | {memory} | {cpu} |")


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile of seconds, in milliseconds (nan for no samples)."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] * 1000


TYPE_HEADER = ("| system | replicas | store | conc. | turn type | n | p50 ms | p95 ms | p99 ms | "
               "p50 / plain p50 | p95 / floor p95 |\n|---|---|---|---|---|---|---|---|---|---|---|")
HEADER = ("| system | replicas | store | conc. | turns | turns/s | p50 ms | p95 ms | p99 ms | "
          "errors | cold start s | peak RSS MiB per process | CPU ms per turn per process |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|")


# --------------------------------------------------------------------------- load


async def _user(session: aiohttp.ClientSession, url: str, channel: str, script: Script,
                deadline: float, think: float, result: Result) -> None:
    await asyncio.sleep(random.uniform(0, think or 0.1))  # spread the first messages
    while time.monotonic() < deadline:
        sender = f"bench{uuid.uuid4().hex[:16]}"
        for turn_type, text in script:
            if time.monotonic() >= deadline:
                return
            started = time.monotonic()
            kind = ""
            try:
                async with session.post(url, json={"sender": sender, "message": text}) as answer:
                    body = await answer.read()
                    if answer.status != 200:
                        kind = f"HTTP {answer.status}"
                    else:
                        data = json.loads(body)
                        messages = data.get("messages", []) if isinstance(data, dict) else data
                        texts = " ".join(str(m.get("text", "")) for m in messages)
                        if not messages:
                            kind = "empty answer"
                        elif APOLOGY in texts:
                            kind = "fallback apology"
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                kind = type(error).__name__
            elapsed = time.monotonic() - started
            if kind:
                result.errors += 1
                result.error_kinds[kind] = result.error_kinds.get(kind, 0) + 1
            else:
                result.latencies.append(elapsed)
                result.by_type.setdefault(turn_type, []).append(elapsed)
            await asyncio.sleep(max(0.0, think * random.uniform(0.5, 1.5)))


async def _load(url: str, channel: str, script: Script, concurrency: int, duration: float,
                think: float, result: Result) -> None:
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=concurrency * 2)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        deadline = time.monotonic() + duration
        await asyncio.gather(*[
            _user(session, url, channel, script, deadline, think, result)
            for _ in range(concurrency)])


def run_load(base_url: str, channel: str, script: Script, concurrency: int, duration: float,
             think: float, pids: dict[str, int], result: Result) -> Result:
    path = "/webhooks/webchat/webhook" if channel == "webchat" else "/webhooks/rest/webhook"
    sampler = MemorySampler(pids)
    cpu_before = {name: group_cpu_seconds(pid) for name, pid in pids.items()}
    sampler.start()
    try:
        asyncio.run(_load(base_url + path, channel, script, concurrency, duration, think, result))
    finally:
        result.memory = sampler.stop()
    turns = max(len(result.latencies), 1)
    result.cpu_ms_per_turn = {name: (group_cpu_seconds(pid) - cpu_before[name]) * 1000 / turns
                              for name, pid in pids.items()}
    return result


# --------------------------------------------------------------------------- cells


def cluster_cell(replicas: int, store: str, concurrencies: list[int], args: argparse.Namespace,
                 workdir: Path) -> list[Result]:
    database = f"ql_bench_{replicas}_{uuid.uuid4().hex[:6]}"
    cluster = topology.build_cluster(
        get_settings(), workdir / f"cluster-{replicas}-{store}", replicas=replicas, store=store,
        database=database, broker=not args.no_broker, extras=False, fresh_database=True,
        broker_queue=f"ql_bench_{uuid.uuid4().hex[:6]}",
        model=Path(args.model) if args.model else None,
        rasa_token="bench", rate_limit_messages=100000, rate_limit_per_ip=1000000)
    results = []
    try:
        topology.start_cluster(cluster)
        cold = cluster.timings["rasa_replicas"]
        print(f"  {replicas} replica(s), {store}: cold start {cold:.1f} s "
              f"(replicas started in parallel)", flush=True)
        pids = {name: running.process.pid for name, running in cluster.running.items()}
        for concurrency in concurrencies:
            # warm-up: the first prediction of each replica builds TensorFlow graphs
            run_load(cluster.url, args.channel, CONVERSATION, 2, 5, 0.2, pids,
                     Result("warm-up", replicas, store, 2, 5))
            result = Result("Quartierslotse", replicas, store, concurrency, args.duration,
                            cold_start=cold)
            profiles = {name: workdir / f"profile-{replicas}-{store}-{concurrency}-{name}.txt"
                        for name in pids if name.startswith("Rasa")} if args.profile else {}
            spies = [rasa_profile.record(pids[name], args.duration, path)
                     for name, path in profiles.items()]
            run_load(cluster.url, args.channel, CONVERSATION, concurrency, args.duration,
                     args.think, pids, result)
            print(result.row(), flush=True)
            for spy in spies:
                spy.wait(timeout=60)
            if profiles:
                _profile_rows(result, list(profiles.values()))
            if result.error_kinds:
                print(f"    errors: {result.error_kinds}", flush=True)
            results.append(result)
    finally:
        cluster.stop()
        if store == "postgres":
            topology.drop_database(database)
        if cluster.broker_queue:
            topology.delete_queue(cluster.broker_queue)
    return results


def _profile_rows(result: Result, recordings: list[Path]) -> None:
    """The replicas' CPU per component (benchmarks/rasa_profile.py), printed and kept."""
    samples = rasa_profile.stacks(path for path in recordings if path.exists())
    cpu = sum(ms for name, ms in result.cpu_ms_per_turn.items() if name.startswith("Rasa"))
    result.rasa_components = rasa_profile.shares(samples)
    for line in rasa_profile.table(result.rasa_components, cpu, sum(n for _, n in samples)):
        print(line, flush=True)


def floor_cells(concurrencies: list[int], args: argparse.Namespace,
                workdir: Path) -> list[Result]:
    """A stock `rasa init` bot: one process, in-memory tracker and lock store."""
    project = workdir / "rasa-init"
    project.mkdir(parents=True, exist_ok=True)  # rasa init wants an existing directory
    rasa = str(Path(sys.executable).with_name("rasa"))
    started = time.monotonic()
    subprocess.run([rasa, "init", "--no-prompt", "--init-dir", str(project)], check=True,
                   cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"})
    print(f"  rasa init (incl. training): {time.monotonic() - started:.0f} s", flush=True)
    port = topology.free_port()
    service = Service(
        name="rasa-init", command=[rasa, "run", "--port", str(port), "--enable-api"],
        health_url=f"http://127.0.0.1:{port}/", public_url=f"http://127.0.0.1:{port}",
        env={"RASA_TELEMETRY_ENABLED": "false"})
    running = _start_in(project, service, workdir / "logs")  # in the init bot's directory
    results = []
    try:
        cold = processes.wait_healthy(running, 600)
        print(f"  rasa init bot: cold start {cold:.1f} s", flush=True)
        pids = {"rasa-init": running.process.pid}
        for concurrency in concurrencies:
            run_load(service.public_url, "rest", FLOOR_CONVERSATION, 2, 5, 0.2, pids,
                     Result("warm-up", 1, "memory", 2, 5))
            result = Result(FLOOR_LABEL, 1, "in-memory", concurrency, args.duration,
                            cold_start=cold)
            run_load(service.public_url, "rest", FLOOR_CONVERSATION, concurrency, args.duration,
                     args.think, pids, result)
            print(result.row(), flush=True)
            results.append(result)
    finally:
        processes.stop(running)
    return results


def _start_in(directory: Path, service: Service, log_dir: Path) -> processes.RunningService:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{service.name}.log"
    process = subprocess.Popen(
        service.command, cwd=directory, env={**os.environ, **service.env},
        stdout=log_path.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)
    return processes.RunningService(service, process, log_path, get_settings())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--stores", nargs="+", default=["sqlite", "postgres"],
                        choices=["sqlite", "postgres"])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[20])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per cell")
    parser.add_argument("--think", type=float, default=2.0,
                        help="mean seconds between a user's messages (0: closed loop)")
    parser.add_argument("--channel", choices=["rest", "webchat"], default="rest")
    parser.add_argument("--model", default="", help="model archive (default: train/cached)")
    parser.add_argument("--no-broker", action="store_true")
    parser.add_argument("--no-floor", action="store_true")
    parser.add_argument("--floor-only", action="store_true")
    parser.add_argument("--profile", action="store_true",
                        help="py-spy the Rasa replicas: CPU per component (rasa_profile.py)")
    parser.add_argument("--out", default="", help="also write the figures as JSON to this file")
    args = parser.parse_args()
    results: list[Result] = []
    print(f"Load benchmark, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, "
          f"{args.duration:.0f} s per cell, think time {args.think} s, channel {args.channel}")
    print(HEADER, flush=True)
    with tempfile.TemporaryDirectory(prefix="ql-bench-") as tmp:
        workdir = Path(tmp)
        if not args.floor_only:
            for replicas in args.replicas:
                for store in args.stores:
                    results += cluster_cell(replicas, store, args.concurrency, args, workdir)
        if not args.no_floor and shutil.which(str(Path(sys.executable).with_name("rasa"))):
            results += floor_cells(args.concurrency, args, workdir)
    print("\nSummary")
    print(HEADER)
    for result in results:
        print(result.row())
    floor = {r.concurrency: r.percentile(95) for r in results if r.label == FLOOR_LABEL}
    print("\nPer turn type")
    print(TYPE_HEADER)
    for result in results:
        for row in result.type_rows(floor.get(result.concurrency)):
            print(row)
    if args.out:
        write_results(Path(args.out), args, results)


def write_results(path: Path, args: argparse.Namespace, results: list[Result]) -> None:
    """The figures with what produced them: date, commit, machine, arguments."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    path.write_text(json.dumps({
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": commit, "cores": os.cpu_count(),
        "arguments": {k: v for k, v in vars(args).items() if k != "out"},
        "conversation": CONVERSATION, "results": [r.as_dict() for r in results],
    }, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"written: {path}")


if __name__ == "__main__":
    main()
