"""Starting, health-checking and stopping local service processes."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from quartierslotse.services import Service, child_environment
from quartierslotse.settings import PROJECT_ROOT, Settings


class ServiceFailed(RuntimeError):
    pass


@dataclass
class RunningService:
    service: Service
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start(service: Service, settings: Settings, log_dir: Path) -> RunningService:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{service.name.lower()}.log"
    log_file = log_path.open("ab")
    process = subprocess.Popen(
        service.command,
        cwd=PROJECT_ROOT,
        env=child_environment(settings, service.env),
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return RunningService(service, process, log_path)


def is_healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= response.status < 500
    except urllib.error.HTTPError as error:
        return error.code < 500
    except (urllib.error.URLError, OSError):
        return False


def wait_healthy(running: RunningService, timeout: float = 180.0) -> float:
    """Wait until the service answers its health URL; return the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if running.process.poll() is not None:
            raise ServiceFailed(
                f"{running.service.name} exited with code {running.process.returncode}:\n"
                f"{running.log_tail()}"
            )
        if is_healthy(running.service.health_url):
            return time.monotonic() - started
        time.sleep(0.25)
    raise ServiceFailed(f"{running.service.name} not healthy after {timeout:.0f}s:\n{running.log_tail()}")


def stop(running: RunningService, grace: float = 10.0) -> None:
    if running.process.poll() is not None:
        return
    try:
        os.killpg(running.process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        running.process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(running.process.pid, signal.SIGKILL)
        running.process.wait()


def start_all(
    services: list[Service], settings: Settings, log_dir: Path, timeout: float = 240.0
) -> list[RunningService]:
    started: list[RunningService] = []
    try:
        for service in services:
            started.append(start(service, settings, log_dir))
        for running in started:
            wait_healthy(running, timeout)
    except BaseException:
        stop_all(started)
        raise
    return started


def stop_all(running: list[RunningService]) -> None:
    for item in reversed(running):
        stop(item)
