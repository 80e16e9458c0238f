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
from typing import Any

from security.headers import allowed_origins

ACTION_TOKEN_HEADER = "X-Quartierslotse-Action-Token"


class InsecureConfiguration(RuntimeError):
    pass


def process_env() -> dict[str, str]:
    """Environment for every Rasa process (run and train): no telemetry or error reports to
    Rasa's third-party services (Segment, Sentry) – the default of Rasa Open Source is on."""
    return {"RASA_TELEMETRY_ENABLED": "false"}


def rasa_server_args(settings: Any) -> list[str]:
    """Arguments for `rasa run` (in addition to model, endpoints, credentials, port)."""
    if not settings.rasa_token:
        raise InsecureConfiguration(
            "QL_RASA_TOKEN ist nicht gesetzt: Rasas HTTP-API würde ohne Anmeldung laufen. "
            "`make run` erzeugt lokal ein Token; in Produktion muss es gesetzt werden."
        )
    from privacy.logging import write_rasa_logging_config

    logging_config = write_rasa_logging_config(settings.var_dir / "rasa-logging.yml")
    return [
        "--enable-api",
        "--auth-token", settings.rasa_token,
        "--cors", *allowed_origins(settings),
        "--interface", getattr(settings, "rasa_interface", "127.0.0.1") or "127.0.0.1",
        "--logging-config-file", str(logging_config),
    ]


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
    return hmac.new(rasa_token.encode(), b"quartierslotse action server", hashlib.sha256).hexdigest()


def action_endpoint_auth(settings: Any) -> dict[str, Any]:
    """Extra keys for endpoints.yml `action_endpoint` so Rasa authenticates itself."""
    token = action_token(settings)
    return {"headers": {ACTION_TOKEN_HEADER: token}} if token else {}
