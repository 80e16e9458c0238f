"""Foundation figures: training time, Rasa server cold start (model load) and memory.

Run: .venv/bin/python benchmarks/startup.py [--retrain]
Prints one line per figure; nothing here runs in CI.
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
from runtime.services import action_server, rasa_server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _wait_model_loaded(url: str, token: str, timeout: float = 300) -> None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            with urllib.request.urlopen(f"{url}/status?token={token}", timeout=2) as response:
                if json.loads(response.read()).get("model_id"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError("Rasa server did not load the model")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--retrain", action="store_true", help="force a full training run")
    args = parser.parse_args()
    base = get_settings()
    with tempfile.TemporaryDirectory() as var_dir:
        settings = Settings(
            var_dir=Path(var_dir), spacy_model_path=base.spacy_model_path, model_dir=base.model_dir,
            rasa_port=_free_port(), action_port=_free_port(), rasa_token="bench",
        )
        started = time.monotonic()
        model = training.ensure_trained(settings, force=args.retrain)
        print(f"training (forced={args.retrain}): {time.monotonic() - started:.1f} s")
        files = prepare_runtime(settings)
        actions = processes.start(action_server(settings), settings, settings.var_dir)
        processes.wait_healthy(actions)
        rasa_service = rasa_server(settings, model, files.endpoints, files.credentials)
        rasa = processes.start(rasa_service, settings, settings.var_dir)
        started = time.monotonic()
        try:
            _wait_model_loaded(settings.rasa_url, settings.rasa_token)
            print(f"rasa server cold start until model loaded: {time.monotonic() - started:.1f} s")
            print(f"rasa server RSS: {_rss_mib(rasa.process.pid):.0f} MiB")
            print(f"action server RSS: {_rss_mib(actions.process.pid):.0f} MiB")
        finally:
            processes.stop_all([actions, rasa])


if __name__ == "__main__":
    main()
