"""Renders Rasa's endpoints.yml from the settings, so Rasa is configured in the same place
as everything else (environment variables)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml
from sqlalchemy.engine import make_url

from quartierslotse.settings import Settings
from security.hardening import action_endpoint_auth


def tracker_store_config(url: str) -> dict[str, Any]:
    parsed = make_url(url)
    dialect = parsed.get_backend_name()
    if dialect == "sqlite":
        return {"type": "SQL", "dialect": "sqlite", "db": parsed.database}
    config: dict[str, Any] = {
        "type": "SQL",
        "dialect": parsed.drivername,
        "url": parsed.host or "localhost",
        "db": parsed.database,
    }
    if parsed.port:
        config["port"] = parsed.port
    if parsed.username:
        config["username"] = parsed.username
    if parsed.password:
        config["password"] = parsed.password
    return config


def lock_store_config(redis_url: str) -> dict[str, Any] | None:
    if not redis_url:
        return None
    parts = urlsplit(redis_url)
    config: dict[str, Any] = {
        "type": "redis",
        "url": parts.hostname or "localhost",
        "port": parts.port or 6379,
        "db": int(parts.path.lstrip("/") or 0),
        "key_prefix": "quartierslotse",
    }
    if parts.password:
        config["password"] = parts.password
    return config


def event_broker_config(broker_url: str) -> dict[str, Any] | None:
    if not broker_url:
        return None
    parts = urlsplit(broker_url)
    if parts.scheme in ("amqp", "amqps"):
        return {
            "type": "pika",
            "url": parts.hostname or "localhost",
            "port": parts.port or 5672,
            "username": parts.username or "guest",
            "password": parts.password or "guest",
            # "?queue=name" selects another queue (tests use their own)
            "queues": [parse_qs(parts.query).get("queue", ["quartierslotse_events"])[0]],
        }
    store = tracker_store_config(broker_url)
    return {"type": "SQL", **{key: value for key, value in store.items() if key != "type"}}


def render_endpoints(settings: Settings, resilient: bool = False) -> dict[str, Any]:
    endpoints: dict[str, Any] = {
        # security: Rasa authenticates itself to the action server (security/hardening.py)
        "action_endpoint": {"url": settings.action_server_url, **action_endpoint_auth(settings)},
        "tracker_store": tracker_store_config(settings.tracker_store_url),
        # the domain's responses, with a safety line before answers to a possible emergency
        "nlg": {"type": "bot.components.safety_line.SafetyLineGenerator"},
    }
    lock_store = lock_store_config(settings.redis_url)
    if lock_store:
        endpoints["lock_store"] = lock_store
    broker = event_broker_config(settings.event_broker_url)
    if broker:
        endpoints["event_broker"] = broker
    if resilient:
        _make_resilient(settings, endpoints)
    return endpoints


def write_endpoints(settings: Settings, path: Path, resilient: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    from security.hardening import make_private  # security: holds the action token

    make_private(path).write_text(yaml.safe_dump(render_endpoints(settings, resilient),
                                                 sort_keys=False, allow_unicode=True))
    return path


# --- resilience (channels/action_guard.py): opt-in, used by the multi-replica topology ---

def _make_resilient(settings: Settings, endpoints: dict[str, Any]) -> None:
    """Route custom actions through the ActionGuard on the same Rasa process, use the
    reconnecting SQL tracker store and the atomic Redis lock store. Needs the credentials
    from `render_credentials`."""
    from channels.action_guard import GUARD_HEADER, GUARD_PATH

    action = dict(endpoints["action_endpoint"])
    action["url"] = f"http://127.0.0.1:{settings.rasa_port}{GUARD_PATH}"
    if settings.rasa_token:
        action["headers"] = {**action.get("headers", {}), GUARD_HEADER: settings.rasa_token}
    endpoints["action_endpoint"] = action
    if endpoints.get("lock_store", {}).get("type") == "redis":
        endpoints["lock_store"]["type"] = "channels.rasa_stores.AtomicRedisLockStore"
    store = endpoints["tracker_store"]
    if store.get("type") == "SQL":
        store["type"] = "channels.rasa_stores.ResilientSQLTrackerStore"


def render_credentials(settings: Settings, resilient: bool = False,
                       base: Path | None = None) -> dict[str, Any]:
    """The project's channels (bot/credentials.yml), Telegram when a token is configured, and
    the ActionGuard channel for the resilient (multi-replica) setup."""
    from quartierslotse.settings import PROJECT_ROOT

    base = base or PROJECT_ROOT / "bot" / "credentials.yml"
    credentials = yaml.safe_load(base.read_text()) or {}
    if settings.telegram_token:
        # all values come from the QL_TELEGRAM_* settings (channels/telegram.py)
        credentials["channels.telegram.TelegramInput"] = {}
    if resilient:
        credentials["channels.action_guard.ActionGuard"] = {
            "upstream": settings.action_server_url,
            "timeout": settings.action_timeout,
        }
    return credentials


def write_credentials(settings: Settings, path: Path, resilient: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(render_credentials(settings, resilient), sort_keys=False,
                                   allow_unicode=True))
    return path
