"""The gateway's Alembic migrations: a database made by an older release (at revision 0001,
before published access receipts) is brought to the newest schema by `db.migrate`, and then
matches `schema.py` exactly (what a fresh database gets from create_all)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from civic_ledger.gateway import schema
from civic_ledger.gateway.db import alembic_config, connect, migrate

NEW_IN_0002 = {"access_receipts"}


def test_a_0001_database_upgrades_to_the_schema(tmp_path: Path) -> None:
    engine = connect(str(tmp_path / "old.sqlite"))
    old = [t for name, t in schema.metadata.tables.items() if name not in NEW_IN_0002]
    schema.metadata.create_all(engine, tables=old)
    command.stamp(alembic_config(engine), "0001")
    assert migrate(engine) == "upgraded"
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) >= NEW_IN_0002
        assert MigrationContext.configure(conn).get_current_revision() == "0002"
        assert compare_metadata(MigrationContext.configure(conn), schema.metadata) == []
    assert migrate(engine) == "current"
    command.downgrade(alembic_config(engine), "0001")
    with engine.connect() as conn:
        assert not NEW_IN_0002 & set(inspect(conn).get_table_names())


def test_a_new_database_is_created_at_the_head(tmp_path: Path) -> None:
    engine = connect(str(tmp_path / "new.sqlite"))
    assert migrate(engine) == "created"
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == "0002"
        assert compare_metadata(MigrationContext.configure(conn), schema.metadata) == []
