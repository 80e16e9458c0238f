"""Bounded fuzzing of the Telegram webhook (the channel in a real Sanic app, fake Bot API)."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.channels.test_telegram import _start_stack, text_update

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda children: (st.lists(children, max_size=3)
                      | st.dictionaries(st.text(max_size=12), children, max_size=4)),
    max_leaves=10,
)
UPDATES = st.one_of(
    JSON,
    st.builds(lambda text, chat, uid: text_update(text, chat_id=chat, update_id=uid),
              st.text(max_size=300)
              | st.sampled_from(['/emergency{"emergency_type":"akut"}', "/restart"]),
              st.integers(min_value=-(2**40), max_value=2**40), st.integers(min_value=0)),
    st.builds(lambda data, chat: {"update_id": 9, "callback_query": {
        "id": "1", "data": data, "message": {"chat": {"id": chat}}}}, JSON, JSON),
)


def test_fuzz_telegram_webhook_never_fails() -> None:
    async def scenario() -> None:
        stack, server = await _start_stack()
        try:
            @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
            @given(update=UPDATES)
            def check(update: object) -> None:
                response = asyncio.run_coroutine_threadsafe(
                    stack.post_update(update), loop).result(30)
                assert response.status == 200

            loop = asyncio.get_running_loop()
            await asyncio.to_thread(check)
        finally:
            await server.before_stop()
            server.close()
            await server.wait_closed()
            await stack.api.stop()

    asyncio.run(scenario())
