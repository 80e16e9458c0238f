"""knowledge revision for look-up caches; indexes on the area foreign keys

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

knowledge_revision holds one row (id 1) that every changing import increments; the
in-memory look-up tables (knowledge.lookup) compare it to know when to rebuild.
The indexes serve the area graph (children by parent) and the per-area loads and
cascading deletes of names and postal codes during re-imports.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "knowledge_revision",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(table, [{"id": 1, "revision": 0}])
    op.create_index("ix_area_parent_id", "area", ["parent_id"])
    op.create_index("ix_area_name_area_id", "area_name", ["area_id"])
    op.create_index("ix_area_postal_code_area_id", "area_postal_code", ["area_id"])


def downgrade() -> None:
    op.drop_index("ix_area_postal_code_area_id", table_name="area_postal_code")
    op.drop_index("ix_area_name_area_id", table_name="area_name")
    op.drop_index("ix_area_parent_id", table_name="area")
    op.drop_table("knowledge_revision")
