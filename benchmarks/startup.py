"""Foundation figures: training time, start-up of every service of `make run`, memory.

Run: .venv/bin/python benchmarks/startup.py [--retrain]
Starts the services of `make run` the way it does (all at once, on free ports, embedded
databases in a temporary directory) and prints, from the moment they are started, when each
answers its health check (Rasa only once its model is loaded), when the first chat turn was
answered, and each process's memory. Nothing here runs in CI.
"""

from __future__ import annotations

import argparse
import json
import socket
import tempfile
import time
import urllib.request
from pathlib import Path

from quartierslotse.settings import Settings, get_settings
from runtime import processes, training
from runtime.devserver import prepare_runtime
from runtime.services import default_services


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _first_answer(rasa_url: str) -> str:
    """The bot's answer to a greeting through the REST channel, as the widget sends it."""
    body = json.dumps({"sender": "startup-bench", "message": "Hallo"}).encode()
    request = urllib.request.Request(f"{rasa_url}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return " ".join(message.get("text", "") for message in json.loads(response.read()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--retrain", action="store_true", help="force a full training run")
    args = parser.parse_args()
    base = get_settings()
    with tempfile.TemporaryDirectory() as var_dir:
        settings = Settings(
            var_dir=Path(var_dir), spacy_model_path=base.spacy_model_path, model_dir=base.model_dir,
            rasa_port=_free_port(), action_port=_free_port(), console_port=_free_port(),
            web_port=_free_port(), rasa_token="bench",
        )
        started = time.monotonic()
        model = training.ensure_trained(settings, force=args.retrain)
        print(f"training (forced={args.retrain}): {time.monotonic() - started:.1f} s")
        started = time.monotonic()
        services = default_services(settings, model, prepare_runtime(settings))
        print(f"databases and Rasa files prepared: {time.monotonic() - started:.1f} s")
        running = [processes.start(service, settings, settings.var_dir / "logs")
                   for service in services]
        try:
            for item in running:
                processes.wait_healthy(item, timeout=600)
                print(f"{item.service.name} up after {time.monotonic() - started:.1f} s")
            print(f"all services of `make run` up after {time.monotonic() - started:.1f} s")
            answer = _first_answer(settings.rasa_url)
            print(f"first chat turn answered after {time.monotonic() - started:.1f} s "
                  f"({answer[:40]!r}...)")
            for item in running:
                print(f"{item.service.name} RSS: {_rss_mib(item.process.pid):.0f} MiB")
        finally:
            processes.stop_all(running)


if __name__ == "__main__":
    main()
