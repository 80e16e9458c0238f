"""Handoff latency with the real stack (Rasa, action server, console):

  user → console: a web chat message until the advisor's open transcript long-poll shows it
  advisor → user: an advisor reply (console API) until the widget's long-poll receives it

Run: .venv/bin/python benchmarks/handoff_latency.py [--messages 100]
Prints p50/p95 in milliseconds. Nothing here runs in CI.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advisor import auth  # noqa: E402
from quartierslotse.settings import Settings, get_settings  # noqa: E402
from runtime import processes, training  # noqa: E402
from runtime.devserver import prepare_runtime  # noqa: E402
from runtime.services import default_services  # noqa: E402
from tests.conftest import free_port  # noqa: E402
from tests.support.handoff import ConsoleClient, WebchatUser  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def user_to_console(advisor: ConsoleClient, user: WebchatUser, ticket: int, n: int) -> list[float]:
    samples = []
    after = max((m["ts"] for m in advisor.transcript(ticket)), default=0.0)
    for index in range(n):
        text = f"Nachricht {index} {secrets.token_hex(3)}"
        seen: dict[str, float] = {}

        def watch(text: str, seen: dict[str, float]) -> None:
            nonlocal after
            while "t" not in seen:
                for message in advisor.transcript(ticket, after, wait=10):
                    after = max(after, message["ts"])
                    if message["text"] == text:
                        seen["t"] = time.perf_counter()

        watcher = threading.Thread(target=watch, args=(text, seen))
        watcher.start()
        time.sleep(0.05)  # the long poll is open, as in the browser
        sent = time.perf_counter()
        user.say(text)
        watcher.join(30)
        samples.append((seen["t"] - sent) * 1000)
    return samples


def advisor_to_user(advisor: ConsoleClient, user: WebchatUser, ticket: int, n: int) -> list[float]:
    samples = []
    for index in range(n):
        text = f"Antwort {index}"
        received: dict[str, float] = {}

        def watch(text: str, received: dict[str, float]) -> None:
            message = user.wait_for("advisor", timeout=30)
            if message["text"] == text:
                received["t"] = time.perf_counter()

        watcher = threading.Thread(target=watch, args=(text, received))
        watcher.start()
        time.sleep(0.05)
        sent = time.perf_counter()
        advisor.reply(ticket, text).raise_for_status()
        watcher.join(30)
        samples.append((received["t"] - sent) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100)
    args = parser.parse_args()
    base = get_settings()
    with tempfile.TemporaryDirectory() as var_dir:
        settings = Settings(var_dir=Path(var_dir), spacy_model_path=base.spacy_model_path,
                            model_dir=base.model_dir, rasa_port=free_port(),
                            action_port=free_port(), console_port=free_port(),
                            rasa_token=secrets.token_hex(8),
                            # one sender sends 200 messages: lift the public-channel limits
                            rate_limit_messages=100_000, rate_limit_per_ip=100_000)
        model = training.ensure_trained(settings)
        files = prepare_runtime(settings)
        running = processes.start_all(default_services(settings, model, files), settings,
                                      settings.var_dir / "logs", timeout=600)
        try:
            password = secrets.token_urlsafe(12)
            auth.create_advisor(settings.database_url, "bench", "Bench Beratung", "Dortmund",
                                password)
            advisor = ConsoleClient(settings.console_url)
            advisor.login("bench", password)
            advisor.start_duty()
            user = WebchatUser(settings.rasa_url, "Dortmund")
            user.say("Ich möchte mit einem Menschen sprechen")
            ticket = advisor.wait_for_ticket(lambda t: t["status"] == "queued")["id"]
            advisor.claim(ticket).raise_for_status()
            user.wait_for("system")
            up = user_to_console(advisor, user, ticket, args.messages)
            down = advisor_to_user(advisor, user, ticket, args.messages)
        finally:
            processes.stop_all(running)
    for label, values in (("user → console", up), ("advisor → user", down)):
        print(f"{label:<16} n={len(values)}  p50={percentile(values, 0.5):6.0f} ms  "
              f"p95={percentile(values, 0.95):6.0f} ms  max={max(values):6.0f} ms  "
              f"mean={statistics.mean(values):6.0f} ms")


if __name__ == "__main__":
    main()
