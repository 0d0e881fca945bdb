"""Writes to the projections, undoable block by block.

Every projection write goes through `Store`: `insert`, `update` (by primary key) and `add`
(an amount column, as decimal text). While the indexer is within `undo_window` blocks of the
node's head, each update also records how to take it back (the row as it was) in the `undo`
table under its block; an insert needs no record: every projection row keeps the block that
created it (`created_block`). `rollback(fork)` replays the undo records newest first for every
block after `fork`, deletes the rows created after it and cuts the block-numbered tables
(`events`, `blocks`, histories); older undo records are pruned once their blocks are out of
the window, so the undo log stays small. (A NULL `previous` - "delete the row" - is what a
database indexed before revision 0004 may still hold; `rollback` honours it.)
A fork deeper than the window cannot be undone: the indexer starts again from the first block.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Dialect, Table, and_, bindparam, delete, insert, select, update
from sqlalchemy.exc import DBAPIError

from civic_ledger.gateway import schema

_TABLES = {t.name: t for t in schema.PROJECTIONS}

#: JSON text of event arguments and undo records (values JSON has no type for, as text): one
#: encoder built once, not one per call as `json.dumps` with options builds.
json_text = json.JSONEncoder(default=str).encode


class Store:
    """Projection writes for the blocks being indexed, on one connection (one transaction).

    Inserts are buffered per table and written in batches (`flush`, and before any read or
    update of that table), through statements compiled once per table: the indexer's catch-up
    speed is mostly this."""

    def __init__(self, conn: Connection, *, undoable: bool) -> None:
        self.conn = conn
        self.undoable = undoable
        self.block = -1
        #: What one event leaves for a later one of the same transaction (e.g. the holder a
        #: title's mint names before the parcel's own event).
        self.scratch: dict[tuple[str, str], object] = {}
        self._inserts: dict[str, list[dict[str, Any]]] = {}
        self._undo: list[dict[str, Any]] = []

    # -- reads ---------------------------------------------------------------------------

    def get(self, table: Table, **key: Any) -> dict[str, Any] | None:
        self._flush_table(table)
        row = self.conn.execute(_select_by_key(table), _key_params(key)).mappings().first()
        return dict(row) if row else None

    # -- writes --------------------------------------------------------------------------

    def insert(self, table: Table, **values: Any) -> None:
        """A new row (written, and for a projection created, at the current block: a fork
        deletes it by that block, no undo record needed)."""
        if "block" in table.c:
            values["block"] = self.block
        if table.name in _TABLES:
            values["created_block"] = self.block
        self._inserts.setdefault(table.name, []).append(values)

    def update(self, table: Table, key: Mapping[str, Any], **changes: Any) -> bool:
        """Change the row with primary key `key`; False (nothing written) if there is none."""
        self._flush_table(table)
        if self.undoable:
            previous = self.get(table, **key)
            if previous is None:
                return False
            self._remember(table, dict(key), previous)
        if "block" in table.c:
            changes["block"] = self.block
        result = self.conn.execute(_update_by_key(table), {**changes, **_key_params(key)})
        return result.rowcount > 0

    def add(self, table: Table, key: Mapping[str, Any], **amounts: int) -> bool:
        """Add `amounts` to decimal-text amount columns of the row with primary key `key`."""
        row = self.get(table, **key)
        if row is None:
            return False
        return self.update(table, key, **{c: str(int(row[c]) + int(v)) for c, v in amounts.items()})

    def flush(self) -> None:
        """Write every buffered insert and undo record."""
        for name in list(self._inserts):
            self._flush_table(_ALL[name])
        if self._undo:
            insert_rows(self.conn, schema.undo, self._undo)
            self._undo = []

    def _flush_table(self, table: Table) -> None:
        rows = self._inserts.pop(table.name, None)
        if not rows:
            return
        by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            by_shape.setdefault(tuple(row), []).append(row)
        for same in by_shape.values():
            insert_rows(self.conn, table, same)

    # -- undo ----------------------------------------------------------------------------

    def _remember(self, table: Table, key: dict[str, Any], previous: dict[str, Any] | None) -> None:
        self._undo.append({
            "block": self.block,
            "table_name": table.name,
            "key": _sorted_json(key),
            "previous": None if previous is None else json_text(previous),
        })  # fmt: skip


_ALL = {t.name: t for t in schema.metadata.sorted_tables}
_sorted_json = json.JSONEncoder(sort_keys=True).encode


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into `table`: on PostgreSQL one `COPY ... FROM
    STDIN`, elsewhere one `executemany` of the statement compiled once per (dialect, table,
    keys); the values passed through the columns' bind processors - what
    `conn.execute(insert(table), rows)` does, without building each row's parameters through
    SQLAlchemy's compiler (most of the indexer's write time). Tables whose omitted columns
    have Python-side defaults take SQLAlchemy's own path."""
    if not rows:
        return
    plan = _insert_plan(conn.dialect, table, tuple(rows[0]))
    if plan is None:
        conn.execute(insert(table), rows)
        return
    sql, how, values, processed = plan
    if how == "named":  # the rows themselves, processed values replaced
        params: list[Any] = rows if not processed else [
            {**row, **{names: p(row[names]) for names, p in processed}} for row in rows
        ]  # fmt: skip
    elif not processed:
        params = [values(row) for row in rows]
    else:
        params = []
        for row in rows:
            row_values = list(values(row))
            for i, p in processed:
                row_values[i] = p(row_values[i])
            params.append(tuple(row_values))
    if how == "copy":
        _copy(conn, sql, params)
    else:
        conn.exec_driver_sql(sql, params)


