"""One-statement reads on PostgreSQL's asyncio driver, for the API's busiest route (`verify`).

SQLAlchemy's engine is synchronous: on PostgreSQL a read runs in a worker thread, and the
thread hop and the GIL hand-offs between the event loop and the workers cost the API process
more CPU than the statement itself - more as requests queue, so a process near its capacity
tips over (measured with `ape run bench`'s load client: 1.3-1.5 ms of server CPU per `verify`
at 500 req/s, 2.1 ms at 1,000 req/s, where the process saturated at about 680 req/s). Here the
statement, compiled once from the same SQLAlchemy `Select` the SQLite path runs, is sent
through psycopg's asyncio connection pool (psycopg-pool) on the event loop: no thread, about
0.9 ms per request, so one process answers about 1,000 req/s (p99 8.5 ms in one run at that
rate, at its limit in another) on the same machine.

The pool belongs to the app's lifespan (`api.create_app`): opened at start-up (connecting in
the background: a database that is down at start-up is retried, as the engine's pool would),
closed at shutdown. A statement that meets a connection the server dropped (a restart, a
failover) has the pool check its idle connections and is sent once more - what
`db.again_if_dropped` does for the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from sqlalchemy import Dialect, Engine, Select

#: Connections of one API process's pool: an asyncio process keeps only as many statements in
#: flight as the server answers at once (a handful on a local server), more for a remote one.
MIN_CONNECTIONS = 2
MAX_CONNECTIONS = 20
#: Seconds a request waits for a free connection before it fails (the engine pool's timeout).
WAIT = 10.0


class AsyncReads:
    """An asyncio connection pool to the engine's PostgreSQL database, for one-statement
    reads (`first`)."""

    def __init__(self, engine: Engine) -> None:
        from psycopg import OperationalError
        from psycopg.rows import dict_row
        from psycopg_pool import AsyncConnectionPool

        self.dialect = engine.dialect
        self._dropped = OperationalError  # what a connection the server dropped raises
        conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.pool = AsyncConnectionPool(
            conninfo,
            min_size=MIN_CONNECTIONS,
            max_size=MAX_CONNECTIONS,
            timeout=WAIT,
            open=False,
            kwargs={"autocommit": True, "row_factory": dict_row},
            name="civic-gateway-reads",
        )

    @classmethod
    def for_engine(cls, engine: Engine) -> AsyncReads | None:
        """A pool for a PostgreSQL engine; None for SQLite (read on the event loop directly)."""
        return cls(engine) if engine.dialect.name == "postgresql" else None

    async def open(self) -> None:
        await self.pool.open()

    async def close(self) -> None:
        await self.pool.close()

    async def first(self, statement: Select, params: Mapping[str, Any]) -> dict[str, Any] | None:
        """The first row of `statement` (one statement: consistent by itself, no transaction)
        as a dict by result key, values as SQLAlchemy would give them; None if it has none."""
        sql, bind, result = _compiled(self.dialect, statement)
        values = {name: (p(params[name]) if p else params[name]) for name, p in bind.items()}
        for attempt in (1, 2):
            try:
                async with self.pool.connection() as conn:
                    row = await (await conn.execute(sql, values)).fetchone()
                break
            except self._dropped:
                if attempt == 2:
                    raise
                await self.pool.check()  # the dropped connections replaced; once more
        if row is None or not result:
            return row
        return {key: (result[key](value) if key in result else value)
                for key, value in row.items()}  # fmt: skip


Processor = Callable[[Any], Any]


@cache
def _compiled(
    dialect: Dialect, statement: Select
) -> tuple[str, dict[str, Processor | None], dict[str, Processor]]:
    """(SQL text with the driver's named parameters, each parameter's bind processor, the
    result processors by result key) of `statement`, once per statement."""
    compiled = statement.compile(dialect=dialect)
    bind = {
        name: param.type.dialect_impl(dialect).bind_processor(dialect)
        for name, param in compiled.binds.items()
    }
    result = {}
    for column in statement.selected_columns:
        processor = column.type.dialect_impl(dialect).result_processor(dialect, None)
        if processor is not None:
            result[column.key] = processor
    return compiled.string, bind, result
