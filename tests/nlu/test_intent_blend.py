"""The intent blend: its linear model predicts what scikit-learn predicts, from plain arrays,
and the blended ranking is the weighted average of the two classifiers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression

from bot.components.intent_blend import LinearIntentModel, blend

TEXTS = ["wie viel pflegegeld gibt es", "pflegegeld bei pflegegrad drei", "antrag pflegegrad",
         "wo ist das seniorenbüro", "seniorenbüro in hörde", "adresse vom büro",
         "guten tag", "hallo zusammen", "guten morgen"]
INTENTS = ["ask_pflegegrad"] * 3 + ["find_office"] * 3 + ["greet"] * 3


def counts() -> tuple[CountVectorizer, scipy.sparse.csr_matrix]:
    vectorizer = CountVectorizer(analyzer="char_wb", ngram_range=(2, 3)).fit(TEXTS)
    return vectorizer, vectorizer.transform(TEXTS)


def test_the_arrays_predict_what_scikit_learn_predicts(tmp_path: Path) -> None:
    vectorizer, features = counts()
    model = LinearIntentModel.fit(features, INTENTS, strength=10.0)
    model.save(tmp_path / "model.npz")
    loaded = LinearIntentModel.read(tmp_path / "model.npz")
    new = vectorizer.transform(["pflegegeld beantragen", "hallo", "büro in hörde"])
    tfidf = TfidfTransformer(sublinear_tf=True).fit(features)
    reference = LogisticRegression(C=10.0, max_iter=3000, random_state=0).fit(
        tfidf.transform(features), INTENTS)
    assert loaded.classes == list(reference.classes_)
    assert np.allclose(loaded.probabilities(new),
                       reference.predict_proba(tfidf.transform(new)), atol=1e-9)
    assert [loaded.classes[i] for i in loaded.probabilities(new).argmax(axis=1)] == [
        "ask_pflegegrad", "greet", "find_office"]


def test_an_empty_row_gets_the_intercepts_only() -> None:
    _, features = counts()
    model = LinearIntentModel.fit(features, INTENTS, strength=10.0)
    row = model.probabilities(scipy.sparse.csr_matrix((1, features.shape[1])))
    assert row.shape == (1, 3) and row.sum() == pytest.approx(1.0)


def test_the_blend_is_the_weighted_average_best_first() -> None:
    diet = [{"name": "emergency", "confidence": 0.7}, {"name": "ask_wohnen", "confidence": 0.3}]
    linear = {"ask_wohnen": 0.8, "out_of_scope": 0.15, "emergency": 0.05}
    ranking = blend(diet, linear, weight=0.5)
    assert [entry["name"] for entry in ranking] == ["ask_wohnen", "emergency", "out_of_scope"]
    assert [entry["confidence"] for entry in ranking] == pytest.approx([0.55, 0.375, 0.075])
    assert blend(diet, linear, weight=0.0)[0] == {"name": "emergency", "confidence": 0.7}
