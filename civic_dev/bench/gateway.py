"""The gateway in `ape run bench` (issue #17): index catch-up against the node's raw
`eth_getLogs` throughput, and the read API under a bounded open-loop load next to the same
server's trivial health endpoint (the framework's floor), on SQLite and, when a PostgreSQL
server is given, on PostgreSQL.

Catch-up: the suite's logs of the bench chain (the bulk imports leave 100,000+ events) are
first read raw through the chain layer's LogReader (no decoding, no storage: the node's and
the client's floor), then indexed into a fresh database; events/s of both and their ratio.

API: one uvicorn process (`civic_ledger.gateway.asgi:app`) serves the index; an asyncio client
sends requests on a fixed schedule (`rate` per second for `seconds`, at most `concurrency` in
flight), each latency measured from its scheduled start (so queueing counts); p50/p99 and the
rate achieved, for `/health` and for `verify` of indexed records with their document hashes.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from civic_dev.bench.anvil import free_port, stop
from civic_ledger.chain.client import HttpClient
from civic_ledger.chain.logs import LogReader
from civic_ledger.chain.manifest import Manifest

#: Seconds of load at the measured rate before each measured run (not counted).
WARM_UP = 2.0


@dataclass(frozen=True)
class CatchUpRow:
    database: str
    events: int
    blocks: int
    raw_seconds: float
    index_seconds: float
    store_seconds: float  # writing the raw logs, undecoded, in one transaction: the storage floor
    #: The indexer's three stages run one after the other into another fresh database (no
    #: read-ahead): reading its log chunks, preparing them (headers, decoding, rows), writing
    #: them (events, projections, cursor); seconds each. The step overlaps the first with the
    #: other two, which share one core (Python's GIL).
    stages: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def per_event_us(self, seconds: float) -> float:
        return 1e6 * seconds / self.events if self.events else 0.0

    @property
    def raw_rate(self) -> float:
        return self.events / self.raw_seconds if self.raw_seconds else 0.0

    @property
    def index_rate(self) -> float:
        return self.events / self.index_seconds if self.index_seconds else 0.0

    @property
    def ratio(self) -> float:
        return self.index_rate / self.raw_rate if self.raw_rate else 0.0

    @property
    def floor_rate(self) -> float:
        """The most any indexer could do here: read the logs and store them, nothing else."""
        spent = self.raw_seconds + self.store_seconds
        return self.events / spent if spent else 0.0


@dataclass(frozen=True)
class ApiRow:
    database: str
    endpoint: str
    target_rate: int
    sent: int
    achieved_rate: float
    p50_ms: float
    p99_ms: float
    errors: int


@dataclass
class GatewayResult:
    catch_up: list[CatchUpRow] = field(default_factory=list)
    api: list[ApiRow] = field(default_factory=list)
    rate: int = 500
    seconds: float = 10.0
    notes: list[str] = field(default_factory=list)


def catch_up(manifest: Manifest, url: str, database: str, label: str,
             stages_database: str | None = None) -> CatchUpRow:  # fmt: skip
    """Raw log read, then a full index of the same blocks into `database` (and the indexer's
    stages one by one into `stages_database`, another empty database, when given)."""
    from civic_ledger.gateway.db import connect
    from civic_ledger.gateway.indexer import Contracts, Indexer

    client = HttpClient(url)
    contracts = Contracts.from_manifest(manifest)
    head = client.block_number()
    started = time.perf_counter()
    logs = [log for _, _, chunk in
            LogReader(client).chunks(contracts.addresses, None, contracts.first_block, head)
            for log in chunk]  # fmt: skip
    raw_seconds = time.perf_counter() - started
    raw = len(logs)
    store_seconds = _store_floor(logs)
    indexer = Indexer(connect(database), client, contracts, undo_window=64)
    indexer.prepare(client.chain_ref(), "bench")
    started = time.perf_counter()
    events = 0
    while True:
        result = indexer.step(max_blocks=head)
        events += result.events
        if result.last >= head:
            break
    index_seconds = time.perf_counter() - started
    if events != raw:
        raise RuntimeError(f"indexed {events} events but the node holds {raw}: a bug")
    stages = (0.0, 0.0, 0.0)
    if stages_database is not None:
        stages = _stages(client, contracts, head, stages_database)
    return CatchUpRow(label, events, head - contracts.first_block + 1, raw_seconds, index_seconds,
                      store_seconds, stages)  # fmt: skip


@contextmanager
def _scratch(label: str, folder: Path, server: Any) -> Iterator[str | None]:
    """An empty database of the kind `label` names for the stages' pass, dropped afterwards
    (its autovacuum, or its pages still being written back, would otherwise land in the API
    load that follows); None for a PostgreSQL the bench did not start."""
    if label == "SQLite":
        yield str(folder / "stages.sqlite")
        for path in folder.glob("stages.sqlite*"):
            path.unlink()
    elif server is None:
        yield None
    else:
        name = server.create_database()
        try:
            yield server.url(name)
        finally:
            server.drop_database(name)


def _stages(client: HttpClient, contracts: Any, head: int,
            database: str) -> tuple[float, float, float]:  # fmt: skip
    """Seconds of the indexer's stages one after the other into the empty `database`: reading
    its log chunks, preparing them, writing them (one transaction, as a step's chunks)."""
    from civic_ledger.gateway.batches import Batches
    from civic_ledger.gateway.db import connect
    from civic_ledger.gateway.indexer import Indexer

    engine = connect(database)
    try:
        indexer = Indexer(engine, client, contracts, undo_window=64)
        indexer.prepare(client.chain_ref(), "bench")
        started = time.perf_counter()
        read = list(indexer.reader.chunks(contracts.addresses, None, contracts.first_block, head))
        read_at = time.perf_counter()
        prepared = [indexer.prepare_chunk(first, last, logs) for first, last, logs in read]
        prepared_at = time.perf_counter()
        with Batches(engine) as batches:
            for chunk in prepared:
                batches.wrote(indexer.write_chunk(batches.conn(), chunk, head))
        written_at = time.perf_counter()
    finally:
        engine.dispose()
    return (read_at - started, prepared_at - read_at, written_at - prepared_at)


def _store_floor(logs: Sequence[dict[str, Any]]) -> float:
    """Seconds to write `logs` as they came (block, index, tx, topics, data) into a fresh
    SQLite table in one transaction: what storing costs before any decoding."""
    import sqlite3

    folder = Path(tempfile.mkdtemp(prefix="bench-floor-"))
    db = sqlite3.connect(folder / "floor.sqlite")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE logs (block TEXT, idx TEXT, tx TEXT, topics TEXT, data TEXT, "
               "PRIMARY KEY (block, idx))")  # fmt: skip
    started = time.perf_counter()
    db.executemany("INSERT INTO logs VALUES (?, ?, ?, ?, ?)",
                   [(log["blockNumber"], log["logIndex"], log["transactionHash"],
                     ",".join(log["topics"]), log["data"]) for log in logs])  # fmt: skip
    db.commit()
    spent = time.perf_counter() - started
    db.close()
    shutil.rmtree(folder, ignore_errors=True)
    return spent


def after_bulk_load(database: str) -> None:
    """What a database wants after a bulk load, before it serves (not measured): statistics
    for the planner and, on PostgreSQL, the vacuum that autovacuum would otherwise start a
    minute later - in the middle of the API load (seen: verify at p50 170 ms, p99 580 ms while
    it ran, p99 under 10 ms after it)."""
    from civic_ledger.gateway.db import connect

    engine = connect(database)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql("VACUUM ANALYZE")
                conn.exec_driver_sql("CHECKPOINT")
            else:
                conn.exec_driver_sql("ANALYZE")
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    os.sync()


def api_load(database: str, label: str, *, rate: int, seconds: float, concurrency: int = 64,
             say: Callable[[str], None] = lambda m: None) -> list[ApiRow]:  # fmt: skip
    """`/health` and `verify` under `rate` requests/s for `seconds`, on one uvicorn process."""
    paths = _verify_paths(database)
    port = free_port()
    env = {**os.environ, "CIVIC_GATEWAY_DB": database, "CIVIC_GATEWAY_RATE": "1000000",
           "CIVIC_GATEWAY_BURST": "1000000",
           "CIVIC_GATEWAY_DOCUMENTS": tempfile.mkdtemp(prefix="bench-docs-")}  # fmt: skip
    log = Path(env["CIVIC_GATEWAY_DOCUMENTS"]) / "server.log"
    with log.open("w") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "civic_ledger.gateway.asgi:app",
             "--port", str(port), "--log-level", "warning", "--no-access-log"],
            env=env, stdout=subprocess.DEVNULL, stderr=sink,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_up(base, server, log)
        rows = []
        for endpoint, chosen in (("/health", ["/health"]), ("verify", paths)):
            say(f"gateway API on {label}: {endpoint} at {rate} req/s for {seconds:.0f} s "
                f"(after {WARM_UP:.0f} s unmeasured)")  # fmt: skip
            # warm-up at the same rate: the server's connection pool and thread pool filled,
            # the database's pages cached; then the measured run
            if WARM_UP > 0:
                asyncio.run(_load(base, label, endpoint, chosen[::-1], rate, WARM_UP, concurrency))
            rows.append(
                asyncio.run(_load(base, label, endpoint, chosen, rate, seconds, concurrency))
            )
        return rows
    finally:
        stop(server)
        shutil.rmtree(env["CIVIC_GATEWAY_DOCUMENTS"], ignore_errors=True)


