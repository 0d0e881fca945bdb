"""How the indexer's chunks flow: read ahead by a background thread (`prefetched`: the node
answers the next log query while this one is written) and written in database transactions
that span several chunks while catching up (`Batches`)."""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

T = TypeVar("T")

#: SQLite page cache of the indexer's connection: the events' secondary indexes take random
#: inserts, which the default 2 MiB cache turns into page reads and rewrites.
WRITER_CACHE_KIB = 64 * 1024


class Batches:
    """Database transactions over consecutive chunks: a chunk is written into the open one,
    which commits (with the cursor the last chunk set) once it holds `events` events or has
    been open `seconds` seconds, and at the end. While catching up, commits - each a write of
    every page the chunks touched - are spread over several chunks; near the head, where
    chunks are small and far apart, every step commits what it read. A crash loses at most the
    open transaction: the cursor in the database is always the last committed chunk's."""

    def __init__(self, engine: Engine, events: int = 20_000, seconds: float = 2.0) -> None:
        self.engine, self.events, self.seconds = engine, events, seconds
        self._open: Any = None
        self._conn: Connection | None = None
        self._held = 0
        self._since = 0.0

    def __enter__(self) -> Batches:
        return self

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        if self._open is not None:
            opened, self._open, self._conn = self._open, None, None
            opened.__exit__(kind, error, trace)

    def conn(self) -> Connection:
        """The open transaction's connection (one is begun if none is open)."""
        if self._conn is None:
            self._open = self.engine.begin()
            self._conn = self._open.__enter__()
            if self.engine.dialect.name == "sqlite":  # the writer's page cache (default 2 MiB)
                self._conn.exec_driver_sql(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
            self._held, self._since = 0, time.monotonic()
        return self._conn

    def wrote(self, events: int) -> None:
        """A chunk of `events` events is written: commit if it is time."""
        self._held += events
        if self._held >= self.events or time.monotonic() - self._since >= self.seconds:
            self.__exit__(None, None, None)


def prefetched(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """`items`, produced by a background thread up to `depth` ahead: the node answers the next
    log query while this thread writes the last one (an error is raised here, in order)."""
    box: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                box.put((True, item))
            box.put((False, None))
        except BaseException as exc:  # handed to the consumer, raised there
            box.put((False, exc))

    threading.Thread(target=produce, name="log-prefetch", daemon=True).start()
    try:
        while True:
            ok, item = box.get()
            if not ok:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        stop.set()
        with contextlib.suppress(queue.Empty):
            while True:
                box.get_nowait()
