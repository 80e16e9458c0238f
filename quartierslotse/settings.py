"""All runtime configuration, read from environment variables with local defaults.

Every other module gets its configuration from `get_settings()` (or a `Settings` passed
to it); nothing else reads `os.environ` for project settings. The README lists every
variable. `Settings.as_env()` hands the same configuration to child processes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# attribute name -> environment variable
ENV_NAMES = {
    "var_dir": "QL_VAR_DIR",
    "database_url": "QL_DATABASE_URL",
    "tracker_store_url": "QL_TRACKER_STORE_URL",
    "spacy_model_path": "QL_SPACY_MODEL",
    "model_dir": "QL_MODEL_DIR",
    "timezone": "QL_TIMEZONE",
    "rasa_port": "QL_RASA_PORT",
    "rasa_url": "QL_RASA_URL",
    "rasa_token": "QL_RASA_TOKEN",
    "rasa_token_file": "QL_RASA_TOKEN_FILE",
    "action_port": "QL_ACTION_PORT",
    "action_server_url": "QL_ACTION_SERVER_URL",
    "redis_url": "QL_REDIS_URL",
    "event_broker_url": "QL_EVENT_BROKER_URL",
    "geocoder_url": "QL_GEOCODER_URL",
    # security and privacy (security/, privacy/)
    "allowed_origins": "QL_ALLOWED_ORIGINS",
    "trusted_proxies": "QL_TRUSTED_PROXIES",
    "rasa_interface": "QL_RASA_INTERFACE",
    "action_interface": "QL_ACTION_INTERFACE",
    "action_token": "QL_ACTION_TOKEN",
    "max_message_chars": "QL_MAX_MESSAGE_CHARS",
    "max_request_bytes": "QL_MAX_REQUEST_BYTES",
    "rate_limit_messages": "QL_RATE_LIMIT_MESSAGES",
    "rate_limit_per_ip": "QL_RATE_LIMIT_PER_IP",
    "rate_limit_window_seconds": "QL_RATE_LIMIT_WINDOW_SECONDS",
    "login_max_failures": "QL_LOGIN_MAX_FAILURES",
    "login_max_failures_per_ip": "QL_LOGIN_MAX_FAILURES_PER_IP",
    "login_lockout_seconds": "QL_LOGIN_LOCKOUT_SECONDS",
    "retention_days": "QL_RETENTION_DAYS",
    "web_port": "QL_WEB_PORT",
    "widget_server_url": "QL_WIDGET_SERVER_URL",
    "telegram_token": "QL_TELEGRAM_TOKEN",
    "telegram_webhook_url": "QL_TELEGRAM_WEBHOOK_URL",
    "telegram_api_url": "QL_TELEGRAM_API_URL",
    "telegram_secret_token": "QL_TELEGRAM_SECRET_TOKEN",
    "console_port": "QL_CONSOLE_PORT",
    "console_url": "QL_CONSOLE_URL",
    "console_interface": "QL_CONSOLE_INTERFACE",
    "console_secure_cookies": "QL_CONSOLE_SECURE_COOKIES",
    "console_demo_advisor": "QL_CONSOLE_DEMO_ADVISOR",
    "console_demo_municipality": "QL_CONSOLE_DEMO_MUNICIPALITY",
    "default_municipality": "QL_DEFAULT_MUNICIPALITY",
    "handoff_minutes_per_ticket": "QL_HANDOFF_MINUTES_PER_TICKET",
    "webchat_poll_seconds": "QL_WEBCHAT_POLL_SECONDS",
    # hotline insight (insight/)
    "insight_database_url": "QL_INSIGHT_DATABASE_URL",
    "insight_low_confidence_percent": "QL_INSIGHT_LOW_CONFIDENCE_PERCENT",
    "insight_min_count": "QL_INSIGHT_MIN_COUNT",
    "insight_rounding_base": "QL_INSIGHT_ROUNDING_BASE",
    "insight_ingest_lag_seconds": "QL_INSIGHT_INGEST_LAG_SECONDS",
    "insight_salt": "QL_INSIGHT_SALT",
    "fallback_hotline": "QL_FALLBACK_HOTLINE",
    "action_timeout": "QL_ACTION_TIMEOUT",
    # process supervision of `make run` (runtime/processes.py)
    "supervisor_hang_seconds": "QL_SUPERVISOR_HANG_SECONDS",
    "supervisor_max_backoff_seconds": "QL_SUPERVISOR_MAX_BACKOFF_SECONDS",
}


@dataclass(frozen=True)
class Settings:
    var_dir: Path = PROJECT_ROOT / "var"
    database_url: str = ""  # knowledge base and application state; default SQLite in var_dir
    tracker_store_url: str = ""  # Rasa's SQL tracker store; default SQLite in var_dir
    spacy_model_path: Path = PROJECT_ROOT / "build" / "spacy_de"
    model_dir: Path = PROJECT_ROOT / "models"
    timezone: str = "Europe/Berlin"
    rasa_port: int = 5005
    rasa_url: str = ""  # default http://127.0.0.1:<rasa_port>
    rasa_token: str = ""
    rasa_token_file: str = ""  # file with the Rasa token (read by security/rasa_run.py)
    action_port: int = 5055
    action_server_url: str = ""  # default http://127.0.0.1:<action_port>/webhook
    redis_url: str = ""  # empty: Rasa's in-memory lock store (single process only)
    event_broker_url: str = ""  # empty: no event broker; amqp://… for RabbitMQ, or an SQL URL
    geocoder_url: str = ""  # optional online geocoder; empty: offline gazetteer only
    # security and privacy (security/, privacy/); see docs/security.md and PRIVACY.md
    allowed_origins: str = ""  # comma-separated city origins for CORS; empty: the local demo page
    trusted_proxies: str = ""  # comma-separated proxy IPs whose X-Forwarded-For is believed
    rasa_interface: str = "127.0.0.1"  # where Rasa listens; 0.0.0.0 only inside a private network
    action_interface: str = "127.0.0.1"  # where the action server listens (only Rasa calls it)
    action_token: str = ""  # shared secret Rasa sends to the action server; make run generates one
    max_message_chars: int = 1000  # longer user messages are cut (with a notice), not rejected
    max_request_bytes: int = 262_144  # larger request bodies to Rasa are refused (413) unread
    rate_limit_messages: int = 20  # messages per client (sender) and window on public channels
    rate_limit_per_ip: int = 120  # messages per client IP and window on public channels
    rate_limit_window_seconds: int = 60
    login_max_failures: int = 5  # failed console log-ins per user name before a lock-out
    # failed log-ins from one address (any user names; a shared office network may try a few)
    login_max_failures_per_ip: int = 20
    login_lockout_seconds: int = 900
    retention_days: int = 30  # conversations are deleted automatically after this many days
    web_port: int = 8080  # demo city page with the chat widget (web/)
    widget_server_url: str = ""  # Rasa URL as the browser sees it; default rasa_url
    telegram_token: str = ""  # bot token from @BotFather; empty: Telegram channel off
    telegram_webhook_url: str = ""  # public https URL of /webhooks/telegram/webhook
    telegram_api_url: str = "https://api.telegram.org"  # Bot API base (local Bot API server, tests)
    telegram_secret_token: str = ""  # optional X-Telegram-Bot-Api-Secret-Token check
    console_port: int = 5080  # advisor console (advisor/)
    console_url: str = ""  # default http://127.0.0.1:<console_port>
    console_interface: str = "127.0.0.1"  # where the console listens
    # "auto": Secure flag unless plain http on loopback; "1"/"0"
    console_secure_cookies: str = "auto"
    console_demo_advisor: str = ""  # user name of a local demo advisor (make run); empty: none
    console_demo_municipality: str = "Dortmund"  # municipality of the demo advisor
    default_municipality: str = ""  # used when a conversation names no municipality
    handoff_minutes_per_ticket: int = 5  # rough handling time per ticket for the wait estimate
    webchat_poll_seconds: int = 20  # long-poll duration of GET /webhooks/webchat/messages
    # hotline insight (insight/): aggregates + review queue, read from the tracker store
    insight_database_url: str = ""  # insight tables; empty: database_url
    insight_low_confidence_percent: int = 50  # NLU confidence below this = "not understood"
    insight_min_count: int = 5  # counts below are shown as "<5"
    insight_rounding_base: int = 5  # other counts are rounded to multiples of this
    insight_ingest_lag_seconds: int = 60  # leave the newest events for the next run
    insight_salt: str = ""  # salt for sender pseudonyms; empty: random, kept in insight_state
    # resilience (channels/action_guard.py): told to users when the action server fails and
    # the knowledge base has no hotline for their municipality; empty: the national lines
    # from bot/facts.yml (bot.content.texts.fallback_hotline)
    fallback_hotline: str = ""
    action_timeout: int = 15  # seconds Rasa waits for the action server before the fallback
    supervisor_hang_seconds: int = 30  # no health answer this long: the service is restarted
    supervisor_max_backoff_seconds: int = 60  # longest wait between restarts of a failing service

    def __post_init__(self) -> None:
        derived = {
            "database_url": f"sqlite:///{self.var_dir / 'quartierslotse.db'}",
            "tracker_store_url": f"sqlite:///{self.var_dir / 'tracker.db'}",
            "rasa_url": f"http://127.0.0.1:{self.rasa_port}",
            "action_server_url": f"http://127.0.0.1:{self.action_port}/webhook",
            "widget_server_url": f"http://127.0.0.1:{self.rasa_port}",
            "console_url": f"http://127.0.0.1:{self.console_port}",
        }
        for name, value in derived.items():
            if not getattr(self, name):
                object.__setattr__(self, name, value)

    def as_env(self) -> dict[str, str]:
        return {env: str(getattr(self, attr)) for attr, env in ENV_NAMES.items()}


def _convert(attr: str, raw: str) -> object:
    default = getattr(Settings, attr, None)
    if isinstance(default, Path):
        return Path(raw)
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError as exc:
            raise ValueError(f"{ENV_NAMES[attr]} muss eine ganze Zahl sein, nicht {raw!r}") from exc
    return raw


def settings_from_env(environ: dict[str, str] | None = None) -> Settings:
    environ = dict(os.environ) if environ is None else environ
    values = {
        attr: _convert(attr, environ[env])
        for attr, env in ENV_NAMES.items()
        if environ.get(env, "") != ""
    }
    return Settings(**values)  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return settings_from_env()
