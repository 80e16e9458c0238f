"""handoff and advisor console tables

Adopts the tables older versions created with create_all and the ALTER list of
handoff.service (role, emergency_*, alarm_at, waiting_note_at, handed_back_at): what exists is
kept, what is missing is added.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from storage.ddl import ensure_table, index

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ADVISORS_ID = "handoff_advisors.id"


def upgrade() -> None:
    ensure_table(
        "handoff_advisors",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("municipality", sa.String(128), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(32), nullable=False, server_default="advisor"),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("on_duty", sa.Boolean(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        indexes=(index("ix_handoff_advisors_municipality", "municipality"),),
    )
    ensure_table(
        "handoff_console_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("advisor_id", sa.Integer(), sa.ForeignKey(ADVISORS_ID), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        indexes=(index("ix_handoff_console_sessions_advisor_id", "advisor_id"),),
    )
    ensure_table(
        "handoff_tickets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sender_id", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("municipality", sa.String(128), nullable=False),
        sa.Column("place", sa.String(128), nullable=False),
        sa.Column("topic", sa.String(128), nullable=False),
        sa.Column("relation", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("preview", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_by", sa.Integer(), sa.ForeignKey(ADVISORS_ID), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("emergency_tier", sa.String(16), nullable=False, server_default=""),
        sa.Column("emergency_kind", sa.String(16), nullable=False, server_default=""),
        sa.Column("emergency_category", sa.String(64), nullable=False, server_default=""),
        sa.Column("alarm_at", sa.DateTime(), nullable=True),
        sa.Column("waiting_note_at", sa.DateTime(), nullable=True),
        sa.Column("handed_back_at", sa.DateTime(), nullable=True),
        indexes=(index("ix_handoff_tickets_sender_id", "sender_id"),
                 index("ix_handoff_tickets_municipality", "municipality"),
                 index("ix_handoff_tickets_status", "status")),
    )
    ensure_table(
        "handoff_notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("handoff_tickets.id"),
                  nullable=False),
        sa.Column("advisor_id", sa.Integer(), sa.ForeignKey(ADVISORS_ID), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        indexes=(index("ix_handoff_notes_ticket_id", "ticket_id"),),
    )
    ensure_table(
        "handoff_canned_replies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("municipality", sa.String(128), nullable=False),
        sa.Column("title", sa.String(128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        indexes=(index("ix_handoff_canned_replies_municipality", "municipality"),),
    )
    ensure_table(
        "handoff_callbacks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sender_id", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("municipality", sa.String(128), nullable=False),
        sa.Column("topic", sa.String(128), nullable=False),
        sa.Column("phone", sa.String(64), nullable=True),
        sa.Column("preferred_time", sa.String(255), nullable=True),
        sa.Column("consent_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("updated_by", sa.Integer(), sa.ForeignKey(ADVISORS_ID), nullable=True),
        indexes=(index("ix_handoff_callbacks_municipality", "municipality"),),
    )
    ensure_table(
        "handoff_audit",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("municipality", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        indexes=(index("ix_handoff_audit_at", "at"),
                 index("ix_handoff_audit_municipality", "municipality")),
    )


def downgrade() -> None:
    for name in ("handoff_audit", "handoff_callbacks", "handoff_canned_replies", "handoff_notes",
                 "handoff_tickets", "handoff_console_sessions", "handoff_advisors"):
        op.drop_table(name)
