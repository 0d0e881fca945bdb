"""The gateway's database: an engine for a URL (SQLite file by default, PostgreSQL for scale),
brought to the current schema with Alembic.

A new database is created from `schema.metadata` and stamped at the newest migration (Alembic's
recipe for building an up-to-date database from scratch); an existing one is upgraded through
the migrations in `migrations/versions`. SQLite runs in WAL mode so API processes read while
the one indexer writes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from civic_ledger.core.exceptions import GatewayError
from civic_ledger.gateway import schema

T = TypeVar("T")

MIGRATIONS = Path(__file__).with_name("migrations")
#: Connections per process: an API process answers up to 40 requests at once (its thread pool),
#: each holding one connection for its snapshot; beyond that a request waits, then fails fast.
POOL = {"pool_size": 40, "max_overflow": 10, "pool_timeout": 10}


def database_url(value: str) -> str:
    """A SQLAlchemy URL from what an operator types: a URL, or a path to a SQLite file."""
    text = value.strip()
    if "://" in text:
        if not text.startswith(("sqlite", "postgresql")):
            raise GatewayError(f"{text.split('://')[0]}: the gateway stores its index in SQLite "
                               "or PostgreSQL (sqlite:///FILE or postgresql+psycopg://...)")  # fmt: skip
        return text.replace("postgresql://", "postgresql+psycopg://", 1)
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def connect(url: str) -> Engine:
    """An engine for `url` (see `database_url`)."""
    resolved = database_url(url)
    if resolved.startswith("sqlite"):
        path = resolved.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(resolved, connect_args={"timeout": 30}, **POOL)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        # REPEATABLE READ: every read of one API answer sees one state while the indexer writes
        # (the indexer is the only writer: its transactions never conflict). No pre-ping (a
        # round trip per checkout): the API replaces a dropped connection when its first
        # statement fails (gateway.web), the indexer's step fails and is retried.
        return create_engine(resolved, isolation_level="REPEATABLE READ", **POOL)
    except ModuleNotFoundError as exc:
        raise GatewayError(f"PostgreSQL needs the psycopg driver ({exc.name}): "
                           "pip install 'civic-ledger[postgres]'") from None  # fmt: skip


def open_existing(url: str) -> Engine:
    """An engine for a gateway database that exists and has been indexed into (for readers:
    `status`, API processes that do not index); GatewayError otherwise."""
    resolved = database_url(url)
    if resolved.startswith("sqlite:///"):
        path = Path(resolved.removeprefix("sqlite:///"))
        if not path.is_file():
            raise GatewayError(f"no gateway database at {path}: run `ape run gateway index` first")
    engine = connect(url)
    try:
        with engine.connect() as conn:
            ready = inspect(conn).has_table(schema.cursor.name)
    except SQLAlchemyError as exc:
        raise GatewayError(f"cannot open the gateway database: {first_line(exc)}") from None
    if not ready:
        raise GatewayError(f"{url} is not a gateway database (no index in it): run "
                           "`ape run gateway index --database ...` first")  # fmt: skip
    return engine


def answering(engine: Engine) -> Connection:
    """A pooled connection that answers. A database server may have dropped pooled connections
    (a restart): the pool does not check each one it hands out (`connect`: no pre-ping, a round
    trip on every checkout of the API's busiest path), so readers that open a transaction check
    it with its first statement here, and a dropped one is replaced, once (the API's
    one-statement reads do the same on their statement: `web.read_first`)."""
    if engine.dialect.name == "sqlite":  # a local file: nothing to drop
        return engine.connect()

    def checked() -> Connection:
        conn = engine.connect()
        try:
            conn.exec_driver_sql("SELECT 1")
        except DBAPIError:
            conn.close()
            raise
        return conn

    return again_if_dropped(checked)


def again_if_dropped(action: Callable[[], T]) -> T:
    """`action()`, run once more if it met a connection the server had dropped (SQLAlchemy
    then invalidates the pool's older connections, so the second run gets a fresh one)."""
    try:
        return action()
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
    return action()


def first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        cursor.execute("PRAGMA journal_mode=WAL")  # once per database: it persists
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def alembic_config(engine: Engine):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> str:
    """Bring the database to the newest schema; returns what was done ("created", "upgraded"
    or "current")."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = alembic_config(engine)
    head = ScriptDirectory.from_config(config).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        fresh = current is None and not inspect(conn).has_table(schema.cursor.name)
    if fresh:
        schema.metadata.create_all(engine)
        command.stamp(config, "head")
        return "created"
    if current == head:
        return "current"
    command.upgrade(config, "head")
    return "upgraded"
