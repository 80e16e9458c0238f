"""One safety line before the answer when a message showed possible danger.

A message with danger words in a topic question or a past event ("Woran erkenne ich einen
Schlaganfall?") keeps its topic intent; bot.components.emergency_keywords marks it with the
entity `emergency_tier` = "moeglich". This response generator (Rasa's `nlg` endpoint, type
`bot.components.safety_line.SafetyLineGenerator`) puts one safety line (112, or the
TelefonSeelsorge for suicidal words; numbers from bot/facts.yml) in front of the first text
the bot sends for that message - whatever the topic, also for answers that custom actions send
by response name - and leaves every other text unchanged.
"""

from __future__ import annotations

from typing import Any

from rasa.core.nlg.generator import NaturalLanguageGenerator
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


class SafetyLineGenerator(NaturalLanguageGenerator):
    """The domain's responses, with the safety line before the first answer to a
    possible emergency."""

    def __init__(self, endpoint_config: EndpointConfig | None = None,
                 domain: Domain | None = None) -> None:
        self._responses = TemplatedNaturalLanguageGenerator(
            (domain or Domain.empty()).responses)

    async def generate(self, utter_action: str, tracker: DialogueStateTracker,
                       output_channel: str, **kwargs: Any) -> dict[str, Any] | None:
        response = await self._responses.generate(utter_action, tracker, output_channel,
                                                  **kwargs)
        if not response or not response.get("text") or utter_action in NO_LINE_BEFORE:
            return response
        kind = possible_emergency_unanswered(tracker)
        if kind:
            line = render(SAFETY_LINES.get(kind, SAFETY_LINES["akut"]))
            response = {**response, "text": f"{line}\n\n{response['text']}"}
        return response


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
