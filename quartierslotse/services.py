"""The local processes that make up the system in the default (embedded) run.

`make run` starts them through `quartierslotse.devserver`; the tests start the same
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
        *_python_tool("rasa"), "run",
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


_console_ports: dict[str, int] = {}


def console_port(settings: Settings) -> int:
    """The console's port. Test stacks (own var dir, port left at its default) get a free port,
    remembered per var dir, so parallel test sessions do not collide."""
    from quartierslotse.settings import ENV_NAMES

    default = Settings.__dataclass_fields__["console_port"].default
    local = settings.var_dir.resolve() == (PROJECT_ROOT / "var").resolve()
    if local or settings.console_port != default or os.environ.get(ENV_NAMES["console_port"]):
        return settings.console_port
    key = str(settings.var_dir)
    if key not in _console_ports:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            _console_ports[key] = int(sock.getsockname()[1])
    return _console_ports[key]


def console_url(settings: Settings) -> str:
    if settings.console_port != console_port(settings):
        return f"http://127.0.0.1:{console_port(settings)}"
    return settings.console_url


def console_server(settings: Settings) -> Service:
    """The advisor console (advisor/). In the local default run (var/ in the project) a demo
    advisor gets a fresh generated password on every start; it is shown with the URL."""
    port = console_port(settings)
    public_url = console_url(settings)
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


_web_ports: dict[str, int] = {}


def web_port(settings: Settings) -> int:
    """The demo page's port. Test stacks (own var dir, port left at its default) get a free
    port, remembered per var dir, so parallel sessions and `make run` do not collide."""
    default = Settings.__dataclass_fields__["web_port"].default
    local = settings.var_dir.resolve() == (PROJECT_ROOT / "var").resolve()
    if local or settings.web_port != default:
        return settings.web_port
    key = str(settings.var_dir)
    if key not in _web_ports:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            _web_ports[key] = int(sock.getsockname()[1])
    return _web_ports[key]


def web_server(settings: Settings) -> Service:
    """The demo city page with the chat widget (web/, `python -m web.server`)."""
    port = web_port(settings)
    return Service(
        name="Demo-Seite",
        command=[*_python_tool("web.server"), "--port", str(port)],
        health_url=f"http://127.0.0.1:{port}/health",
        public_url=f"http://127.0.0.1:{port}/",
    )


def default_services(settings: Settings, model: Path, endpoints: Path) -> list[Service]:
    return [action_server(settings), rasa_server(settings, model, endpoints),
            console_server(settings), web_server(settings)]


def child_environment(settings: Settings, extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    env.update(settings.as_env())
    env.update(hardening.process_env())  # security: no Rasa telemetry to third parties
    env.update(extra)
    return env
