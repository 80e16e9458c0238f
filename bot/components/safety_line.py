"""One safety line before the answer when a message showed possible danger.

A message with danger words in a topic question or a past event ("Woran erkenne ich einen
Schlaganfall?") keeps its topic intent; bot.components.emergency_keywords marks it with the
entity `emergency_tier` = "moeglich". `SafetyLineGenerator` (Rasa's `nlg` endpoint, written by
runtime.rasa_endpoints) renders the domain's responses as usual and puts one safety line
(112, or the TelefonSeelsorge for suicidal words; numbers from bot/facts.yml) in front of the
first text the bot sends for such a message, whatever the topic, also for responses that custom
actions send by name. Every other text is left unchanged.

It subclasses Rasa's templated generator on purpose: Rasa creates the generator before the
model is loaded and hands it the model's responses afterwards only if it is one
(`Agent.load_model`), so a wrapper would have no responses at all.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.content.facts import render

TIER_ENTITY = "emergency_tier"
TYPE_ENTITY = "emergency_type"
POSSIBLE = "moeglich"
SAFETY_LINES = {
    "akut": "Falls gerade jetzt ein Notfall ist: Rufen Sie {{phones.notruf.number}}.",
    "suizid": ("Falls Sie gerade daran denken, sich etwas anzutun: Die TelefonSeelsorge ist "
               "Tag und Nacht für Sie da, kostenlos unter {{phones.telefonseelsorge.number}}. "
               "In akuter Gefahr: Rufen Sie {{phones.notruf.number}}."),
}
# already says what to do in an emergency
NO_LINE_BEFORE = {"utter_emergency"}


@cache
def safety_line(kind: str) -> str:
    """The rendered line for a kind of help ("akut" or "suizid")."""
    return render(SAFETY_LINES.get(kind, SAFETY_LINES["akut"]))


def possible_emergency_unanswered(tracker: DialogueStateTracker) -> str | None:
    """The kind of help ("akut"/"suizid") if the last user message had the tier "moeglich"
    and the bot has not answered it yet, else None."""
    for event in reversed(tracker.events):
        if isinstance(event, BotUttered):
            return None
        if isinstance(event, UserUttered):
            found = {entity.get("entity"): entity.get("value") for entity in event.entities}
            if found.get(TIER_ENTITY) != POSSIBLE:
                return None
            return str(found.get(TYPE_ENTITY) or "akut")
    return None


class SafetyLineGenerator(TemplatedNaturalLanguageGenerator):
    """The domain's responses, with the safety line before the first answer to a
    possible emergency."""

    def __init__(self, endpoint_config: EndpointConfig | None = None,
                 domain: Domain | None = None) -> None:
        super().__init__((domain or Domain.empty()).responses)

    async def generate(self, utter_action: str, tracker: DialogueStateTracker,
                       output_channel: str, **kwargs: Any) -> dict[str, Any] | None:
        response = await super().generate(utter_action, tracker, output_channel, **kwargs)
        if not response or not response.get("text") or utter_action in NO_LINE_BEFORE:
            return response
        kind = possible_emergency_unanswered(tracker)
        if kind is None:
            return response
        return {**response, "text": f"{safety_line(kind)}\n\n{response['text']}"}
