"""Every prediction of a trained model's TensorFlow models over the held-out set, as JSON.

`python -m tests.support.model_outputs rasa|serving MODEL OUT` loads MODEL with Rasa's own
`RasaModel.load` or with security.model_loading's `load_for_serving`, talks the held-out
messages (tests/nlu/holdout.yml) through it as conversations of five turns (no action server:
custom actions fail, as they would for both loaders alike) and writes to OUT the output of every
`run_inference` call of DIET, the ResponseSelector and TED, and how often a model was trained
(`fit`) while loading. Run in a process of its own: TensorFlow keeps one model state per process.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
TURNS_PER_CONVERSATION = 5


def holdout_messages() -> list[str]:
    """The held-out messages in file order, entity annotations removed (Rasa's own reader)."""
    from rasa.shared.nlu.training_data.loading import load_data

    held_out = load_data(str(ROOT / "tests" / "nlu" / "holdout.yml"))
    return [str(message.get("text")) for message in held_out.intent_examples]


def plain(value: Any) -> Any:
    """Model output as JSON values (arrays as nested lists, floats as floats)."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items() if key != "diagnostic_data"}
    if isinstance(value, (np.ndarray, np.generic)):
        return np.asarray(value, dtype=float).tolist()
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


async def converse(agent: Any, messages: list[str]) -> None:
    from rasa.core.channels.channel import UserMessage

    for index, text in enumerate(messages):
        sender = f"holdout-{index // TURNS_PER_CONVERSATION}"
        await agent.handle_message(UserMessage(text, sender_id=sender))


def main(loader: str, model: str, out: str) -> None:
    from rasa.core.agent import Agent
    from rasa.utils.tensorflow.models import RasaModel

    from security import model_loading

    if loader == "serving":
        model_loading.install()
    fits: list[str] = []
    outputs: list[tuple[str, Any]] = []
    rasa_fit, rasa_inference = RasaModel.fit, RasaModel.run_inference

    def counted_fit(self: RasaModel, *args: Any, **kwargs: Any) -> Any:
        fits.append(type(self).__name__)
        return rasa_fit(self, *args, **kwargs)

    def recorded_inference(self: RasaModel, *args: Any, **kwargs: Any) -> Any:
        result = rasa_inference(self, *args, **kwargs)
        outputs.append((type(self).__name__, plain(result)))
        return result

    RasaModel.fit = counted_fit  # type: ignore[method-assign]
    RasaModel.run_inference = recorded_inference  # type: ignore[method-assign]
    agent = Agent.load(model)
    asyncio.run(converse(agent, holdout_messages()))
    Path(out).write_text(json.dumps({"fits": fits, "outputs": outputs}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
