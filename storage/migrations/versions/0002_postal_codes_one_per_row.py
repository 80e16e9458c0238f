"""postal codes one per row (indexed equality lookup instead of range scans)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_COLUMNS = "area_id, source, as_of, example"


def _provenance_columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("as_of", sa.String(length=200), nullable=False),
        sa.Column("example", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    ]


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(f"SELECT {_COLUMNS}, code_from, code_to FROM area_postal_code")
    ).all()
    op.drop_index("ix_area_postal_code_range", table_name="area_postal_code")
    op.drop_table("area_postal_code")
    table = op.create_table(
        "area_postal_code", *_provenance_columns(), sa.Column("code", sa.String(5), nullable=False)
    )
    op.create_index("ix_area_postal_code_code", "area_postal_code", ["code"])
    expanded = [
        {
            "area_id": r.area_id,
            "source": r.source,
            "as_of": r.as_of,
            "example": r.example,
            "code": f"{code:05d}",
        }
        for r in rows
        for code in range(int(r.code_from), int(r.code_to) + 1)
    ]
    if expanded:
        op.bulk_insert(table, expanded)


def downgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text(f"SELECT {_COLUMNS}, code FROM area_postal_code")).all()
    op.drop_index("ix_area_postal_code_code", table_name="area_postal_code")
    op.drop_table("area_postal_code")
    table = op.create_table(
        "area_postal_code",
        *_provenance_columns(),
        sa.Column("code_from", sa.String(5), nullable=False),
        sa.Column("code_to", sa.String(5), nullable=False),
    )
    op.create_index("ix_area_postal_code_range", "area_postal_code", ["code_from", "code_to"])
    restored = [
        {
            "area_id": r.area_id,
            "source": r.source,
            "as_of": r.as_of,
            "example": r.example,
            "code_from": r.code,
            "code_to": r.code,
        }
        for r in rows
    ]
    if restored:
        op.bulk_insert(table, restored)
