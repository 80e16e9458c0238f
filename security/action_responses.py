"""The check of every action server response, compiled once instead of on every call.

Rasa 3.6 validates each response of the action server against a JSON schema
(`RemoteAction._validate_action_result`) with `jsonschema.validate`, which first checks the
schema itself against the JSON Schema 2020-12 meta-schema - on every call, for a schema that
never changes. Under load that meta-check was about a third of the Rasa process's CPU (py-spy
of a Rasa replica at 20 concurrent conversations, benchmarks/load.py; issue 21 notes).

`install()` (called by security.rasa_run before Rasa starts) replaces the method by one that
uses a validator built and checked once per process. The response is validated exactly as
before - the same schema, the same validator class, the same best-matching error with Rasa's
message appended - so an invalid response is still refused.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

RASA_HINT = (
    ". Failed to validate Action server response from API, make sure your response from the "
    f"Action endpoint is valid. For more information about the format visit "
    f"{DOCS_BASE_URL}/custom-actions"
)


@cache
def response_validator() -> Any:
    """Rasa's response schema with the validator class jsonschema.validate would pick for it,
    the schema checked against its meta-schema once."""
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(_action: RemoteAction, result: dict[str, Any]) -> bool:
    """True for a valid action server response; raises the ValidationError Rasa raises."""
    error = exceptions.best_match(response_validator().iter_errors(result))
    if error is not None:
        error.message += RASA_HINT
        raise error
    return True


def install() -> None:
    """Rasa's remote actions (and its form validation actions, a subclass) validate with the
    compiled validator from now on in this process."""
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
