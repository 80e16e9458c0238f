"""Rasa's TensorFlow models loaded for serving without a wasted training step.

Rasa 3.6 loads DIET, the ResponseSelector and TED (`RasaModel.load`) by compiling each model
and training it on one example - only to create its variables - before it overwrites them with
the trained weights and runs one prediction to trace the prediction graph. That training step
traces a graph of its own (forward pass, gradients, optimizer) which a server never runs
again: most of the Rasa server's start-up (benchmarks/startup.py).

`install()` (called by security.rasa_run before Rasa starts) loads these models for serving in
the order TensorFlow's object-based checkpoints allow: the weights are read first (restore on
create: each variable takes its trained value the moment the layer that owns it is built), then
the one prediction Rasa runs anyway builds the layers and traces the prediction graph. Every
variable the model then has must have been found in the checkpoint; if one was not, or when a
model is loaded for fine-tuning (which trains on) or without a prediction example, Rasa's own
load runs instead.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.utils.tensorflow.models import RasaModel

logger = logging.getLogger(__name__)

_RASA_LOAD = RasaModel.load.__func__  # type: ignore[attr-defined]


def load_for_serving(
    cls: type[RasaModel],
    model_file_name: str,
    model_data_example: Any,
    predict_data_example: Any = None,
    finetune_mode: bool = False,
    *args: Any,
    **kwargs: Any,
) -> RasaModel:
    """`RasaModel.load`: same arguments, same loaded model, without the training step."""
    if finetune_mode or not predict_data_example:
        return _rasa_load(cls, model_file_name, model_data_example, predict_data_example,
                          finetune_mode, *args, **kwargs)
    model = cls(*args, **kwargs)
    status = model.load_weights(model_file_name)
    model.run_inference(predict_data_example)
    try:
        status.assert_existing_objects_matched()
    except AssertionError as unmatched:
        logger.warning("%s: variables without a value in the checkpoint (%s); loading it "
                       "the way Rasa does", cls.__name__, unmatched)
        return _rasa_load(cls, model_file_name, model_data_example, predict_data_example,
                          finetune_mode, *args, **kwargs)
    status.expect_partial()  # the optimizer's state stays unread on purpose: no warnings for it
    return model


def _rasa_load(cls: type[RasaModel], *args: Any, **kwargs: Any) -> RasaModel:
    return _RASA_LOAD(cls, *args, **kwargs)  # type: ignore[no-any-return]


def install() -> None:
    """Rasa loads its TensorFlow models for serving with `load_for_serving` in this process."""
    RasaModel.load = classmethod(load_for_serving)  # type: ignore[method-assign,assignment]
