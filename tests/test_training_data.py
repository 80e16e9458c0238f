"""Rasa's own validation of domain, training data and config must be clean."""

import subprocess
import sys

from quartierslotse.settings import PROJECT_ROOT

CONTRACT_INTENTS = {
    "greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "ask_pflegegrad",
    "ask_vorsorgevollmacht", "ask_begegnung", "ask_wohnen", "ask_soziales", "ask_gesundheit",
    "find_office", "ask_opening_hours",
    "inform_location", "request_human", "emergency", "out_of_scope",
}


def test_rasa_data_validate_is_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "data", "validate", "--domain", "bot/domain",
         "--data", "data", "--config", "bot/config.yml", "--fail-on-warnings"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_domain_declares_exactly_the_contract_intents() -> None:
    from rasa.shared.core.constants import DEFAULT_INTENTS
    from rasa.shared.core.domain import Domain

    domain = Domain.load(str(PROJECT_ROOT / "bot" / "domain"))
    # Rasa adds its own default intents (restart, back, session_start, nlu_fallback, ...)
    top_level = set(domain.intents) - (set(DEFAULT_INTENTS) - {"out_of_scope"})
    assert top_level == CONTRACT_INTENTS
