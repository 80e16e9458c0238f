"""Idempotent DDL for migrations that adopt tables older versions created with `create_all`
and a hand-written ALTER list: a missing table is created, an existing one gets only the
columns and indexes it lacks. Used inside Alembic revisions (alembic.op)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from alembic import op


@dataclass(frozen=True)
class IndexSpec:
    name: str
    columns: tuple[str, ...]
    unique: bool = False


def index(name: str, *columns: str, unique: bool = False) -> IndexSpec:
    return IndexSpec(name, columns, unique)


def ensure_table(name: str, *elements: sa.Column | sa.Constraint,
                 indexes: tuple[IndexSpec, ...] = ()) -> None:
    """Create table `name` with its columns, constraints and indexes, or add to an existing
    table the columns and indexes it lacks (new columns need a server default or NULL)."""
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table(name):
        op.create_table(name, *elements)
    else:
        _add_missing_columns(inspector, name, [e for e in elements if isinstance(e, sa.Column)])
    existing = {i["name"] for i in sa.inspect(op.get_bind()).get_indexes(name)}
    for spec in indexes:
        if spec.name not in existing:
            op.create_index(spec.name, name, list(spec.columns), unique=spec.unique)


def _add_missing_columns(inspector: sa.engine.Inspector, table: str,
                         columns: list[sa.Column]) -> None:
    present = {c["name"] for c in inspector.get_columns(table)}
    for column in columns:
        if column.name not in present:
            op.add_column(table, column)
