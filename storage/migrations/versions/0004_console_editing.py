"""console editing: office version, notices, edit revisions

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

office.version is the optimistic lock of the console's office form; notice holds the
"Aktuelle Hinweise" of offices and municipalities; edit_revision the history (before/after
in the file format) behind "Änderung zurücknehmen".
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _provenance() -> list[sa.Column]:
    return [
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("as_of", sa.String(200), nullable=False),
        sa.Column("example", sa.Boolean(), nullable=False),
    ]


def upgrade() -> None:
    with op.batch_alter_table("office") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "municipality_id",
            sa.Integer(),
            sa.ForeignKey("municipality.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("office_id", sa.Integer(), sa.ForeignKey("office.id", ondelete="CASCADE")),
        sa.Column("date_from", sa.Date(), nullable=False),
        sa.Column("date_to", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        *_provenance(),
    )
    op.create_index("ix_notice_municipality_id", "notice", ["municipality_id"])
    op.create_index("ix_notice_office_id", "notice", ["office_id"])
    op.create_table(
        "edit_revision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "municipality_id",
            sa.Integer(),
            sa.ForeignKey("municipality.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("office_key", sa.String(100)),
        sa.Column("account", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("reverts_id", sa.Integer()),
        sa.Column("reverted_by_id", sa.Integer()),
    )
    op.create_index("ix_edit_revision_municipality_id", "edit_revision", ["municipality_id"])
    op.create_index("ix_edit_revision_office_key", "edit_revision", ["office_key"])


def downgrade() -> None:
    op.drop_table("edit_revision")
    op.drop_table("notice")
    with op.batch_alter_table("office") as batch:
        batch.drop_column("version")
