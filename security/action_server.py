"""The action server, hardened: `python -m security.action_server --actions actions --port N`.

Same as `python -m rasa_sdk`, plus:
* listens on `QL_ACTION_INTERFACE` (127.0.0.1 by default) instead of 0.0.0.0;
* no CORS (no browser ever calls it);
* when `QL_ACTION_TOKEN` (or `QL_RASA_TOKEN`, see `hardening.action_token`) is set, /webhook
  and /actions need the header
  `X-Quartierslotse-Action-Token` (Rasa sends it, see `security.hardening.action_endpoint_auth`);
  /health stays open for health checks;
* personal data is redacted from its logs.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from sanic import response

from security.hardening import ACTION_TOKEN_HEADER, action_token

logger = logging.getLogger(__name__)


def protect(app: Any, token: str) -> None:
    """Refuse every request except /health that does not carry the action token."""
    if not token:
        return

    async def require_token(request: Any) -> Any:
        if request.path == "/health":
            return None
        given = request.headers.get(ACTION_TOKEN_HEADER, "")
        if not hmac.compare_digest(given.encode(), token.encode()):
            return response.json({"error": "unauthorized"}, status=401)
        return None

    app.register_middleware(require_token, "request")


def create_app(actions: str, token: str) -> Any:
    from rasa_sdk.endpoint import create_app as sdk_create_app

    app = sdk_create_app(actions, cors_origins=None)
    protect(app, token)
    return app


def main() -> None:
    from rasa_sdk import utils
    from rasa_sdk.endpoint import create_argument_parser

    from privacy.logging import install
    from quartierslotse.settings import get_settings

    args = create_argument_parser().parse_args()
    utils.configure_colored_logging(args.loglevel)
    utils.update_sanic_log_level()
    install()
    settings = get_settings()
    token = action_token(settings)
    app = create_app(args.actions, token)
    host = settings.action_interface or "127.0.0.1"
    logger.info("Action server listening on %s port %s (token %s)", host, args.port,
                "required" if token else "NOT required")
    app.run(host, args.port, workers=utils.number_of_sanic_workers(), access_log=False)


if __name__ == "__main__":
    main()
