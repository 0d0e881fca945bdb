"""The store on its own: a fork takes back every write after its block (`rollback`) - the rows
created after it deleted (by the block that created them: inserts carry no undo record), the
rows updated after it restored as they were - and keeps everything before it; the bulk insert
(`insert_rows`, COPY on PostgreSQL) fails as SQLAlchemy's statements do."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from civic_ledger.gateway import schema
from civic_ledger.gateway.db import connect, migrate
from civic_ledger.gateway.store import Store, insert_rows, rollback


def identity(subject: str, status: int = 1) -> dict[str, object]:
    return {"subject": subject, "kind": 0, "status": status, "controller": "0x" + "22" * 20,
            "registered_at": 1}  # fmt: skip


def written(store: Store, block: int, *subjects: str) -> None:
    store.block = block
    for subject in subjects:
        store.insert(schema.identities, **identity(subject))
    store.flush()


def test_a_rollback_deletes_the_rows_created_after_the_fork_and_restores_the_updated(database):
    engine = connect(database)
    migrate(engine)
    with engine.begin() as conn:
        old = Store(conn, undoable=False)  # caught up: no undo records
        written(old, 10, "0xa0")
        store = Store(conn, undoable=True)  # near the head
        written(store, 20, "0xb0")
        written(store, 21, "0xc0", "0xc1")  # inserts only after the fork
        store.block = 22
        store.update(schema.identities, {"subject": "0xb0"}, status=2)
        store.update(schema.identities, {"subject": "0xc0"}, status=2)  # created, then updated
        store.flush()
        undo = conn.execute(select(schema.undo.c.previous)).scalars().all()
        assert len(undo) == 2 and None not in undo  # the updates' records only

        rollback(conn, 20)

        rows = conn.execute(select(schema.identities.c.subject, schema.identities.c.status,
                                   schema.identities.c.block,
                                   schema.identities.c.created_block)).all()  # fmt: skip
        assert sorted(rows) == [("0xa0", 1, 10, 10), ("0xb0", 1, 20, 20)]
        assert conn.execute(select(schema.undo)).all() == []


def test_a_failed_bulk_insert_is_sqlalchemys_error(database):
    """`insert_rows` (COPY on PostgreSQL) fails as any statement does: an IntegrityError."""
    engine = connect(database)
    migrate(engine)
    rows = [{"number": 1, "hash": "0x" + "11" * 32, "time": 1}] * 2
    with pytest.raises(IntegrityError), engine.begin() as conn:
        insert_rows(conn, schema.blocks, rows)


@pytest.mark.postgres
def test_a_bulk_insert_on_a_dropped_connection_is_marked_invalidated(postgres_server):
    """The server dropped the indexer's connection (a restart) during a COPY: the error says
    the connection was invalidated, which `Indexer.follow` retries, and the next transaction
    gets a new connection."""
    name = postgres_server.create_database()
    engine = connect(postgres_server.url(name))
    migrate(engine)
    rows = [{"number": n, "hash": "0x" + "11" * 32, "time": 1} for n in range(3)]
    with engine.connect() as conn:
        conn.begin()
        insert_rows(conn, schema.blocks, rows[:1])
        postgres_server.admin_sql(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        )
        with pytest.raises(DBAPIError) as caught:
            insert_rows(conn, schema.blocks, rows[1:])
        assert caught.value.connection_invalidated
    with engine.begin() as conn:
        insert_rows(conn, schema.blocks, rows)
        assert conn.execute(select(func.count()).select_from(schema.blocks)).scalar() == 3
    engine.dispose()
    postgres_server.drop_database(name)
