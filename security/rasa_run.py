"""`python -m security.rasa_run run …` = `rasa run …` with the API token from the environment.

Rasa 3.6 reads its API token only from the command line (`--auth-token`), and a command line is
visible to every local user (`ps`, /proc/<pid>/cmdline). This wrapper takes the token from
`QL_RASA_TOKEN` (environment, or a file named by `QL_RASA_TOKEN_FILE`, e.g. a Kubernetes
secret volume) and hands it to Rasa's own entry point inside the process, so it never appears
in the process table. Residual risk (docs/security.md): the environment of a process is
readable by the same user and root (/proc/<pid>/environ).

It also caps the size of a request body (`QL_MAX_REQUEST_BYTES`, Sanic's REQUEST_MAX_SIZE,
which Rasa's Sanic app reads from `SANIC_REQUEST_MAX_SIZE`): Sanic's default of 100 MB would
let one client make the server read and parse a huge body before any channel guard runs.

And it spares Rasa costs it pays on every turn: action server responses are checked with a
validator compiled once (security.action_responses), event types are looked up in a table
(security.event_types), endpoint requests share one kept-alive session and encode JSON with
ujson (security.endpoint_requests); and one at start-up: its TensorFlow models are loaded
without a training step (security.model_loading).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from quartierslotse.settings import get_settings


def token_from_environment() -> str:
    settings = get_settings()
    if settings.rasa_token_file:
        return Path(settings.rasa_token_file).read_text().strip()
    return settings.rasa_token


def rasa_argv(args: list[str], token: str) -> list[str]:
    """Rasa's argv with the token added (never passed through exec, only inside Python)."""
    return ["rasa", *args, *(["--auth-token", token] if token else [])]


def main() -> None:
    token = token_from_environment()
    if not token:
        sys.exit("QL_RASA_TOKEN ist nicht gesetzt: Rasas HTTP-API würde ohne Anmeldung laufen.")
    sys.argv = rasa_argv(sys.argv[1:], token)
    os.environ["SANIC_REQUEST_MAX_SIZE"] = str(get_settings().max_request_bytes)
    from rasa.__main__ import main as rasa_main

    from security import action_responses, endpoint_requests, event_types, model_loading

    action_responses.install()
    event_types.install()
    endpoint_requests.install()
    model_loading.install()
    rasa_main()


if __name__ == "__main__":
    main()
