"""Action server responses are validated as Rasa validates them, with the schema checked once."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction

from security import action_responses

RASA_OWN = RemoteAction._validate_action_result

RESPONSES: list[Any] = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "municipality", "value": "Dortmund"}],
     "responses": [{"text": "Das Seniorenbüro Hörde …"}]},
    {"events": [{"event": "active_loop", "name": None}]},
    {},
    {"events": "kein Array"},
    {"responses": ["kein Objekt"]},
    {"events": [{"event": "slot"}]},
    {"events": [{"event": "gibt_es_nicht"}]},
    {"events": [{"name": "ohne Art"}]},
    "keine Antwort",
]


def verdict(validate: Any, response: Any) -> str:
    try:
        return "gültig" if validate(RemoteAction("action_x", None), response) else "falsch"
    except ValidationError as error:
        return error.message


@pytest.mark.parametrize("response", RESPONSES)
def test_a_response_gets_the_verdict_rasa_would_give(response: Any) -> None:
    assert verdict(action_responses.validate_action_result, response) == verdict(RASA_OWN,
                                                                                  response)


def test_invalid_responses_are_still_refused_with_rasas_hint() -> None:
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action_responses.validate_action_result(RemoteAction("action_x", None),
                                                {"events": "kein Array"})


def test_the_schema_is_checked_once_not_on_every_response(monkeypatch: pytest.MonkeyPatch) -> None:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    checks: list[dict[str, Any]] = []
    original = validator_class.check_schema

    def counted(cls: Any, checked: dict[str, Any]) -> None:
        checks.append(checked)
        original(checked)

    monkeypatch.setattr(validator_class, "check_schema", classmethod(counted))
    action_responses.response_validator.cache_clear()
    try:
        for _ in range(50):
            action_responses.validate_action_result(RemoteAction("action_x", None),
                                                    RESPONSES[1])
    finally:
        action_responses.response_validator.cache_clear()
    assert len(checks) == 1


def test_the_rasa_process_starts_with_its_speed_ups(monkeypatch: pytest.MonkeyPatch) -> None:
    """security.rasa_run installs the compiled response validator, the event-type table, the
    shared endpoint session and the serving model loader before Rasa starts (each is tested
    in its own file: test_event_types.py, test_endpoint_requests.py, test_model_loading.py)."""
    from rasa.shared.core.events import Event
    from rasa.utils.endpoints import EndpointConfig
    from rasa.utils.tensorflow.models import RasaModel

    from quartierslotse.settings import get_settings
    from security import endpoint_requests, event_types, model_loading, rasa_run

    seen = []
    monkeypatch.setenv("QL_RASA_TOKEN", "t0k")
    monkeypatch.setattr(sys, "argv", ["rasa_run", "run"])
    monkeypatch.setattr("rasa.__main__.main", lambda: seen.append(
        (RemoteAction._validate_action_result, Event.__dict__["resolve_by_type"].__func__,
         EndpointConfig.request, RasaModel.__dict__["load"].__func__)))
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RASA_OWN)
    monkeypatch.setattr(Event, "resolve_by_type", Event.__dict__["resolve_by_type"])
    monkeypatch.setattr(EndpointConfig, "request", EndpointConfig.request)
    monkeypatch.setattr(RasaModel, "load", RasaModel.__dict__["load"])
    get_settings.cache_clear()
    try:
        rasa_run.main()
    finally:
        get_settings.cache_clear()
    assert seen == [(action_responses.validate_action_result, event_types.resolve_by_type,
                     endpoint_requests.request, model_loading.load_for_serving)]
