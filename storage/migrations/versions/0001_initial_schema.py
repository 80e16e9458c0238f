"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "municipality",
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("as_of", sa.String(length=200), nullable=False),
        sa.Column("example", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("hotline_phone", sa.String(length=100), nullable=True),
        sa.Column("hotline_hours", sa.String(length=200), nullable=True),
        sa.Column("hotline_note", sa.Text(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "area",
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("as_of", sa.String(length=200), nullable=False),
        sa.Column("example", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["municipality_id"], ["municipality.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["parent_id"], ["area.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("municipality_id", "key"),
    )
    op.create_table(
        "office",
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("as_of", sa.String(length=200), nullable=False),
        sa.Column("example", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.Column("traeger", sa.Text(), nullable=True),
        sa.Column("street", sa.String(length=300), nullable=True),
        sa.Column("postal_code", sa.String(length=5), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("coord_precision", sa.String(length=30), nullable=True),
        sa.Column("coord_source", sa.Text(), nullable=True),
        sa.Column("phone", sa.String(length=100), nullable=True),
        sa.Column("phone_more", sa.Text(), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("web", sa.String(length=300), nullable=True),
        sa.Column("accessibility", sa.Text(), nullable=True),
        sa.Column("languages", sa.Text(), nullable=True),
        sa.Column("hours_text", sa.Text(), nullable=True),
        sa.Column("hours_caveat", sa.Text(), nullable=True),
        sa.Column("closed_on_holidays", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["municipality_id"], ["municipality.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("municipality_id", "key"),
    )
    with op.batch_alter_table("office", schema=None) as batch_op:
        batch_op.create_index("ix_office_lat_lon", ["lat", "lon"], unique=False)
        batch_op.create_index("ix_office_lon", ["lon"], unique=False)
        batch_op.create_index(batch_op.f("ix_office_type"), ["type"], unique=False)

    op.create_table(
        "area_name",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("norm", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("area_name", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_area_name_norm"), ["norm"], unique=False)

    op.create_table(
        "area_postal_code",
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("as_of", sa.String(length=200), nullable=False),
        sa.Column("example", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("code_from", sa.String(length=5), nullable=False),
        sa.Column("code_to", sa.String(length=5), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("area_postal_code", schema=None) as batch_op:
        batch_op.create_index("ix_area_postal_code_range", ["code_from", "code_to"], unique=False)

    op.create_table(
        "office_area",
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("office_id", "area_id"),
    )
    with op.batch_alter_table("office_area", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_office_area_area_id"), ["area_id"], unique=False)

    op.create_table(
        "office_exception",
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("as_of", sa.String(length=200), nullable=False),
        sa.Column("example", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("date_from", sa.Date(), nullable=False),
        sa.Column("date_to", sa.Date(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("opens", sa.Time(), nullable=True),
        sa.Column("closes", sa.Time(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("office_exception", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_office_exception_office_id"), ["office_id"], unique=False
        )

    op.create_table(
        "office_topic",
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=50), nullable=False),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("office_id", "topic"),
    )
    with op.batch_alter_table("office_topic", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_office_topic_topic"), ["topic"], unique=False)

    op.create_table(
        "opening_hours",
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("as_of", sa.String(length=200), nullable=False),
        sa.Column("example", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("opens", sa.Time(), nullable=False),
        sa.Column("closes", sa.Time(), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("appointment_only", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("opening_hours", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_opening_hours_office_id"), ["office_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("opening_hours", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opening_hours_office_id"))

    op.drop_table("opening_hours")
    with op.batch_alter_table("office_topic", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_office_topic_topic"))

    op.drop_table("office_topic")
    with op.batch_alter_table("office_exception", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_office_exception_office_id"))

    op.drop_table("office_exception")
    with op.batch_alter_table("office_area", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_office_area_area_id"))

    op.drop_table("office_area")
    with op.batch_alter_table("area_postal_code", schema=None) as batch_op:
        batch_op.drop_index("ix_area_postal_code_range")

    op.drop_table("area_postal_code")
    with op.batch_alter_table("area_name", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_area_name_norm"))

    op.drop_table("area_name")
    with op.batch_alter_table("office", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_office_type"))
        batch_op.drop_index("ix_office_lon")
        batch_op.drop_index("ix_office_lat_lon")

    op.drop_table("office")
    op.drop_table("area")
    op.drop_table("municipality")
