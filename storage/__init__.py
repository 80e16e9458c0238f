"""The database floor every room stands on: one engine and session factory per URL
(storage.engine) and one Alembic history for every table of the project (storage.schema,
storage/migrations). Imports only quartierslotse.settings and third-party packages."""
