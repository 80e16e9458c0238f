"""Insight's own tables (aggregates and the review queue). They live in the application
database (settings.insight_database_url, default database_url), never in the tracker store,
which insight only reads; storage/migrations (revision 0007) creates them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)

metadata = MetaData()

# key/value state: last ingested event id, the salt for sender pseudonyms
state = Table(
    "insight_state",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# one row per conversation (Rasa session); id = tracker-store id of its first event
conversations = Table(
    "insight_conversations",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("sender_hash", String(32), nullable=False),
    Column("started_at", Float, nullable=False),
    Column("last_at", Float, nullable=False),
    Column("day", String(10), nullable=False),  # local date YYYY-MM-DD
    Column("week", String(8), nullable=False),  # ISO week YYYY-Www
    Column("month", String(7), nullable=False),  # YYYY-MM
    Column("channel", String(32), nullable=False, default=""),
    Column("municipality", String(128), nullable=False, default=""),
    Column("office_area", String(128), nullable=False, default=""),
    Column("n_messages", Integer, nullable=False, default=0),
    Column("n_fallback", Integer, nullable=False, default=0),
    Column("main_topic", String(32), nullable=False, default=""),
    Column("handoff", SmallInteger, nullable=False, default=0),
    Column("handoff_reason", String(32), nullable=False, default=""),
    Column("handoff_at", Float, nullable=True),
    Column("advisor_reply_at", Float, nullable=True),
)
Index("ix_insight_conversations_day", conversations.c.day)
Index("ix_insight_conversations_sender", conversations.c.sender_hash)
Index("ix_insight_conversations_municipality", conversations.c.municipality, conversations.c.day)

# one row per user message (no text)
messages = Table(
    "insight_messages",
    metadata,
    Column("event_id", BigInteger, primary_key=True, autoincrement=False),
    Column("conversation_id", BigInteger, nullable=False),
    Column("day", String(10), nullable=False),
    Column("week", String(8), nullable=False),
    Column("month", String(7), nullable=False),
    Column("weekday", SmallInteger, nullable=False),  # 0 = Monday, local time
    Column("hour", SmallInteger, nullable=False),  # 0-23, local time
    Column("intent", String(128), nullable=False, default=""),
    Column("topic", String(32), nullable=False, default=""),
    Column("confidence", Float, nullable=True),
    Column("fallback", SmallInteger, nullable=False, default=0),
)
Index("ix_insight_messages_day", messages.c.day)
Index("ix_insight_messages_conversation", messages.c.conversation_id)

# review queue: redacted texts the bot did not understand or answered with low confidence
review = Table(
    "insight_review",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", BigInteger, nullable=False, unique=True),
    Column("conversation_id", BigInteger, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("day", String(10), nullable=False),
    Column("municipality", String(128), nullable=False, default=""),
    Column("text", Text, nullable=False),  # redacted with privacy.redaction
    Column("predicted_intent", String(128), nullable=False, default=""),
    Column("confidence", Float, nullable=True),
    Column("reason", String(32), nullable=False),  # fallback | low_confidence
    # open | labelled | out_of_scope | discarded
    Column("status", String(16), nullable=False, default="open"),
    Column("label", String(128), nullable=False, default=""),
    Column("annotator", String(128), nullable=False, default=""),
    Column("labelled_at", Float, nullable=True),
)
Index("ix_insight_review_status", review.c.status, review.c.id)
