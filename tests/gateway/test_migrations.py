"""The gateway's Alembic migrations: a database made by an older release (at revision 0001,
before published access receipts, the cursor's event count and the rows' creating block) is
brought to the newest schema by `db.migrate`, and then matches `schema.py` exactly (what a
fresh database gets from create_all); the event count it is given is the events it holds."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, insert, inspect, select

from civic_ledger.gateway import schema
from civic_ledger.gateway.db import alembic_config, connect, migrate

NEW_IN_0002 = {"access_receipts"}
NEW_IN_0003 = {("cursor", "events")}
NEW_IN_0004 = {(t.name, "created_block") for t in schema.PROJECTIONS}
HEAD = "0004"


def create_at_0001(engine: Engine) -> None:
    """The tables as release 0001 made them."""
    schema.metadata.create_all(
        engine, tables=[t for name, t in schema.metadata.tables.items() if name not in NEW_IN_0002]
    )
    with engine.begin() as conn:
        for table, column in NEW_IN_0003 | NEW_IN_0004:
            conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN {column}")


def test_a_0001_database_upgrades_to_the_schema(tmp_path: Path) -> None:
    engine = connect(str(tmp_path / "old.sqlite"))
    create_at_0001(engine)
    with engine.begin() as conn:  # an index with two events in it
        conn.execute(insert(schema.events), [
            {"block": 5, "log_index": i, "time": 1, "tx_hash": "0x" + "11" * 32, "contract": "C",
             "event": "E", "actor": "0x" + "22" * 20, "ref": "r", "args": "{}"} for i in (0, 1)
        ])  # fmt: skip
        conn.exec_driver_sql("INSERT INTO cursor (id, block, reorgs) VALUES (1, 5, 0)")
        conn.exec_driver_sql("INSERT INTO identities (subject, kind, status, controller, "
                             "registered_at, block) VALUES ('0x01', 0, 1, '0x02', 1, 5)")  # fmt: skip
        conn.exec_driver_sql("INSERT INTO gateway_meta (key, value) VALUES ('undo_from', '3')")
    command.stamp(alembic_config(engine), "0001")
    assert migrate(engine) == "upgraded"
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) >= NEW_IN_0002
        assert MigrationContext.configure(conn).get_current_revision() == HEAD
        assert compare_metadata(MigrationContext.configure(conn), schema.metadata) == []
        assert conn.execute(select(schema.cursor.c.events)).scalar() == 2
        assert conn.execute(select(func.count()).select_from(schema.events)).scalar() == 2
        # created before 0004: never deleted by a rollback's created_block (its undo record is)
        assert conn.execute(select(schema.identities.c.created_block)).scalar() == -1
    assert migrate(engine) == "current"
    command.downgrade(alembic_config(engine), "0001")
    with engine.connect() as conn:
        assert not NEW_IN_0002 & set(inspect(conn).get_table_names())
        # the older code's rollback would keep rows created since 0004: forks re-index instead
        assert conn.execute(select(schema.gateway_meta.c.value)).scalars().all() == []


def test_a_new_database_is_created_at_the_head(tmp_path: Path) -> None:
    engine = connect(str(tmp_path / "new.sqlite"))
    assert migrate(engine) == "created"
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == HEAD
        assert compare_metadata(MigrationContext.configure(conn), schema.metadata) == []
