"""Alembic environment: runs on the engine the gateway passes in (`db.alembic_config`)."""

from __future__ import annotations

from alembic import context

from civic_ledger.gateway import schema

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=schema.metadata,
                      render_as_batch=connection.dialect.name == "sqlite")  # fmt: skip
    with context.begin_transaction():
        context.run_migrations()