def _copy(conn: Connection, sql: str, params: list[tuple[Any, ...]]) -> None:
    """`COPY ... FROM STDIN` of `params` on the connection's psycopg connection, a failure
    raised as SQLAlchemy's (a dropped connection marked invalidated: `follow` retries)."""
    dbapi = conn.dialect.loaded_dbapi
    try:
        with conn.connection.driver_connection.cursor() as cursor, cursor.copy(sql) as out:
            for row in params:
                out.write_row(row)
    except dbapi.Error as exc:
        dropped = conn.dialect.is_disconnect(exc, conn.connection.dbapi_connection, None)
        if dropped:
            conn.invalidate(exc)
        raise DBAPIError.instance(sql, None, exc, dbapi.Error,
                                  connection_invalidated=dropped) from exc  # fmt: skip


@cache
def _insert_plan(dialect: Dialect, table: Table, keys: tuple[str, ...]) -> Any:
    """(SQL text, how - "copy" (PostgreSQL), "positional" or "named" parameters -, a row's
    values in parameter order (a tuple, by `operator.itemgetter`), [(parameter index - key if
    named -, bind processor)] for the columns that have one) or None."""
    if any(c.default is not None for c in table.c if c.key not in keys):
        return None
    processors = {c.key: c.type.dialect_impl(dialect).bind_processor(dialect) for c in table.c}
    if dialect.name == "postgresql":
        quote = dialect.identifier_preparer.quote
        names: Any = list(keys)
        sql = (f"COPY {dialect.identifier_preparer.format_table(table)} "
               f"({', '.join(quote(table.c[k].name) for k in names)}) FROM STDIN")  # fmt: skip
        how = "copy"
    else:
        compiled = insert(table).compile(dialect=dialect, column_keys=list(keys))
        names = compiled.positiontup if compiled.positional else list(compiled.binds)
        if names is None or set(names) != set(keys):
            return None
        sql, how = compiled.string, "positional" if compiled.positional else "named"
    get = itemgetter(*names)
    values = get if len(names) > 1 else lambda row: (get(row),)
    processed = [(k if how == "named" else i, processors[k])
                 for i, k in enumerate(names) if processors[k] is not None]  # fmt: skip
    return sql, how, values, processed


@cache
def _select_by_key(table: Table) -> Any:
    return select(table).where(*(c == bindparam(f"k_{c.name}") for c in table.primary_key))


@cache
def _update_by_key(table: Table) -> Any:
    return update(table).where(*(c == bindparam(f"k_{c.name}") for c in table.primary_key))


def _key_params(key: Mapping[str, Any]) -> dict[str, Any]:
    return {f"k_{name}": value for name, value in key.items()}


def rollback(conn: Connection, fork: int) -> None:
    """Take back everything indexed after block `fork`: the updates newest first (from their
    undo records), then the rows created after it (by `created_block`; found through `block`,
    indexed, which an update only raises), then the block-numbered tables."""
    rows = conn.execute(
        select(schema.undo).where(schema.undo.c.block > fork).order_by(schema.undo.c.id.desc())
    ).mappings()
    for row in list(rows):
        table = _TABLES[row["table_name"]]
        key = json.loads(row["key"])
        if row["previous"] is None:
            conn.execute(delete(table).where(_match(table, key)))
        else:
            conn.execute(
                update(table).where(_match(table, key)).values(**json.loads(row["previous"]))
            )
    for table in schema.PROJECTIONS:
        conn.execute(delete(table).where(table.c.block > fork, table.c.created_block > fork))
    conn.execute(delete(schema.undo).where(schema.undo.c.block > fork))
    for table in schema.BY_BLOCK:
        column = table.c.number if table is schema.blocks else table.c.block
        conn.execute(delete(table).where(column > fork))


def prune(conn: Connection, below: int) -> None:
    """Forget undo records of blocks before `below` (out of the reorg window)."""
    conn.execute(delete(schema.undo).where(schema.undo.c.block < below))


def _match(table: Table, key: Mapping[str, Any]) -> Any:
    return and_(*(table.c[name] == value for name, value in key.items()))
