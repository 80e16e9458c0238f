"""web chat outbox and ratings

Adopts the tables older versions created with create_all (channels/outbox.py) and the ALTER
that added webchat_outbox.response.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from storage.ddl import ensure_table, index

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ensure_table(
        "webchat_outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sender", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("buttons", sa.Text(), nullable=True),
        sa.Column("handoff", sa.String(32), nullable=True),
        sa.Column("response", sa.String(128), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        indexes=(index("ix_webchat_outbox_sender", "sender"),),
    )
    ensure_table(
        "webchat_ratings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sender", sa.String(64), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("response", sa.String(128), nullable=True),
        sa.Column("topic", sa.String(32), nullable=True),
        sa.Column("municipality", sa.String(128), nullable=False),
        sa.Column("value", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("message_id", name="uq_webchat_ratings_message"),
        indexes=(index("ix_webchat_ratings_sender", "sender"),),
    )


def downgrade() -> None:
    for name in ("webchat_ratings", "webchat_outbox"):
        op.drop_table(name)
