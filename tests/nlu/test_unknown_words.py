"""The unknown-words fallback: gibberish is not understood, typos and numbers are."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.unknown_words import UnknownWordsFallback, Vocabulary, training_vocabulary


@pytest.fixture(scope="module")
def fallback() -> UnknownWordsFallback:
    examples = [Message(data={"text": text, "intent": intent}) for text, intent in [
        ("Wie viel Pflegegeld gibt es?", "ask_pflegegrad"),
        ("Meine Mutter ist gestürzt und blutet", "emergency"),
        ("Wo ist das nächste Seniorenbüro?", "find_office"),
        ("ja", "affirm"),
    ]]
    data = TrainingData(training_examples=examples,
                        lookup_tables=[{"name": "place", "elements": ["Aplerbeck", "Hörde"]}],
                        entity_synonyms={"seniorenbuero": "Seniorenbüro"})
    component = UnknownWordsFallback(model_storage=None, resource=None)  # type: ignore[arg-type]
    component._vocabulary = Vocabulary(training_vocabulary(data))
    return component


@pytest.mark.parametrize("text", ["blub blub", "asdfgh", "qwertz asdf jklö", "xyz ???"])
def test_gibberish_is_not_understood(fallback: UnknownWordsFallback, text: str) -> None:
    message = Message(data={"text": text, "intent": {"name": "emergency", "confidence": 0.99}})
    fallback.process([message])
    assert message.get("intent")["name"] == "nlu_fallback"
    assert message.get("intent_ranking")[0]["name"] == "nlu_fallback"


@pytest.mark.parametrize("text", [
    "pflegegelt",            # one typo in a long word
    "Wie viel bekomme ich",  # one known word is enough
    "44287",                 # numbers (postal codes, grades)
    "hoerde",                # lookup table, umlaut written as oe
    "Pflegegeldantrag",      # compound with a known part
    "Seniorenbürosprechzeit",
    "jaaaa",                 # drawn-out letters
    "Pflegegeldchen",        # known word at the start
    "Seniorenbü",            # the start of a known compound
    "seniorenbuero",         # synonym
    "/greet",                # button payloads are never touched
    "👍",                    # nothing to judge: the classifier decides
])
def test_known_words_keep_the_classifier_s_intent(fallback: UnknownWordsFallback,
                                                  text: str) -> None:
    message = Message(data={"text": text, "intent": {"name": "affirm", "confidence": 0.9}})
    fallback.process([message])
    assert message.get("intent")["name"] == "affirm"


def test_a_recognised_entity_counts_as_understood(fallback: UnknownWordsFallback) -> None:
    message = Message(data={"text": "Brackel", "intent": {"name": "inform_location"},
                            "entities": [{"entity": "place", "value": "Brackel"}]})
    fallback.process([message])
    assert message.get("intent")["name"] == "inform_location"
