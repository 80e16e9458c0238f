"""Fixtures shared by the channel tests."""

from __future__ import annotations

import pytest

from channels import telegram
from channels.telegram import ChatRegistry


@pytest.fixture(autouse=True)
def fresh_chats(monkeypatch: pytest.MonkeyPatch) -> ChatRegistry:
    """No blocked or throttled Telegram chats left over from another test."""
    chats = ChatRegistry()
    monkeypatch.setattr(telegram, "CHATS", chats)
    return chats
