from pathlib import Path

import pytest

from quartierslotse.settings import ENV_NAMES, Settings, settings_from_env
from runtime.rasa_endpoints import render_credentials, render_endpoints


def test_defaults_are_embedded_sqlite_in_var_dir(tmp_path: Path) -> None:
    settings = settings_from_env({"QL_VAR_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'quartierslotse.db'}"
    assert settings.tracker_store_url == f"sqlite:///{tmp_path / 'tracker.db'}"
    assert settings.action_server_url == "http://127.0.0.1:5055/webhook"


def test_ports_drive_derived_urls() -> None:
    settings = settings_from_env({"QL_RASA_PORT": "6005", "QL_ACTION_PORT": "6055"})
    assert settings.rasa_url == "http://127.0.0.1:6005"
    assert settings.action_server_url == "http://127.0.0.1:6055/webhook"


def test_invalid_integer_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="QL_RASA_PORT muss eine ganze Zahl sein"):
        settings_from_env({"QL_RASA_PORT": "fünf"})


def test_as_env_round_trips(tmp_path: Path) -> None:
    original = Settings(var_dir=tmp_path, rasa_port=7005, rasa_token="secret")
    assert settings_from_env(original.as_env()) == original
    assert set(original.as_env()) == set(ENV_NAMES.values())


def test_production_endpoints_use_postgres_redis_and_rabbitmq() -> None:
    settings = Settings(
        tracker_store_url="postgresql://rasa:pw@db.internal:5433/tracker",
        redis_url="redis://:redispw@cache.internal:6380/2",
        event_broker_url="amqp://user:pw@mq.internal:5672",
    )
    endpoints = render_endpoints(settings)
    assert endpoints["tracker_store"] == {
        "type": "SQL", "dialect": "postgresql", "url": "db.internal", "db": "tracker",
        "port": 5433, "username": "rasa", "password": "pw",
    }
    assert endpoints["lock_store"]["type"] == "redis"
    assert endpoints["lock_store"]["url"] == "cache.internal"
    assert endpoints["lock_store"]["db"] == 2
    assert endpoints["lock_store"]["password"] == "redispw"
    assert endpoints["event_broker"]["type"] == "pika"
    assert endpoints["event_broker"]["username"] == "user"


def test_default_endpoints_have_no_lock_store_or_broker(tmp_path: Path) -> None:
    endpoints = render_endpoints(Settings(var_dir=tmp_path))
    assert endpoints["tracker_store"] == {"type": "SQL", "dialect": "sqlite",
                                          "db": str(tmp_path / "tracker.db")}
    assert "lock_store" not in endpoints
    assert "event_broker" not in endpoints


def test_telegram_channel_is_only_enabled_with_a_token() -> None:
    without = render_credentials(Settings())
    assert {"channels.rest.GuardedRestInput", "channels.webchat.WebchatInput"} <= set(without)
    assert "channels.telegram.TelegramInput" not in without
    with_token = render_credentials(Settings(telegram_token="123:abc"))
    assert "channels.telegram.TelegramInput" in with_token


def test_action_guard_channel_only_in_the_resilient_setup() -> None:
    assert "channels.action_guard.ActionGuard" not in render_credentials(Settings())
    guard = render_credentials(Settings(action_port=6055), resilient=True)
    assert guard["channels.action_guard.ActionGuard"]["upstream"] == (
        "http://127.0.0.1:6055/webhook")


def test_readme_documents_every_setting() -> None:
    from quartierslotse.settings import PROJECT_ROOT

    readme = (PROJECT_ROOT / "README.md").read_text()
    missing = [name for name in ENV_NAMES.values() if f"`{name}`" not in readme]
    assert missing == []
