"""Falls back when a message contains no word the assistant was ever trained on.

DIET and the char n-gram features always pick *some* intent, often with high confidence:
"blub blub" looked like an emergency, "asdfgh" like a "yes". A message in which not a single
word is known (from the training examples, synonyms and lookup tables, allowing one typo in
longer words) and in which no entity was found cannot have been understood, so this component
sets `nlu_fallback` and the bot asks the user to rephrase. Numbers count as known words.
It runs before the emergency keyword net, which still wins for danger words.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
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
from rasa.shared.nlu.training_data.training_data import TrainingData

from safety.text import normalise, within_one_edit

FALLBACK_INTENT = "nlu_fallback"
INTENT_RANKING_KEY = "intent_ranking"
VOCABULARY_FILE = "vocabulary.json"
MIN_FUZZY_LENGTH = 5  # shorter words must match exactly ("blub" is not "blut")
MIN_COMPOUND_PART = 5  # a known word this long inside a compound makes it known
MIN_PREFIX_PART = 4  # ... or this long at its start ("moinsen", "tschüssle")


def words(text: str) -> list[str]:
    return [word for word in normalise(text).split() if word.strip("!")]


def collapse_repeats(word: str) -> str:
    """Drawn-out letters as one: "jaaa" -> "ja", "tschoeoeoe" -> "tschoe"."""
    word = re.sub(r"(oe|ae|ue)(\1)+", r"\1", word)
    return re.sub(r"(.)\1{1,}", r"\1", word)


class Vocabulary:
    """Known words, with look-up tables built once per process (at model load).

    A word is known when it is in the vocabulary (or is a number, or the same with drawn-out
    letters collapsed); a word of MIN_FUZZY_LENGTH letters or more also when it is one edit
    (`within_one_edit`) away from a known word, when it starts with a known word of at least
    MIN_PREFIX_PART letters, contains a known word of at least MIN_COMPOUND_PART letters or is
    the start of a longer one. The tables answer each of these with a few set look-ups instead
    of a scan over the vocabulary per word: an unknown word used to cost ~1.7 ms (a 1000-char
    message in another language ~170 ms), see benchmarks/turn_cost.py.
    """

    def __init__(self, known: set[str]) -> None:
        self.known = known
        # German compounds: "Seniorensport" and "Pflegebox" are understood when
        # "senioren" or "pflege" are known, as DIET's character n-grams see them too.
        self.compound_parts = {w for w in known if len(w) >= MIN_COMPOUND_PART and w.isalpha()}
        self._part_lengths = sorted({len(w) for w in self.compound_parts})
        self._part_prefixes = {part[:n] for part in self.compound_parts
                               for n in range(1, len(part))}
        self.collapsed = {collapse_repeats(w) for w in known}
        # every known word under each of its one-letter deletions: two words one edit apart
        # share a deletion or one is a deletion of the other (checked by within_one_edit)
        self._by_deletion: dict[str, list[str]] = defaultdict(list)
        for word in known:
            for deleted in _deletions(word):
                self._by_deletion[deleted].append(word)

    def knows(self, word: str) -> bool:
        word = word.strip("!")
        if word in self.known or word.isdigit() or collapse_repeats(word) in self.collapsed:
            return True
        if len(word) < MIN_FUZZY_LENGTH:
            return False
        return self._one_edit_from_known(word) or self._has_known_part(word)

    def _one_edit_from_known(self, word: str) -> bool:
        candidates = set(self._by_deletion.get(word, ()))  # one letter longer
        for deleted in _deletions(word):
            if deleted in self.known:
                return True  # one letter shorter
            candidates.update(self._by_deletion.get(deleted, ()))  # same length
        return any(within_one_edit(word, candidate) for candidate in candidates)

    def _has_known_part(self, word: str) -> bool:
        if any(word[:n] in self.known for n in range(MIN_PREFIX_PART, len(word))):
            return True
        for length in self._part_lengths:
            if length >= len(word):
                break
            if any(word[i:i + length] in self.compound_parts
                   for i in range(len(word) - length + 1)):
                return True  # "pflegebox" when "pflege" is known
        return word in self._part_prefixes  # "begegnung" when "begegnungsstaette" is known


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def training_vocabulary(training_data: TrainingData) -> set[str]:
    texts = [example.get(TEXT) or "" for example in training_data.training_examples]
    for lookup in training_data.lookup_tables:
        elements = lookup.get("elements")
        if isinstance(elements, list):
            texts.extend(str(element) for element in elements)
    texts.extend(training_data.entity_synonyms)
    texts.extend(training_data.entity_synonyms.values())
    return {word for text in texts for word in words(text)}


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class UnknownWordsFallback(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    def __init__(self, model_storage: ModelStorage, resource: Resource,
                 vocabulary: Vocabulary | None = None) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self._vocabulary = vocabulary or Vocabulary(set())

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> UnknownWordsFallback:
        return cls(model_storage, resource)

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> UnknownWordsFallback:
        with model_storage.read_from(resource) as directory:
            known = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
        return cls(model_storage, resource, Vocabulary(set(known)))

    def train(self, training_data: TrainingData) -> Resource:
        known = training_vocabulary(training_data)
        self._vocabulary = Vocabulary(known)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(
                json.dumps(sorted(known), ensure_ascii=False), encoding="utf-8")
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if self.understands_nothing(message):
                forced = {INTENT_NAME_KEY: FALLBACK_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
                ranking = [entry for entry in message.get(INTENT_RANKING_KEY) or []
                           if entry.get(INTENT_NAME_KEY) != FALLBACK_INTENT]
                message.set(INTENT, forced, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [forced, *ranking], add_to_output=True)
        return messages

    def understands_nothing(self, message: Message) -> bool:
        text = message.get(TEXT) or ""
        if text.startswith("/") or message.get(ENTITIES):
            return False  # button payloads; a recognised place, postal code, …
        tokens = words(text)
        return bool(tokens) and not any(self._vocabulary.knows(token) for token in tokens)
