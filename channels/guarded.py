"""The shared public-channel guard (security/), one per channel instance: rate limits, input
normalisation, "/intent" payloads only when the bot offered them as buttons."""

from __future__ import annotations

from functools import cached_property

from quartierslotse.settings import get_settings
from security.channel_guard import ChannelGuard


class GuardedChannel:
    """Mixin for Rasa input channels; `name()` is the input channel's."""

    @classmethod
    def name(cls) -> str:
        raise NotImplementedError

    @cached_property
    def guard(self) -> ChannelGuard:
        return ChannelGuard(get_settings(), self.name())
