"""Supervision of `make run` (runtime/processes.py Supervisor, runtime/devserver.py).

The first tests supervise two small real HTTP servers (no model needed): a killed one is
restarted with a back-off and a log line, a hung one (SIGSTOP) is restarted, the other keeps
its process. The last ones run the real `python -m runtime.devserver` with all four
services on free ports: the console is killed and must answer again within 15 s while
Rasa, the action server and the demo page keep their PIDs; a stopped (hung) demo page is
replaced; SIGTERM stops every service.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from quartierslotse.settings import PROJECT_ROOT, Settings, get_settings
from runtime import processes
from runtime.services import Service
from security import hardening
from tests.conftest import free_port


def wait_for(condition: Callable[[], object], timeout: float, step: float = 0.2) -> float:
    """Seconds until `condition()` is true; fails the test after `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(step)
    raise AssertionError(f"condition not met within {timeout:.0f} s")


def http_service(name: str) -> Service:
    port = free_port()
    return Service(
        name=name,
        command=[sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        health_url=f"http://127.0.0.1:{port}/",
        public_url=f"http://127.0.0.1:{port}/",
    )


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[processes.Supervisor]:
    settings = Settings(var_dir=tmp_path)
    running = processes.start_all([http_service("Erster"), http_service("Zweiter")], settings,
                                  tmp_path / "logs", timeout=30)
    supervisor = processes.Supervisor(running, tmp_path / "logs", hang_seconds=2,
                                      backoff_base=0.5, backoff_max=2)
    try:
        yield supervisor
    finally:
        supervisor.stop()


def supervise_until(supervisor: processes.Supervisor, condition: Callable[[], bool],
                    timeout: float) -> float:
    def step() -> bool:
        supervisor.check()
        return condition()

    return wait_for(step, timeout, step=0.3)


def test_killed_service_is_restarted_and_the_other_keeps_running(
    two_servers: processes.Supervisor, caplog: pytest.LogCaptureFixture
) -> None:
    first, second = two_servers.running
    os.killpg(first.process.pid, signal.SIGKILL)
    with caplog.at_level(logging.WARNING, logger="runtime.processes"):
        supervise_until(two_servers, lambda: two_servers.running[0].process.pid
                        != first.process.pid and processes.is_healthy(first.service.health_url),
                        timeout=20)
    assert two_servers.running[1] is second and second.process.poll() is None
    messages = [record.getMessage() for record in caplog.records]
    assert any(m.startswith("Erster wurde unerwartet beendet (Exit-Code -9). Neustart in 0.5 s")
               for m in messages), messages
    assert any(m.startswith("Erster neu gestartet (PID") for m in messages), messages


def test_a_restarted_service_gets_its_own_configuration_again(tmp_path: Path) -> None:
    """The cluster starts each replica with its own settings (ports, stores): a restart must
    not fall back to one shared configuration."""
    def var_dir_of(running: processes.RunningService) -> str:
        environ = Path(f"/proc/{running.process.pid}/environ").read_bytes().split(b"\0")
        return next(item.decode().partition("=")[2] for item in environ
                    if item.startswith(b"QL_VAR_DIR="))

    own = [Settings(var_dir=tmp_path / name) for name in ("eins", "zwei")]
    running = [processes.start(http_service(name), settings, tmp_path / "logs")
               for name, settings in zip(("Replik-1", "Replik-2"), own, strict=True)]
    supervisor = processes.Supervisor(running, tmp_path / "logs", backoff_base=0.2)
    try:
        for item in running:
            processes.wait_healthy(item, 30)
        os.killpg(running[1].process.pid, signal.SIGKILL)
        supervise_until(supervisor, lambda: supervisor.running[1].process.pid
                        != running[1].process.pid
                        and processes.is_healthy(running[1].service.health_url), timeout=20)
        assert var_dir_of(supervisor.running[1]) == str(tmp_path / "zwei")
        assert supervisor.running[0] is running[0]
    finally:
        supervisor.stop()


def test_hung_service_is_stopped_and_restarted(
    two_servers: processes.Supervisor, caplog: pytest.LogCaptureFixture
) -> None:
    first, second = two_servers.running
    os.kill(second.process.pid, signal.SIGSTOP)
    with caplog.at_level(logging.WARNING, logger="runtime.processes"):
        supervise_until(two_servers, lambda: two_servers.running[1].process.pid
                        != second.process.pid and processes.is_healthy(second.service.health_url),
                        timeout=30)
    assert second.process.poll() is not None  # the hung process itself is gone
    assert two_servers.running[0] is first and first.process.poll() is None
    assert any("Zweiter antwortet seit" in r.getMessage() and "(hängt)" in r.getMessage()
               for r in caplog.records)


def test_back_off_doubles_up_to_the_maximum_and_resets_after_a_stable_run(tmp_path: Path) -> None:
    clock = [1000.0]
    crashing = Service("Absturz", [sys.executable, "-c", "raise SystemExit(3)"],
                       "http://127.0.0.1:9/", "")
    settings = Settings(var_dir=tmp_path)
    first = processes.start(crashing, settings, tmp_path)
    first.process.wait(timeout=30)
    supervisor = processes.Supervisor([first], tmp_path, backoff_base=1,
                                      backoff_max=8, stable_seconds=60, clock=lambda: clock[0])
    delays = []
    for _ in range(5):
        supervisor.check()  # notices the exit, schedules the restart
        watch = supervisor.watches[0]
        assert watch.restart_at is not None
        delays.append(watch.restart_at - clock[0])
        clock[0] = watch.restart_at
        supervisor.check()  # restarts
        watch.running.process.wait(timeout=30)
    assert delays == [1, 2, 4, 8, 8]


# --------------------------------------------------------------------------- real `make run`


@dataclass
class Supervised:
    process: subprocess.Popen[bytes]
    settings: Settings
    output: Path

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def services(self) -> dict[str, int]:
        """Name -> PID of the supervisor's service processes, read from /proc."""
        found = {}
        for pid, cmdline in _children(self.process.pid).items():
            found[_service_name(cmdline)] = pid
        return found


def _children(parent: int) -> dict[int, str]:
    children = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == parent and fields[0] != "Z":
                children[int(entry.name)] = (entry / "cmdline").read_text().replace("\0", " ")
    return children


SERVICE_MODULES = {  # the module each service runs (runtime/services.py)
    hardening.rasa_command("python")[-1]: "Rasa-Server",
    hardening.action_server_command("python", get_settings())[2]: "Action-Server",
    "advisor": "Beratungskonsole",
    "web.server": "Demo-Seite",
}


def _service_name(cmdline: str) -> str:
    """The supervisor's name of a process, from the module after `-m`."""
    words = cmdline.split()
    module = words[words.index("-m") + 1] if "-m" in words[:-1] else ""
    return SERVICE_MODULES.get(module, cmdline)


@pytest.fixture(scope="module")
def supervised(
    tmp_path_factory: pytest.TempPathFactory, trained_model: Path
) -> Iterator[Supervised]:
    base = get_settings()
    var_dir = tmp_path_factory.mktemp("supervised")
    settings = Settings(var_dir=var_dir, rasa_port=free_port(), action_port=free_port(),
                        console_port=free_port(), web_port=free_port(),
                        model_dir=base.model_dir, spacy_model_path=base.spacy_model_path)
    env = {**os.environ, "QL_VAR_DIR": str(var_dir), "QL_MODEL_DIR": str(base.model_dir),
           "QL_SPACY_MODEL": str(base.spacy_model_path), "QL_RASA_PORT": str(settings.rasa_port),
           "QL_ACTION_PORT": str(settings.action_port), "QL_WEB_PORT": str(settings.web_port),
           "QL_CONSOLE_PORT": str(settings.console_port), "QL_SUPERVISOR_HANG_SECONDS": "6",
           "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(PROJECT_ROOT)}
    output = var_dir / "make-run.out"
    with output.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "runtime.devserver"],
                                   cwd=PROJECT_ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    run = Supervised(process, settings, output)
    seen: set[int] = set()
    try:
        # up to 25 min: `make run` retrains first when bot/ or data/ changed meanwhile
        wait_for(lambda: "Alle Dienste laufen" in run.text() or process.poll() is not None,
                 1500, 1)
        assert process.poll() is None, run.text()[-3000:]
        yield run
    finally:
        seen.update(_children(process.pid))
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=60)
        for pid in seen:  # only the service processes this test started
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)


def test_killed_console_is_back_within_15_seconds_and_nothing_else_restarts(
    supervised: Supervised,
) -> None:
    before = supervised.services()
    assert set(before) == {"Rasa-Server", "Action-Server", "Beratungskonsole", "Demo-Seite"}
    console_health = f"{supervised.settings.console_url}/health"
    assert processes.is_healthy(console_health)

    os.killpg(before["Beratungskonsole"], signal.SIGKILL)
    wait_for(lambda: not processes.is_healthy(console_health, timeout=0.5), 5)
    back_after = wait_for(lambda: processes.is_healthy(console_health, timeout=1), 15, 0.25)

    after = supervised.services()
    assert after["Beratungskonsole"] != before["Beratungskonsole"]
    for name in ("Rasa-Server", "Action-Server", "Demo-Seite"):
        assert after[name] == before[name], name
    assert processes.is_healthy(f"{supervised.settings.rasa_url}/")
    assert "Beratungskonsole wurde unerwartet beendet" in supervised.text()
    print(f"console back after {back_after:.1f} s")


def test_hung_demo_page_is_replaced_while_the_others_keep_running(supervised: Supervised) -> None:
    before = supervised.services()
    web_health = f"http://127.0.0.1:{supervised.settings.web_port}/health"
    os.kill(before["Demo-Seite"], signal.SIGSTOP)
    # hang_seconds 6, then SIGTERM (+SIGCONT), back-off 1 s, start
    wait_for(lambda: supervised.services().get("Demo-Seite") not in (None, before["Demo-Seite"])
             and processes.is_healthy(web_health, timeout=1), 40, 0.5)
    after = supervised.services()
    for name in ("Rasa-Server", "Action-Server", "Beratungskonsole"):
        assert after[name] == before[name], name
    assert "Demo-Seite antwortet seit" in supervised.text()


def test_sigterm_stops_every_service(supervised: Supervised) -> None:
    pids = list(supervised.services().values())
    supervised.process.send_signal(signal.SIGTERM)
    assert supervised.process.wait(timeout=60) == 0
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()
    assert "Beende alle Dienste" in supervised.text()
