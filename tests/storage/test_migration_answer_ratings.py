"""Migration 0008 on SQLite and PostgreSQL: an existing 0007 database with a web chat rating
keeps it as a "webchat" row of `answer_ratings`, gets `telegram_answers`, and the downgrade
gives back the old table with the same row."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from alembic import command

from channels.ratings import Rating
from storage.engine import get_engine, session_scope
from storage.schema import alembic_config, current_revision, upgrade
from tests.storage.test_migrations import differences

RATED_AT = datetime(2026, 11, 30, 9, 15)


def _rate_at_0007(url: str) -> None:
    upgrade(url, "0007")
    with get_engine(url).begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO webchat_outbox (sender, role, text, response, created_at) "
            "VALUES ('webchat:alt-aaaaaaaa', 'bot', 'Antwort', 'utter_ask_pflegegrad/frist', :t)"),
            {"t": RATED_AT})
        conn.execute(sa.text(
            "INSERT INTO webchat_ratings (sender, message_id, response, topic, municipality, "
            "value, text, created_at) VALUES ('webchat:alt-aaaaaaaa', 1, "
            "'utter_ask_pflegegrad/frist', 'pflege', 'Dortmund', 'nicht_hilfreich', "
            "'Die Frist fehlt', :t)"), {"t": RATED_AT})


def _tables(url: str) -> set[str]:
    return set(sa.inspect(get_engine(url)).get_table_names())


def test_upgrade_keeps_the_web_chat_rating(database_url: str) -> None:
    _rate_at_0007(database_url)
    upgrade(database_url)
    assert current_revision(database_url) == "0008"
    assert differences(database_url) == []
    tables = _tables(database_url)
    assert "answer_ratings" in tables and "telegram_answers" in tables
    assert "webchat_ratings" not in tables
    with session_scope(database_url) as session:
        rows = [(r.channel, r.sender, r.message_id, r.value, r.text, r.municipality)
                for r in session.scalars(sa.select(Rating))]
    assert rows == [("webchat", "webchat:alt-aaaaaaaa", 1, "nicht_hilfreich", "Die Frist fehlt",
                     "Dortmund")]
    # one rating per (channel, message): the same message id of another channel is fine
    with get_engine(database_url).begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO answer_ratings (channel, sender, message_id, municipality, value, text, "
            "created_at) VALUES ('telegram', '4711', 1, '', 'hilfreich', '', :t)"),
            {"t": RATED_AT})
    with pytest.raises(sa.exc.IntegrityError), get_engine(database_url).begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO answer_ratings (channel, sender, message_id, municipality, value, text, "
            "created_at) VALUES ('telegram', '4711', 1, '', 'hilfreich', '', :t)"),
            {"t": RATED_AT})


def test_downgrade_gives_back_the_web_chat_table(database_url: str) -> None:
    _rate_at_0007(database_url)
    upgrade(database_url)
    with get_engine(database_url).begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO answer_ratings (channel, sender, message_id, municipality, value, text, "
            "created_at) VALUES ('telegram', '4711', 1, '', 'hilfreich', '', :t)"),
            {"t": RATED_AT})
    with get_engine(database_url).begin() as connection:
        command.downgrade(alembic_config(connection), "0007")
    assert current_revision(database_url) == "0007"
    tables = _tables(database_url)
    assert "webchat_ratings" in tables
    assert not {"answer_ratings", "telegram_answers"} & tables
    with get_engine(database_url).connect() as conn:
        rows = conn.execute(sa.text("SELECT sender, value FROM webchat_ratings")).all()
    assert [tuple(r) for r in rows] == [("webchat:alt-aaaaaaaa", "nicht_hilfreich")]
    upgrade(database_url)  # and up again
    assert current_revision(database_url) == "0008"
    assert differences(database_url) == []
