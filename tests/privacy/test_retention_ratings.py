"""Ratings of web chat answers (answer_ratings) are deleted with their conversation and after
the retention period, like the outbox."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

from channels.outbox import Outbox
from privacy.retention import delete_conversation, run_retention
from quartierslotse.settings import Settings


def _rated(outbox: Outbox, sender: str) -> None:
    answer = outbox.append_sync(sender, "bot", "Antwort", response="utter_ask_wohnen/umbau")
    assert outbox.rate_sync(sender, answer["id"], "nicht_hilfreich", "zu kurz")


def _senders(url: str) -> list[str]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = sorted(s for (s,) in conn.execute(sa.text("SELECT sender FROM answer_ratings")))
    engine.dispose()
    return found


def test_ratings_go_with_the_conversation_and_after_the_period(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, retention_days=30)
    outbox = Outbox(settings.database_url)
    for sender in ("webchat:old-aaaaaaaa", "webchat:new-bbbbbbbb", "webchat:ask-cccccccc"):
        _rated(outbox, sender)
    engine = sa.create_engine(settings.database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE answer_ratings SET created_at = :t WHERE sender = :s"),
                     {"t": datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(days=31),
                      "s": "webchat:old-aaaaaaaa"})
    engine.dispose()
    counts = run_retention(settings)
    assert counts["answer_ratings"] == 1
    assert _senders(settings.database_url) == ["webchat:ask-cccccccc", "webchat:new-bbbbbbbb"]
    counts = delete_conversation(settings, "webchat:ask-cccccccc")
    assert counts["answer_ratings"] == 1
    assert _senders(settings.database_url) == ["webchat:new-bbbbbbbb"]
