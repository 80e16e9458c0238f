"""One safety line before the answer when a message showed possible danger.

A message with danger words in a topic question or a past event ("Woran erkenne ich einen
Schlaganfall?") keeps its topic intent; bot.components.emergency_keywords marks it with the
entity `emergency_tier` = "moeglich". This module holds the safety line (112, or the
TelefonSeelsorge for suicidal words; numbers from bot/facts.yml) and decides whether the
first answer to such a message still lacks it. Not yet wired into the answers: a custom
`nlg` generator was tried and reverted (Rasa builds it before the domain is loaded).
"""

from __future__ import annotations

from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

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
