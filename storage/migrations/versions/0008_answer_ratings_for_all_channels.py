"""ratings of every channel; Telegram answers

`webchat_ratings` becomes `answer_ratings` with a `channel` column (existing rows: "webchat")
and one rating per (channel, message_id); `telegram_answers` records the rateable answers sent
to a Telegram chat (channels/ratings.py).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _rename_pg_internals(old: str, new: str) -> None:
    """PostgreSQL keeps the primary key index and the id sequence under the old table name."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f'ALTER INDEX IF EXISTS "{old}_pkey" RENAME TO "{new}_pkey"')
    op.execute(f'ALTER SEQUENCE IF EXISTS "{old}_id_seq" RENAME TO "{new}_id_seq"')


def upgrade() -> None:
    op.drop_index("ix_webchat_ratings_sender", table_name="webchat_ratings")
    op.rename_table("webchat_ratings", "answer_ratings")
    _rename_pg_internals("webchat_ratings", "answer_ratings")
    with op.batch_alter_table("answer_ratings") as batch:
        batch.add_column(sa.Column("channel", sa.String(16), nullable=False,
                                   server_default="webchat"))
        batch.drop_constraint("uq_webchat_ratings_message", type_="unique")
        batch.create_unique_constraint("uq_answer_ratings_channel_message",
                                       ["channel", "message_id"])
    with op.batch_alter_table("answer_ratings") as batch:
        batch.alter_column("channel", server_default=None, existing_type=sa.String(16),
                           existing_nullable=False)
    op.create_index("ix_answer_ratings_sender", "answer_ratings", ["sender"])
    op.create_table(
        "telegram_answers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sender", sa.String(64), nullable=False),
        sa.Column("response", sa.String(128), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("feedback_prompt_id", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_telegram_answers_sender", "telegram_answers", ["sender"])


def downgrade() -> None:
    op.drop_table("telegram_answers")
    # the old table knows only web chat messages (one rating per message_id)
    op.execute("DELETE FROM answer_ratings WHERE channel <> 'webchat'")
    op.drop_index("ix_answer_ratings_sender", table_name="answer_ratings")
    with op.batch_alter_table("answer_ratings") as batch:
        batch.drop_constraint("uq_answer_ratings_channel_message", type_="unique")
        batch.create_unique_constraint("uq_webchat_ratings_message", ["message_id"])
        batch.drop_column("channel")
    _rename_pg_internals("answer_ratings", "webchat_ratings")
    op.rename_table("answer_ratings", "webchat_ratings")
    op.create_index("ix_webchat_ratings_sender", "webchat_ratings", ["sender"])
