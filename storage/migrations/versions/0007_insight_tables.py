"""insight tables: state, conversations, messages, review queue

Adopts the tables older versions created with create_all (insight/models.py).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from storage.ddl import ensure_table, index

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

PERIODS = (("day", 10), ("week", 8), ("month", 7))  # YYYY-MM-DD, YYYY-Www, YYYY-MM


def _periods() -> list[sa.Column]:
    return [sa.Column(name, sa.String(length), nullable=False) for name, length in PERIODS]


def upgrade() -> None:
    ensure_table(
        "insight_state",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    ensure_table(
        "insight_conversations",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("sender_hash", sa.String(32), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("last_at", sa.Float(), nullable=False),
        *_periods(),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("municipality", sa.String(128), nullable=False),
        sa.Column("office_area", sa.String(128), nullable=False),
        sa.Column("n_messages", sa.Integer(), nullable=False),
        sa.Column("n_fallback", sa.Integer(), nullable=False),
        sa.Column("main_topic", sa.String(32), nullable=False),
        sa.Column("handoff", sa.SmallInteger(), nullable=False),
        sa.Column("handoff_reason", sa.String(32), nullable=False),
        sa.Column("handoff_at", sa.Float(), nullable=True),
        sa.Column("advisor_reply_at", sa.Float(), nullable=True),
        indexes=(index("ix_insight_conversations_day", "day"),
                 index("ix_insight_conversations_sender", "sender_hash"),
                 index("ix_insight_conversations_municipality", "municipality", "day")),
    )
    ensure_table(
        "insight_messages",
        sa.Column("event_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("conversation_id", sa.BigInteger(), nullable=False),
        *_periods(),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("intent", sa.String(128), nullable=False),
        sa.Column("topic", sa.String(32), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("fallback", sa.SmallInteger(), nullable=False),
        indexes=(index("ix_insight_messages_day", "day"),
                 index("ix_insight_messages_conversation", "conversation_id")),
    )
    ensure_table(
        "insight_review",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.BigInteger(), nullable=False, unique=True),
        sa.Column("conversation_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("municipality", sa.String(128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("predicted_intent", sa.String(128), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("label", sa.String(128), nullable=False),
        sa.Column("annotator", sa.String(128), nullable=False),
        sa.Column("labelled_at", sa.Float(), nullable=True),
        indexes=(index("ix_insight_review_status", "status", "id"),),
    )


def downgrade() -> None:
    for name in ("insight_review", "insight_messages", "insight_conversations", "insight_state"):
        op.drop_table(name)
