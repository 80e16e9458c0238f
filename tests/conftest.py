"""Shared test fixtures: one trained model and one running bot stack per test session."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from quartierslotse.settings import Settings, get_settings
from runtime import processes, training
from runtime.devserver import prepare_runtime
from runtime.services import default_services
from tests.support.chat import RestChat
from tests.support.telegram import TOKEN as TELEGRAM_TOKEN
from tests.support.telegram import FakeBotApi


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def telegram_api() -> Iterator[FakeBotApi]:
    """The fake Telegram Bot API (loopback) the stack's Telegram channel talks to."""
    api = FakeBotApi().start()
    try:
        yield api
    finally:
        api.close()


@pytest.fixture(scope="session")
def stack_settings(tmp_path_factory: pytest.TempPathFactory, telegram_api: FakeBotApi) -> Settings:
    """Settings for the test stack: own ports and databases, the project's model cache, the
    Telegram channel on (webhook `/webhooks/telegram/webhook`, Bot API: `telegram_api`)."""
    base = get_settings()
    return Settings(
        var_dir=tmp_path_factory.mktemp("var"),
        spacy_model_path=base.spacy_model_path,
        model_dir=base.model_dir,
        rasa_port=free_port(),
        action_port=free_port(),
        console_port=free_port(),
        web_port=free_port(),
        rasa_token="test-token",
        # every test client is 127.0.0.1: the per-IP limit is tested on its own
        # (tests/security/test_rate_limit.py); the per-conversation limit stays as configured
        rate_limit_per_ip=1_000_000,
        # likewise the console's per-address log-in throttle (tested in
        # tests/security/test_login_hardening.py): the failed log-ins of all tests on the shared
        # console would otherwise block later log-ins
        login_max_failures_per_ip=1_000_000,
        telegram_token=TELEGRAM_TOKEN,
        telegram_api_url=telegram_api.url,
    )


@pytest.fixture(scope="session")
def trained_model(stack_settings: Settings) -> Path:
    """The trained Rasa model; trained at most once per session (and reused while unchanged)."""
    return training.ensure_trained(stack_settings)


@pytest.fixture(scope="session")
def bot_stack(stack_settings: Settings, trained_model: Path) -> Iterator[Settings]:
    """Rasa server and action server, started once per session on free ports."""
    files = prepare_runtime(stack_settings)
    services = default_services(stack_settings, trained_model, files)
    running = processes.start_all(services, stack_settings, stack_settings.var_dir / "logs")
    try:
        yield stack_settings
    finally:
        processes.stop_all(running)


@pytest.fixture
def chat(bot_stack: Settings) -> RestChat:
    """A fresh conversation (new sender id) with the running bot through the REST channel."""
    return RestChat(bot_stack.rasa_url)
