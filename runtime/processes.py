"""Starting, health-checking, supervising and stopping local service processes."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from quartierslotse.settings import PROJECT_ROOT, Settings
from runtime.services import Service, child_environment

logger = logging.getLogger(__name__)


class ServiceFailed(RuntimeError):
    pass


@dataclass
class RunningService:
    service: Service
    process: subprocess.Popen[bytes]
    log_path: Path
    settings: Settings  # the configuration it was started with (a restart uses it again)

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
    return RunningService(service, process, log_path, settings)


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
    raise ServiceFailed(
        f"{running.service.name} not healthy after {timeout:.0f}s:\n{running.log_tail()}")


def stop(running: RunningService, grace: float = 10.0) -> None:
    if running.process.poll() is not None:
        return
    try:
        os.killpg(running.process.pid, signal.SIGTERM)
        os.killpg(running.process.pid, signal.SIGCONT)  # a stopped (hung) process must see it
    except ProcessLookupError:
        return
    try:
        running.process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(running.process.pid, signal.SIGKILL)
        running.process.wait()


def start_all(
    services: list[Service], settings: Settings, log_dir: Path, timeout: float = 600.0
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


@dataclass
class _Watch:
    """The supervisor's view of one service between two checks."""

    running: RunningService
    started_at: float
    last_healthy: float | None = None  # None: not healthy yet since the (re)start
    stable_since: float = 0.0  # when it last became healthy after a (re)start
    failures: int = 0  # restarts without a stable run in between (drives the back-off)
    restart_at: float | None = None  # set while the service is down and waiting for its restart

    @property
    def name(self) -> str:
        return self.running.service.name


class Supervisor:
    """Keeps services running like a service manager (`make run`).

    A service whose process exits, that answers its health URL for `hang_seconds` no more
    (hung), or that does not become healthy within `start_timeout` after a (re)start is
    stopped and started again after an exponential back-off (`backoff_base` · 2^n seconds,
    at most `backoff_max`); a service that stayed healthy for `stable_seconds` starts again
    from the shortest back-off. The other services keep running throughout. Each step is
    logged in German for operators.
    """

    def __init__(
        self,
        running: list[RunningService],
        log_dir: Path,
        *,
        hang_seconds: float = 30.0,
        start_timeout: float = 240.0,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        stable_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log_dir = log_dir
        self.hang_seconds = hang_seconds
        self.start_timeout = start_timeout
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.stable_seconds = stable_seconds
        self.clock = clock
        now = clock()
        self.watches = [_Watch(item, started_at=now, last_healthy=now, stable_since=now)
                        for item in running]

    @property
    def running(self) -> list[RunningService]:
        return [watch.running for watch in self.watches]

    def backoff(self, failures: int) -> float:
        return float(min(self.backoff_base * 2 ** max(failures - 1, 0), self.backoff_max))

    def check(self) -> None:
        """One supervision pass over all services (call about once a second)."""
        for watch in self.watches:
            self._check(watch, self.clock())

    def stop(self) -> None:
        stop_all(self.running)

    def _check(self, watch: _Watch, now: float) -> None:
        if watch.restart_at is not None:
            if now >= watch.restart_at:
                self._restart(watch, now)
            return
        code = watch.running.process.poll()
        if code is not None:
            self._schedule(watch, now, f"wurde unerwartet beendet (Exit-Code {code})")
            return
        health_timeout = max(0.5, min(2.0, self.hang_seconds / 3))
        if is_healthy(watch.running.service.health_url, timeout=health_timeout):
            self._healthy(watch, now)
        elif watch.last_healthy is None and now - watch.started_at > self.start_timeout:
            self._kill_and_schedule(
                watch, now, f"ist {self.start_timeout:.0f} s nach dem Start nicht bereit")
        elif watch.last_healthy is not None and now - watch.last_healthy > self.hang_seconds:
            self._kill_and_schedule(
                watch, now, f"antwortet seit {now - watch.last_healthy:.0f} s nicht (hängt)")

    def _healthy(self, watch: _Watch, now: float) -> None:
        if watch.last_healthy is None:
            logger.warning("%s läuft wieder (PID %s, bereit nach %.0f s).",
                           watch.name, watch.running.process.pid, now - watch.started_at)
            watch.stable_since = now
        watch.last_healthy = now
        if watch.failures and now - watch.stable_since >= self.stable_seconds:
            watch.failures = 0

    def _kill_and_schedule(self, watch: _Watch, now: float, reason: str) -> None:
        stop(watch.running, grace=5.0)
        self._schedule(watch, now, reason)

    def _schedule(self, watch: _Watch, now: float, reason: str) -> None:
        watch.failures += 1
        delay = self.backoff(watch.failures)
        watch.restart_at = now + delay
        logger.warning("%s %s. Neustart in %g s (%d. Versuch). Log: %s\n%s",
                       watch.name, reason, delay, watch.failures, watch.running.log_path,
                       watch.running.log_tail(10))

    def _restart(self, watch: _Watch, now: float) -> None:
        try:
            watch.running = start(watch.running.service, watch.running.settings, self.log_dir)
        except OSError as error:
            self._schedule(watch, now, f"konnte nicht gestartet werden ({error})")
            return
        watch.restart_at = None
        watch.started_at = now
        watch.last_healthy = None
        logger.warning("%s neu gestartet (PID %s).", watch.name, watch.running.process.pid)


def supervise(supervisor: Supervisor) -> None:
    """Restart services that die or hang until Ctrl-C or SIGTERM; then stop all of them
    (`make run` and `make run-cluster`)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    stopping: list[int] = []

    def request_stop(signum: int, _: FrameType | None) -> None:
        stopping.append(signum)

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    while not stopping:
        supervisor.check()
        time.sleep(1)
    print("\nBeende alle Dienste …", flush=True)
    supervisor.stop()
