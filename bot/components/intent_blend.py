"""Blends DIET's intent ranking with a linear classifier on the same sparse features.

On wordings unlike its training examples DIET's guess depends on its training seed by
several points (benchmarks/seed_spread.py). A multinomial logistic regression on the
message's sparse sentence features (the word and character n-gram counts of the
featurizers, TF-IDF weighted) errs differently; the component averages the two probability
rankings, the linear one with weight `linear_weight`, and sets intent and intent_ranking.
It runs right after DIET, so the FallbackClassifier judges the blended confidence.

The model is kept as plain arrays (idf, coefficients, intercepts, class names) and applied
here: nothing is unpickled when a model is loaded.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression

MODEL_FILE = "intent_blend.npz"
RANKING_LENGTH = 10


def sentence_features(message: Message) -> scipy.sparse.csr_matrix | None:
    """The message's sparse sentence features (one row), None when it has none."""
    _, sentence = message.get_sparse_features(TEXT)
    return None if sentence is None else scipy.sparse.csr_matrix(sentence.features)


class LinearIntentModel:
    """TF-IDF weighting and a multinomial logistic regression, as plain arrays."""

    def __init__(self, idf: np.ndarray, coef: np.ndarray, intercept: np.ndarray,
                 classes: list[str]) -> None:
        self.idf, self.coef, self.intercept, self.classes = idf, coef, intercept, classes

    @classmethod
    def fit(cls, features: scipy.sparse.csr_matrix, intents: list[str],
            strength: float) -> LinearIntentModel:
        tfidf = TfidfTransformer(sublinear_tf=True).fit(features)
        regression = LogisticRegression(C=strength, max_iter=3000, random_state=0)
        regression.fit(tfidf.transform(features), intents)
        return cls(tfidf.idf_, regression.coef_, regression.intercept_,
                   [str(name) for name in regression.classes_])

    def probabilities(self, features: scipy.sparse.csr_matrix) -> np.ndarray:
        """Class probabilities of each row (the same as LogisticRegression.predict_proba),
        computed on the row's non-zero columns only: a few microseconds per message."""
        rows = scipy.sparse.csr_matrix(features, dtype=np.float64)
        rows.sum_duplicates()
        rows.eliminate_zeros()
        result = np.empty((rows.shape[0], len(self.classes)))
        for index in range(rows.shape[0]):
            span = slice(rows.indptr[index], rows.indptr[index + 1])
            columns = rows.indices[span]
            weights = (1.0 + np.log(rows.data[span])) * self.idf[columns]  # sublinear tf-idf
            norm = np.sqrt(weights @ weights)
            scores = self.coef[:, columns] @ (weights / norm if norm else weights)
            scores = np.exp(scores + self.intercept - (scores + self.intercept).max())
            result[index] = scores / scores.sum()
        return result

    def save(self, path: Any) -> None:
        np.savez(path, idf=self.idf, coef=self.coef, intercept=self.intercept,
                 classes=np.array(self.classes))

    @classmethod
    def read(cls, path: Any) -> LinearIntentModel:
        with np.load(path, allow_pickle=False) as arrays:
            return cls(arrays["idf"], arrays["coef"], arrays["intercept"],
                       [str(name) for name in arrays["classes"]])


def blend(ranking: list[dict[str, Any]], linear: dict[str, float],
          weight: float) -> list[dict[str, Any]]:
    """(1 - weight) * DIET's confidence + weight * the linear probability, best first."""
    diet = {entry[INTENT_NAME_KEY]: float(entry[PREDICTED_CONFIDENCE_KEY]) for entry in ranking}
    scores = {name: (1 - weight) * diet.get(name, 0.0) + weight * linear.get(name, 0.0)
              for name in diet.keys() | linear.keys()}
    best = sorted(scores.items(), key=lambda item: -item[1])[:RANKING_LENGTH]
    return [{INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: score} for name, score in best]


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class LinearIntentBlend(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # an even average; C = 10: the inverse regularisation strength
        return {"linear_weight": 0.5, "strength": 10.0}

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage,
                 resource: Resource, model: LinearIntentModel | None = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> LinearIntentBlend:
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> LinearIntentBlend:
        with model_storage.read_from(resource) as directory:
            model = LinearIntentModel.read(directory / MODEL_FILE)
        return cls(config, model_storage, resource, model)

    def train(self, training_data: TrainingData) -> Resource:
        rows, intents = [], []
        for example in training_data.intent_examples:
            features = sentence_features(example) if example.get(TEXT) else None
            if features is not None and example.get(INTENT):
                rows.append(features)
                intents.append(str(example.get(INTENT)))
        self._model = LinearIntentModel.fit(scipy.sparse.vstack(rows).tocsr(), intents,
                                            float(self._config["strength"]))
        with self._model_storage.write_to(self._resource) as directory:
            self._model.save(directory / MODEL_FILE)
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        if self._model is None:
            return messages
        for message in messages:
            features = sentence_features(message)
            ranking = message.get(INTENT_RANKING_KEY)
            if features is None or not ranking:
                continue
            probabilities = self._model.probabilities(features)[0]
            blended = blend(ranking, dict(zip(self._model.classes, probabilities.tolist(),
                                              strict=True)),
                            float(self._config["linear_weight"]))
            message.set(INTENT, blended[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, blended, add_to_output=True)
        return messages
