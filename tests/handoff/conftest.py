"""Console fixtures. The console is one of default_services(), so `bot_stack` starts it; these
fixtures give its URL and make advisor accounts. `console_only` starts a console without
Rasa for tests that need no model (log-in, CSRF, escaping, isolation).

The lead may move these into tests/conftest.py; tests/advisor/ uses them through
`pytest_plugins`-free re-export in tests/advisor/conftest.py."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from advisor import auth
from handoff.models import ROLE_ADVISOR
from quartierslotse.settings import Settings, get_settings
from runtime import processes
from runtime.services import console_server
from tests.support.handoff import ConsoleClient


@dataclass
class Console:
    url: str
    settings: Settings

    def new_advisor(self, municipality: str = "Dortmund", name: str = "Anna Schneider",
                    role: str = ROLE_ADVISOR) -> tuple[str, str]:
        username = f"{name.split()[0].lower()}-{uuid.uuid4().hex[:6]}"
        password = secrets.token_urlsafe(12)
        auth.create_advisor(self.settings.database_url, username, name, municipality, password,
                            role=role)
        return username, password

    def logged_in(self, municipality: str = "Dortmund", name: str = "Anna Schneider",
                  on_duty: bool = False, role: str = ROLE_ADVISOR) -> ConsoleClient:
        client = ConsoleClient(self.url)
        response = client.login(*self.new_advisor(municipality, name, role))
        assert response.status_code == 200 and client.csrf, response.text[:500]
        if on_duty:
            client.start_duty()
        return client


@pytest.fixture(scope="session")
def console(bot_stack: Settings) -> Console:
    """The console started with the bot stack (Rasa with token, action server)."""
    return Console(bot_stack.console_url, bot_stack)


@pytest.fixture(scope="session")
def console_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """A console on its own database, without Rasa (for tests that need no model)."""
    from tests.conftest import free_port

    base = get_settings()
    settings = Settings(var_dir=tmp_path_factory.mktemp("console"), rasa_port=free_port(),
                        console_port=free_port(), rasa_token="test-token",
                        spacy_model_path=base.spacy_model_path, model_dir=base.model_dir)
    running = processes.start_all([console_server(settings)], settings,
                                  settings.var_dir / "logs", timeout=60)
    try:
        yield Console(settings.console_url, settings)
    finally:
        processes.stop_all(running)


@pytest.fixture
def make_user(bot_stack: Settings) -> Callable[..., object]:
    from tests.support.handoff import WebchatUser

    def factory(municipality: str = "Dortmund") -> WebchatUser:
        return WebchatUser(bot_stack.rasa_url, municipality)

    return factory