def _verify_paths(database: str) -> list[str]:
    from sqlalchemy import select

    from civic_ledger.gateway import schema
    from civic_ledger.gateway.db import connect

    with connect(database).connect() as conn:
        rows = conn.execute(select(schema.records.c.record_id, schema.records.c.evidence_hash)
                            .limit(5_000)).all()  # fmt: skip
    if not rows:
        raise RuntimeError("no records indexed: nothing to verify")
    return [f"/api/v1/verify/{rid}?document={doc}" for rid, doc in rows]


def _wait_up(base: str, server: subprocess.Popen[bytes], log: Path, timeout: float = 30.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the gateway API exited: {log.read_text().strip()[-500:]}")
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the gateway API did not come up in time")


async def _load(base: str, label: str, endpoint: str, paths: Sequence[str], rate: int,
                seconds: float, concurrency: int) -> ApiRow:  # fmt: skip
    import aiohttp

    total = int(rate * seconds)
    latencies: list[float] = []
    errors = 0
    gate = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(base, connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=10)) as client:  # fmt: skip
        async with client.get("/health") as warm:
            await warm.read()
        loop = asyncio.get_running_loop()

        async def one(i: int, due: float) -> None:
            nonlocal errors
            async with gate:
                try:
                    async with client.get(paths[i % len(paths)]) as response:
                        await response.read()
                        ok = response.status == 200
                except (aiohttp.ClientError, TimeoutError):
                    ok = False
            latencies.append(loop.time() - due)
            errors += not ok

        # Each request is started at its due time (open loop: a late answer does not delay
        # the next request, and the wait counts in its latency). Creating every request's task
        # up front instead costs the client ~20 us each before the first one is sent: 0.1-0.3 s
        # that the first requests counted as the server's latency.
        start = loop.time() + 0.05
        requests = []
        for i in range(total):
            due = start + i / rate
            if due > loop.time():
                await asyncio.sleep(due - loop.time())
            requests.append(asyncio.create_task(one(i, due)))
        await asyncio.gather(*requests)
        elapsed = loop.time() - start
    latencies.sort()
    return ApiRow(label, endpoint, rate, total, total / elapsed,
                  statistics.median(latencies) * 1000,
                  latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
                  errors)  # fmt: skip


