"""Rasa's TensorFlow models loaded for serving (security.model_loading): same predictions as
Rasa's own load, no training step, and Rasa's own load whenever the shortcut cannot be trusted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from security import model_loading

ROOT = Path(__file__).resolve().parents[2]


def _predictions(loader: str, model: Path, out: Path) -> dict[str, Any]:
    subprocess.run([sys.executable, "-m", "tests.support.model_outputs", loader, str(model),
                    str(out)], cwd=ROOT, check=True, timeout=600, capture_output=True)
    return json.loads(out.read_text())  # type: ignore[no-any-return]


def _assert_same_values(served: Any, rasa: Any, where: str) -> None:
    if isinstance(rasa, dict):
        assert sorted(served) == sorted(rasa), where
        for key in rasa:
            _assert_same_values(served[key], rasa[key], f"{where}/{key}")
    elif isinstance(rasa, list) and rasa and isinstance(rasa[0], (dict, list)):
        assert len(served) == len(rasa), where
        for index, (left, right) in enumerate(zip(served, rasa, strict=True)):
            _assert_same_values(left, right, f"{where}[{index}]")
    elif isinstance(rasa, (list, float)):
        np.testing.assert_allclose(served, rasa, rtol=1e-5, atol=1e-6, err_msg=where)
    else:
        assert served == rasa, where


def test_the_trained_model_predicts_exactly_as_with_rasas_own_load(
    trained_model: Path, tmp_path: Path
) -> None:
    """DIET, ResponseSelector and TED: every prediction over the held-out conversations is the
    same with both loaders; Rasa's load trains each model once, the serving load never."""
    rasa = _predictions("rasa", trained_model, tmp_path / "rasa.json")
    served = _predictions("serving", trained_model, tmp_path / "serving.json")
    assert sorted(rasa["fits"]) == ["DIET", "DIET2BOW", "TED"]  # DIET2BOW: ResponseSelector
    assert served["fits"] == []
    models = {name for name, _ in rasa["outputs"]}
    assert models == {"DIET", "DIET2BOW", "TED"} and len(rasa["outputs"]) > 600
    assert [name for name, _ in served["outputs"]] == [name for name, _ in rasa["outputs"]]
    pairs = zip(served["outputs"], rasa["outputs"], strict=True)
    for index, ((name, left), (_, right)) in enumerate(pairs):
        _assert_same_values(left, right, f"{name} prediction {index}")


class _Status:
    def __init__(self, unmatched: bool) -> None:
        self.unmatched = unmatched

    def assert_existing_objects_matched(self) -> None:
        if self.unmatched:
            raise AssertionError("Unresolved object in checkpoint: (root).layer.kernel")

    def expect_partial(self) -> None:
        pass


class _Model:
    """Stands in for a RasaModel subclass: records the order of the loading steps."""

    unmatched = False

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.steps: list[tuple[str, Any]] = []

    def load_weights(self, path: str) -> _Status:
        self.steps.append(("load_weights", path))
        return _Status(self.unmatched)

    def run_inference(self, example: Any) -> None:
        self.steps.append(("run_inference", example))


@pytest.fixture
def rasa_loads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    calls: list[tuple[Any, ...]] = []

    def rasa_load(cls: type, *args: Any, **kwargs: Any) -> str:
        calls.append((cls, args, kwargs))
        return "rasa"

    monkeypatch.setattr(model_loading, "_rasa_load", rasa_load)
    return calls


def test_serving_reads_the_weights_before_the_prediction_builds_the_layers(
    rasa_loads: list[tuple[Any, ...]]
) -> None:
    model: Any = model_loading.load_for_serving(_Model, "weights.tf_model", "train example",
                                                "predict example", False, config={"x": 1})
    assert model.steps == [("load_weights", "weights.tf_model"),
                           ("run_inference", "predict example")]
    assert model.kwargs == {"config": {"x": 1}} and rasa_loads == []


@pytest.mark.parametrize(("predict_example", "finetune"), [(None, False), ("predict", True)])
def test_fine_tuning_or_no_prediction_example_loads_the_way_rasa_does(
    rasa_loads: list[tuple[Any, ...]], predict_example: Any, finetune: bool
) -> None:
    result = model_loading.load_for_serving(_Model, "w", "train", predict_example, finetune)
    assert result == "rasa"
    assert rasa_loads == [(_Model, ("w", "train", predict_example, finetune), {})]


def test_a_variable_missing_from_the_checkpoint_falls_back_to_rasas_load(
    rasa_loads: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(_Model, "unmatched", True)
    result = model_loading.load_for_serving(_Model, "w", "train", "predict", False)
    assert result == "rasa" and len(rasa_loads) == 1
    assert "(root).layer.kernel" in caplog.text
