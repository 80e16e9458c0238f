"""How Rasa and the action server are started securely (one place for services.py, docker).

* Rasa: HTTP API only with the token (`--auth-token`), CORS only for the configured city
  origins, bound to `QL_RASA_INTERFACE` (loopback by default), logs redacted.
* action server: bound to `QL_ACTION_INTERFACE` (loopback by default), CORS off, and – when
  `QL_ACTION_TOKEN` is set – only requests carrying that token (Rasa sends it as a header
  configured in endpoints.yml) are executed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path
from typing import Any

from security.headers import allowed_origins

ACTION_TOKEN_HEADER = "X-Quartierslotse-Action-Token"


class InsecureConfiguration(RuntimeError):
    pass


def process_env() -> dict[str, str]:
    """Environment for every Rasa process (run and train): no telemetry or error reports to
    Rasa's third-party services (Segment, Sentry) – the default of Rasa Open Source is on."""
    return {"RASA_TELEMETRY_ENABLED": "false"}


PRIVATE_MODE = 0o600


def make_private(path: Path) -> Path:
    """Create `path` if needed and make it readable by its owner only (tokens, databases)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_MODE))
    os.chmod(path, PRIVATE_MODE)
    return path


def protect_sqlite_databases(settings: Any) -> list[Path]:
    """The SQLite files of the settings, created 0600 before any process opens them (SQLite
    keeps the mode and gives its journal files the same one)."""
    from sqlalchemy.engine import make_url

    protected = []
    for name in ("database_url", "tracker_store_url", "insight_database_url"):
        url = str(getattr(settings, name, "") or "")
        if url.startswith("sqlite"):
            database = make_url(url).database
            if database and database != ":memory:":
                protected.append(make_private(Path(database)))
    return protected


def rasa_server_args(settings: Any) -> list[str]:
    """Arguments for `rasa run` (in addition to model, endpoints, credentials, port)."""
    if not settings.rasa_token:
        raise InsecureConfiguration(
            "QL_RASA_TOKEN ist nicht gesetzt: Rasas HTTP-API würde ohne Anmeldung laufen. "
            "`make run` erzeugt lokal ein Token; in Produktion muss es gesetzt werden."
        )
    from privacy.logging import write_rasa_logging_config

    logging_config = write_rasa_logging_config(settings.var_dir / "rasa-logging.yml")
    protect_sqlite_databases(settings)
    return [
        # the token is not among them: security.rasa_run adds it inside the process, from
        # QL_RASA_TOKEN, so it is not visible in `ps` (see rasa_command)
        "--enable-api",
        "--cors", *allowed_origins(settings),
        "--interface", getattr(settings, "rasa_interface", "127.0.0.1") or "127.0.0.1",
        "--logging-config-file", str(logging_config),
    ]


def rasa_command(python: str) -> list[str]:
    """How Rasa is started: Rasa's entry point through security.rasa_run (token from the
    environment, never on the command line)."""
    return [python, "-m", "security.rasa_run"]


def action_server_command(python: str, settings: Any) -> list[str]:
    """The action server through `security.action_server` (token check, log redaction)."""
    return [python, "-m", "security.action_server", "--actions", "actions",
            "--port", str(settings.action_port)]


def action_token(settings: Any) -> str:
    """`QL_ACTION_TOKEN`, or – when only `QL_RASA_TOKEN` is set – a key derived from it, so the
    action server is never open while the API is protected."""
    explicit = getattr(settings, "action_token", "")
    if explicit:
        return explicit
    rasa_token = getattr(settings, "rasa_token", "")
    if not rasa_token:
        return ""
    return hmac.new(
        rasa_token.encode(), b"quartierslotse action server", hashlib.sha256
    ).hexdigest()


def action_endpoint_auth(settings: Any) -> dict[str, Any]:
    """Extra keys for endpoints.yml `action_endpoint` so Rasa authenticates itself."""
    token = action_token(settings)
    return {"headers": {ACTION_TOKEN_HEADER: token}} if token else {}