def run(manifest: Manifest, url: str, *, rate: int = 500, seconds: float = 10.0,
        postgres: str | None = "auto", say: Callable[[str], None] = lambda m: None) -> GatewayResult:  # fmt: skip
    """Catch-up and API load on SQLite, and on PostgreSQL: `postgres` is the URL of an empty
    database, "auto" (a throwaway server of this machine's PostgreSQL, when installed) or
    None (SQLite only)."""
    from civic_dev.pgserver import PostgresServer, server_binaries

    result = GatewayResult(rate=rate, seconds=seconds)
    folder = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    server = None
    if postgres == "auto":
        binaries = server_binaries()
        if binaries is None:
            result.notes.append("PostgreSQL is not installed here: measured on SQLite only")
            postgres = None
        else:
            server = PostgresServer(binaries).start()
            postgres = server.url(server.create_database())
    databases = [("SQLite", str(folder / "gateway.sqlite"))]
    if postgres:
        databases.append(("PostgreSQL", postgres))
    try:
        for label, database in databases:
            say(f"gateway: indexing the bench chain into {label}")
            with _scratch(label, folder, server) as stages_database:
                result.catch_up.append(catch_up(manifest, url, database, label, stages_database))
            after_bulk_load(database)
            result.api += api_load(database, label, rate=rate, seconds=seconds, say=say)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return result


