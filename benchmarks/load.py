"""Load and cold-start benchmark of the production topology. Not part of CI.

    .venv/bin/python benchmarks/load.py                      # full matrix, 60 s per cell
    .venv/bin/python benchmarks/load.py --replicas 2 --stores postgres --duration 30
    .venv/bin/python benchmarks/load.py --floor-only         # only the `rasa init` floor

For every cell (replicas × store) it starts the topology from local processes
(runtime.topology: nginx → n Rasa replicas → action server; Redis lock store;
RabbitMQ broker; tracker store and knowledge base in PostgreSQL or SQLite), measures the
cold start (process start until every replica answers, i.e. the model is loaded), then holds
N concurrent conversations through the public channel (REST, or the web chat channel with
--channel webchat) behind nginx for T seconds. Each simulated user sends the next message
of a realistic German conversation after a think time (default 2 s; real users need far
longer to read and type) and starts a new conversation after the last message.

Reported per cell: turns, throughput (turns/s), p50/p95/p99 latency per turn, errors
(HTTP errors, timeouts, empty answers, the ActionGuard's apology) and the peak RSS of each
process (MiB). The framework's floor: a stock `rasa init` bot (built in a temp dir, one
process, in-memory stores) under the same load in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
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

from channels.action_guard import APOLOGY
from quartierslotse.settings import get_settings
from runtime import processes, topology
from runtime.services import Service

CONVERSATION = [
    "Guten Tag",
    "Was ist ein Pflegegrad?",
    "Wie beantrage ich einen Pflegegrad?",
    "Was ist eine Vorsorgevollmacht?",
    "Bist du ein Mensch?",
    "Danke, das hilft mir",
    "Tschüss",
]
FLOOR_CONVERSATION = ["hello", "I am sad", "yes", "great", "are you a bot?", "bye"]


# --------------------------------------------------------------------------- measuring


def group_rss_mib(pid: int) -> float:
    """RSS of a process and everything in its process group (nginx workers, …)."""
    try:
        pgid = os.getpgid(pid)
    except ProcessLookupError:
        return 0.0
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.getpgid(int(entry)) != pgid:
                continue
            for line in Path(f"/proc/{entry}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (ProcessLookupError, FileNotFoundError, PermissionError):
            continue
    return total / 1024


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
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    memory: dict[str, float] = field(default_factory=dict)
    cold_start: float = 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] * 1000

    def row(self) -> str:
        turns = len(self.latencies)
        memory = ", ".join(f"{k} {v:.0f}" for k, v in self.memory.items())
        return (f"| {self.label} | {self.replicas} | {self.store} | {self.concurrency} | {turns} | "
                f"{turns / self.duration:.1f} | {self.percentile(50):.0f} | "
                f"{self.percentile(95):.0f} | {self.percentile(99):.0f} | {self.errors} | "
                f"{self.cold_start:.1f} | {memory} |")


HEADER = ("| system | replicas | store | conc. | turns | turns/s | p50 ms | p95 ms | p99 ms | "
          "errors | cold start s | peak RSS MiB per process |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|")


# --------------------------------------------------------------------------- load


async def _user(session: aiohttp.ClientSession, url: str, channel: str, script: list[str],
                deadline: float, think: float, result: Result) -> None:
    await asyncio.sleep(random.uniform(0, think or 0.1))  # spread the first messages
    while time.monotonic() < deadline:
        sender = f"bench{uuid.uuid4().hex[:16]}"
        for text in script:
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
            await asyncio.sleep(max(0.0, think * random.uniform(0.5, 1.5)))


async def _load(url: str, channel: str, script: list[str], concurrency: int, duration: float,
                think: float, result: Result) -> None:
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=concurrency * 2)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        deadline = time.monotonic() + duration
        await asyncio.gather(*[
            _user(session, url, channel, script, deadline, think, result)
            for _ in range(concurrency)])


def run_load(base_url: str, channel: str, script: list[str], concurrency: int, duration: float,
             think: float, pids: dict[str, int], result: Result) -> Result:
    path = "/webhooks/webchat/webhook" if channel == "webchat" else "/webhooks/rest/webhook"
    sampler = MemorySampler(pids)
    sampler.start()
    try:
        asyncio.run(_load(base_url + path, channel, script, concurrency, duration, think, result))
    finally:
        result.memory = sampler.stop()
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
            run_load(cluster.url, args.channel, CONVERSATION, concurrency, args.duration,
                     args.think, pids, result)
            print(result.row(), flush=True)
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
            result = Result("rasa init (floor)", 1, "in-memory", concurrency, args.duration,
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


if __name__ == "__main__":
    main()
