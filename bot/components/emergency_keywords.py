"""Emergency safety net in the NLU pipeline, after the trained classifiers.

A thin Rasa component around the pure detector `safety.emergency.assess`:

- tier "akut": the intent becomes `emergency` and the entity `emergency_type` ("akut" or
  "suizid") tells the response which help to name first (112/110 or TelefonSeelsorge);
- tier "moeglich" (danger words in a topic question or a past event): the topic intent stays,
  a classifier's `emergency` guess is replaced by the best other intent, and the entity
  `emergency_tier` = "moeglich" marks the message (the safety line of
  bot.components.safety_line is not yet put before the answer). No urgent ticket;
- the trained classifier (DIET blended with the linear model) knows wordings the detector has
  no words for. Its `emergency` is acute when it is the top intent with at least
  `classifier_confidence` (0.5: more likely an emergency than anything else) where the detector
  found nothing, and with at least `classifier_confidence_over_possible` (0.9) where the
  detector saw danger words in a topic or past context; never where the detector saw negated
  danger only ("kein Notfall, ich wollte nur wissen ..." is answered normally), and never in
  a message without a word of the vocabulary of describing an emergency
  (safety.emergency.mentions_danger: "weiß ich nicht" in the middle of a form stays an answer).
  A less sure one becomes the tier "moeglich" (the safety line, then the best other intent's
  answer), and so does a message the fallback did not understand whose best guess was
  `emergency`: the classifier's doubt costs a sentence, its confidence never hides the 112.
  The kind of help of
  such an emergency is "suizid" when the message holds a hint of suicidal intent
  (safety.emergency.suicide_hinted), else "akut".

The slot `emergency_tier` is filled from the entity and reset to "keins" on every other user
message (bot/domain/emergency.yml), so a tier never sticks to a later turn.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from safety.emergency import (
    ACUTE,
    POSSIBLE,
    Assessment,
    assess,
    mentions_danger,
    suicide_hinted,
)

EMERGENCY_INTENT = "emergency"
FALLBACK_INTENT = "nlu_fallback"
TYPE_ENTITY = "emergency_type"
TIER_ENTITY = "emergency_tier"
INTENT_RANKING_KEY = "intent_ranking"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class EmergencyKeywordClassifier(GraphComponent):
    """Sets intent `emergency` for acute danger, marks possible danger with its tier."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # confidence: of a forced emergency; classifier_confidence(_over_possible): how sure
        # the trained classifier must be for an emergency the detector found no danger words
        # in (found them in a topic question or a past event)
        return {"confidence": 1.0, "classifier_confidence": 0.5,
                "classifier_confidence_over_possible": 0.9}

    def __init__(self, config: dict[str, Any]) -> None:
        self._config = config

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> EmergencyKeywordClassifier:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._process_message(message)
        return messages

    def process_training_data(self, training_data: Any) -> Any:
        return training_data

    def _process_message(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        if text.startswith("/"):
            return  # button payloads carry their intent explicitly
        found = assess(text)
        intent = message.get(INTENT) or {}
        classifier_says_emergency = intent.get(INTENT_NAME_KEY) == EMERGENCY_INTENT
        guessed = classifier_says_emergency or _fallback_guessed_emergency(message)
        believed = guessed and not found.negated and (found.tier == POSSIBLE
                                                      or mentions_danger(text))
        if found.is_acute or (classifier_says_emergency and believed and self._trust_classifier(
                found, float(intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0))):
            _force_emergency(message, float(self._config["confidence"]))
            _set_entities(message, text, ACUTE, _kind(found, text))
            return
        if classifier_says_emergency:
            _demote_emergency(message)
        if found.tier == POSSIBLE or believed:
            _set_entities(message, text, POSSIBLE, _kind(found, text))

    def _trust_classifier(self, found: Assessment, confidence: float) -> bool:
        """Sure enough for an emergency the detector found no (or only non-acute) words for."""
        key = ("classifier_confidence_over_possible" if found.tier == POSSIBLE
               else "classifier_confidence")
        return confidence >= float(self._config[key])


def _kind(found: Assessment, text: str) -> str:
    """The detector's kind of help; for an emergency only the classifier saw, a hint decides."""
    return found.kind or ("suizid" if suicide_hinted(text) else "akut")


def _fallback_guessed_emergency(message: Message) -> bool:
    """Not understood (nlu_fallback), and the best guess behind it was `emergency`."""
    if (message.get(INTENT) or {}).get(INTENT_NAME_KEY) != FALLBACK_INTENT:
        return False
    guesses = [r for r in message.get(INTENT_RANKING_KEY) or []
               if r.get(INTENT_NAME_KEY) != FALLBACK_INTENT]
    return bool(guesses) and guesses[0].get(INTENT_NAME_KEY) == EMERGENCY_INTENT


def _force_emergency(message: Message, confidence: float) -> None:
    forced = {INTENT_NAME_KEY: EMERGENCY_INTENT, PREDICTED_CONFIDENCE_KEY: confidence}
    message.set(INTENT, forced, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [forced, *_ranking_without_emergency(message)],
                add_to_output=True)


def _demote_emergency(message: Message) -> None:
    """The best other intent of the ranking replaces the classifier's emergency guess."""
    ranking = _ranking_without_emergency(message)
    best = ranking[0] if ranking else {INTENT_NAME_KEY: FALLBACK_INTENT,
                                       PREDICTED_CONFIDENCE_KEY: 1.0}
    message.set(INTENT, best, add_to_output=True)
    message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)


def _ranking_without_emergency(message: Message) -> list[dict[str, Any]]:
    return [r for r in message.get(INTENT_RANKING_KEY) or []
            if r.get(INTENT_NAME_KEY) != EMERGENCY_INTENT]


def _set_entities(message: Message, text: str, tier: str, kind: str) -> None:
    entities = [e for e in message.get(ENTITIES) or []
                if e.get("entity") not in (TYPE_ENTITY, TIER_ENTITY)]
    entities += [_entity(text, TYPE_ENTITY, kind), _entity(text, TIER_ENTITY, tier)]
    message.set(ENTITIES, entities, add_to_output=True)


def _entity(text: str, name: str, value: str) -> dict[str, Any]:
    return {
        "entity": name,
        "value": value,
        "start": 0,
        "end": len(text),
        "confidence": 1.0,
        "extractor": EmergencyKeywordClassifier.__name__,
    }
