"""Security headers/CSP helpers, locally generated secrets, hardened start arguments."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sanic import Sanic, response

from quartierslotse.settings import Settings
from security.hardening import InsecureConfiguration, action_endpoint_auth, rasa_server_args
from security.headers import allowed_origins, console_csp, install_security_headers, widget_csp
from security.secrets import LOCAL_SECRETS, load_local_secrets


def test_csp_has_no_unsafe_sources_and_no_third_parties() -> None:
    for csp in (console_csp(), widget_csp(["http://127.0.0.1:5005"])):
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "*" not in csp
        assert "default-src 'none'" in csp and "object-src 'none'" in csp
    assert "connect-src 'self' http://127.0.0.1:5005" in widget_csp(["http://127.0.0.1:5005/webhooks"])
    assert "frame-ancestors 'none'" in console_csp()


async def test_sanic_app_sends_security_headers() -> None:
    app = Sanic(f"headers_test_{id(object())}")
    install_security_headers(app, console_csp(), no_store=True)
    (middleware,) = list(app.response_middleware)
    resp = response.html("<p>hi</p>", headers={"X-Frame-Options": "SAMEORIGIN"})
    await middleware(None, resp)
    assert resp.headers["content-security-policy"] == console_csp()
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["x-frame-options"] == "SAMEORIGIN"  # a route's own value wins
    assert resp.headers["referrer-policy"] == "no-referrer"
    assert resp.headers["cache-control"] == "no-store"


def test_allowed_origins_default_to_the_local_demo_page_never_wildcard() -> None:
    assert allowed_origins(Settings()) == ["http://127.0.0.1:8080", "http://localhost:8080"]
    configured = Settings(allowed_origins="https://www.dortmund.de, https://www.bochum.de/")
    assert allowed_origins(configured) == ["https://www.dortmund.de", "https://www.bochum.de"]


def test_rasa_refuses_to_start_without_api_token(tmp_path: Path) -> None:
    with pytest.raises(InsecureConfiguration):
        rasa_server_args(Settings(var_dir=tmp_path))


def test_rasa_arguments_lock_down_the_api(tmp_path: Path) -> None:
    args = rasa_server_args(Settings(var_dir=tmp_path, rasa_token="t0k",
                                     allowed_origins="https://www.dortmund.de"))
    assert "t0k" not in args  # added inside the process by security.rasa_run, not in `ps`
    cors = args[args.index("--cors") + 1]
    assert cors == "https://www.dortmund.de" and "*" not in args
    assert args[args.index("--interface") + 1] == "127.0.0.1"
    assert Path(args[args.index("--logging-config-file") + 1]).exists()


def test_action_endpoint_carries_token_header() -> None:
    assert action_endpoint_auth(Settings()) == {}
    assert action_endpoint_auth(Settings(action_token="s3")) == {
        "headers": {"X-Quartierslotse-Action-Token": "s3"}}
    # only the API token set: a derived action token, never an open action server
    derived = action_endpoint_auth(Settings(rasa_token="t0k"))["headers"][
        "X-Quartierslotse-Action-Token"]
    assert len(derived) == 64 and "t0k" not in derived
    assert derived != action_endpoint_auth(Settings(rasa_token="other"))["headers"][
        "X-Quartierslotse-Action-Token"]


def test_local_secrets_are_generated_once_private_and_do_not_override_env(tmp_path: Path) -> None:
    env: dict[str, str] = {"QL_RASA_TOKEN": "from-operator"}
    added = load_local_secrets(tmp_path, env)
    assert "QL_RASA_TOKEN" not in added and env["QL_RASA_TOKEN"] == "from-operator"
    assert set(LOCAL_SECRETS) - {"QL_RASA_TOKEN"} <= set(added)
    path = tmp_path / "secrets.env"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert all(len(env[name]) >= 40 for name in added)
    again: dict[str, str] = {}
    load_local_secrets(tmp_path, again)
    assert {k: again[k] for k in added} == added  # stable across runs
    other: dict[str, str] = {}
    load_local_secrets(tmp_path / "elsewhere", other)
    assert other["QL_ACTION_TOKEN"] != again["QL_ACTION_TOKEN"]  # random, not a constant


def test_secrets_file_is_git_ignored() -> None:
    import subprocess

    from quartierslotse.settings import PROJECT_ROOT

    result = subprocess.run(["git", "check-ignore", "-q", "var/secrets.env"], cwd=PROJECT_ROOT)
    assert result.returncode == 0


def test_rasa_telemetry_is_switched_off_for_all_started_processes(tmp_path: Path) -> None:
    """Rasa Open Source reports usage to Segment/Sentry unless told otherwise: a request to a
    third party from a city's server. Every process the project starts gets it switched off."""
    from runtime.services import child_environment

    env = child_environment(Settings(var_dir=tmp_path), {})
    assert env["RASA_TELEMETRY_ENABLED"] == "false"


def test_the_started_services_are_locked_down(tmp_path: Path) -> None:
    from runtime.rasa_endpoints import render_endpoints
    from runtime.services import action_server, rasa_server

    settings = Settings(var_dir=tmp_path, rasa_token="t0k")
    rasa = rasa_server(settings, tmp_path / "model.tar.gz", tmp_path / "endpoints.yml").command
    assert rasa[1:3] == ["-m", "security.rasa_run"] and "t0k" not in rasa
    assert "*" not in rasa and "--logging-config-file" in rasa
    assert rasa[rasa.index("--interface") + 1] == "127.0.0.1"
    assert action_server(settings).command[1:3] == ["-m", "security.action_server"]
    headers = render_endpoints(settings)["action_endpoint"]["headers"]
    assert headers["X-Quartierslotse-Action-Token"] == action_endpoint_auth(settings)["headers"][
        "X-Quartierslotse-Action-Token"]
    with pytest.raises(InsecureConfiguration):
        rasa_server(Settings(var_dir=tmp_path), tmp_path / "m", tmp_path / "e")


def test_rasa_gets_the_token_inside_the_process(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from quartierslotse.settings import get_settings
    from security import rasa_run

    monkeypatch.setenv("QL_RASA_TOKEN", "aus-der-umgebung")
    get_settings.cache_clear()
    try:
        assert rasa_run.rasa_argv(["run", "--port", "1"], rasa_run.token_from_environment()) == [
            "rasa", "run", "--port", "1", "--auth-token", "aus-der-umgebung"]
        secret = tmp_path / "token"
        secret.write_text("aus-der-datei\n")
        monkeypatch.setenv("QL_RASA_TOKEN_FILE", str(secret))
        get_settings.cache_clear()
        assert rasa_run.token_from_environment() == "aus-der-datei"
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_endpoints_and_databases_are_private(tmp_path: Path) -> None:
    from runtime.rasa_endpoints import write_endpoints
    from security.hardening import protect_sqlite_databases

    settings = Settings(var_dir=tmp_path, rasa_token="t0k",
                        database_url=f"sqlite:///{tmp_path / 'app.db'}",
                        tracker_store_url=f"sqlite:///{tmp_path / 'tracker.db'}")
    endpoints = write_endpoints(settings, tmp_path / "endpoints.yml")
    databases = protect_sqlite_databases(settings)
    assert {p.name for p in databases} == {"app.db", "tracker.db"}
    for path in (endpoints, *databases):
        assert path.stat().st_mode & 0o777 == 0o600, path
