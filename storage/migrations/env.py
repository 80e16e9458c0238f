"""Alembic environment: runs the migrations on the connection storage.schema hands in."""

from __future__ import annotations

from alembic import context

config = context.config


def run_migrations() -> None:
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