def markdown(result: GatewayResult) -> list[str]:
    """The report's gateway section."""
    lines = [
        "## Gateway: index catch-up and read API",
        "",
        "Catch-up: the bench chain's events (after the bulk imports) read raw through the chain "
        "layer's LogReader (the node's `eth_getLogs` plus JSON decoding: the floor), then indexed "
        "into a fresh database (decoded, projected, written, undo records for updates near the head). "
        "Target: "
        "index rate >= 0.8x the raw rate. The floor is the same logs read and then written "
        "undecoded into SQLite in one transaction: what any indexer that stores them pays.",
        "",
        "| database | events | blocks | raw eth_getLogs (events/s) | floor: read + store (events/s) | indexed (events/s) | ratio to raw | ratio to floor | target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in result.catch_up:
        mark = "✅" if row.ratio >= 0.8 else "❌ missed"
        to_floor = row.index_rate / row.floor_rate if row.floor_rate else 0.0
        lines.append(f"| {row.database} | {row.events:,} | {row.blocks:,} | {row.raw_rate:,.0f} | "
                     f"{row.floor_rate:,.0f} | {row.index_rate:,.0f} | {row.ratio:.2f}x | "
                     f"{to_floor:.2f}x | {mark} |")  # fmt: skip
    below = [r for r in result.catch_up if r.raw_rate and r.floor_rate < 0.8 * r.raw_rate]
    if below:
        lines += ["", "On " + ", ".join(r.database for r in below) + " the floor itself is under "
                  "0.8x the raw rate (" + ", ".join(f"{r.floor_rate / r.raw_rate:.2f}x"
                  for r in below) + "): reading the logs and then storing them undecoded, with "
                  "no decoding, projection or index beyond the key, already takes longer than the "
                  "target allows on this machine unless reading and writing overlap."]  # fmt: skip
    staged = [r for r in result.catch_up if sum(r.stages)]
    if staged:
        lines += ["", "Where an indexed event's time goes: the indexer's stages run one after "
                  "the other into another empty database (no read-ahead), per event. A step "
                  "overlaps reading (the node works on its own core) with preparing and "
                  "writing, which share one core (Python's GIL; the database's own work "
                  "partly overlaps). At the target an event has the budget in the last column "
                  "for all of it.", "",
                  "| database | read (us/event) | prepare: headers, decoding, rows (us/event) "
                  "| write: events, projections (us/event) | budget at 0.8x raw (us/event) |",
                  "|---|---:|---:|---:|---:|"]  # fmt: skip
        for row in staged:
            read, prepare, write = (row.per_event_us(x) for x in row.stages)
            budget = 1e6 / (0.8 * row.raw_rate) if row.raw_rate else 0.0
            lines.append(f"| {row.database} | {read:.1f} | {prepare:.1f} | {write:.1f} | "
                         f"{budget:.1f} |")  # fmt: skip
    lines += [
        "",
        f"API: one uvicorn process; an open-loop asyncio client (aiohttp) sends {result.rate} req/s for "
        f"{WARM_UP:.0f} s unmeasured (connection and thread pools filled), then for "
        f"{result.seconds:.0f} s (latency from each request's scheduled start, so queueing "
        "counts), after the index's post-load maintenance (`ANALYZE`; PostgreSQL: `VACUUM "
        "ANALYZE`, which autovacuum would otherwise run during the load) and a checkpoint with "
        "the bulk load's writes flushed to disk; PostgreSQL's `verify` goes through the API's "
        "asyncio pool (`gateway/async_reads.py`); `/health` is the same "
        "server's trivial endpoint (the framework's floor). "
        "Target: verify p99 <= 50 ms at 500 req/s.",
        "",
        "| database | endpoint | target req/s | achieved req/s | p50 ms | p99 ms | errors |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    lines[2:2] = [f"- {note}" for note in result.notes] + ([""] if result.notes else [])
    for row in result.api:
        lines.append(f"| {row.database} | {row.endpoint} | {row.target_rate} | "
                     f"{row.achieved_rate:,.0f} | {row.p50_ms:.1f} | {row.p99_ms:.1f} | "
                     f"{row.errors} |")  # fmt: skip
    return [*lines, ""]


def as_dict(result: GatewayResult) -> dict[str, Any]:
    return {"catch_up": [vars(r) | {"ratio": r.ratio} for r in result.catch_up],
            "api": [vars(r) for r in result.api]}  # fmt: skip
