"""The local processes that make up the system in the default (embedded) run.

`make run` starts them through `runtime.devserver`; the tests start the same
definitions once per session, so both use one description of how each service starts.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from quartierslotse.settings import PROJECT_ROOT, Settings
from security import hardening


@dataclass(frozen=True)
class Service:
    """One local process; `env` is added to the environment derived from the settings."""

    name: str
    command: list[str]
    health_url: str
    public_url: str
    env: dict[str, str] = field(default_factory=dict)


def _python_tool(module: str) -> list[str]:
    return [sys.executable, "-m", module]


def action_server(settings: Settings) -> Service:
    port = settings.action_port
    return Service(
        name="Action-Server",
        # security: token check, loopback only, redacted logs (security/action_server.py)
        command=hardening.action_server_command(sys.executable, settings),
        health_url=f"http://127.0.0.1:{port}/health",
        public_url=f"http://127.0.0.1:{port}",
    )


def rasa_server(
    settings: Settings, model: Path, endpoints: Path, credentials: Path | None = None
) -> Service:
    port = settings.rasa_port
    command = [
        *hardening.rasa_command(sys.executable), "run",  # security: token not in `ps`
        "--model", str(model),
        "--endpoints", str(endpoints),
        "--credentials", str(credentials or PROJECT_ROOT / "bot" / "credentials.yml"),
        "--port", str(port),
        # security: API only with token, CORS only for city origins, bind interface,
        # redacted logs (security/hardening.py)
        *hardening.rasa_server_args(settings),
    ]
    return Service(
        name="Rasa-Server",
        command=command,
        health_url=f"http://127.0.0.1:{port}/",
        public_url=f"http://127.0.0.1:{port}",
    )


def console_server(settings: Settings) -> Service:
    """The advisor console (advisor/). In the local default run (var/ in the project) a demo
    advisor gets a fresh generated password on every start; it is shown with the URL."""
    port = settings.console_port
    public_url = settings.console_url
    demo_name = settings.console_demo_advisor or (
        "demo" if settings.var_dir.resolve() == (PROJECT_ROOT / "var").resolve() else "")
    if demo_name:
        from dataclasses import replace

        from advisor.demo import ensure_demo_advisor

        password = ensure_demo_advisor(replace(settings, console_demo_advisor=demo_name))
        public_url += (f"  (Demo-Anmeldung: {demo_name} / {password}, "
                       f"Kommune {settings.console_demo_municipality})")
    return Service(
        name="Beratungskonsole",
        command=[*_python_tool("advisor")],
        health_url=f"http://127.0.0.1:{port}/health",
        public_url=public_url,
        env={"QL_CONSOLE_PORT": str(port)},
    )


def web_server(settings: Settings) -> Service:
    """The demo city page with the chat widget (web/, `python -m web.server`)."""
    port = settings.web_port
    return Service(
        name="Demo-Seite",
        command=[*_python_tool("web.server"), "--port", str(port)],
        health_url=f"http://127.0.0.1:{port}/health",
        public_url=f"http://127.0.0.1:{port}/",
    )


@dataclass(frozen=True)
class RasaFiles:
    """The endpoints and credentials files rendered for one Rasa server."""

    endpoints: Path
    credentials: Path


def default_services(settings: Settings, model: Path, files: RasaFiles) -> list[Service]:
    return [action_server(settings),
            rasa_server(settings, model, files.endpoints, files.credentials),
            console_server(settings), web_server(settings)]


def child_environment(settings: Settings, extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    env.update(settings.as_env())
    env.update(hardening.process_env())  # security: no Rasa telemetry to third parties
    env.update(extra)
    return env
