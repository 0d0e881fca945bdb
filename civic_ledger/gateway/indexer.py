"""The indexer: follows the chain from the deployment's first block into the gateway database.

One step (`Indexer.step`) reads the node's head, checks that the last indexed block is still on
the node's chain (a fork is found by walking back the stored block hashes and rolled back to
the last block both chains share: `store.rollback`), then indexes the next blocks up to
`head - confirmations`, one log chunk (`chain.logs.LogReader`) per database transaction: the
blocks' hashes and times, every decoded event, every projection write, and the cursor. A crash
or a node that goes away loses at most the chunk in flight; the next step resumes from the
cursor. Writes within `undo_window` blocks of the head are undoable; a fork deeper than that is
reported and the index is rebuilt from the first block.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from civic_ledger.chain.client import ChainClient, ChainRef, hex0x
from civic_ledger.chain.logs import LogReader
from civic_ledger.chain.manifest import Manifest, check_chain
from civic_ledger.core.event_codec import Decoder, decoder
from civic_ledger.core.exceptions import ForkDuringRead, GatewayError, ReportError, RpcError
from civic_ledger.core.times import iso_utc
from civic_ledger.gateway import schema
from civic_ledger.gateway.batches import Batches, prefetched
from civic_ledger.gateway.db import answering, first_line, migrate
from civic_ledger.gateway.projections import Event, handlers
from civic_ledger.gateway.store import Store, insert_rows, json_text, prune, rollback
from civic_ledger.report.events import ACTOR_ARGUMENTS, EventKind, batched

#: Logs per chunk the indexer's reader aims at: small enough that the node answers the next
#: chunk while this one is written (`prefetched`) and only the chunks near the head carry undo
#: records, large enough that a chunk's fixed costs (block headers, one transaction) stay small.
CHUNK_LOGS = 4_000
#: Blocks of the first log query (then doubled while chunks stay under half of CHUNK_LOGS):
#: small, because the first chunk is not read ahead - on a dense chain (hundreds of events a
#: block) a first span of 100 blocks made one chunk of most of the events, written only after
#: all of it was read and decoded. The CLI's `--log-span` default.
FIRST_SPAN = 10


def log_reader(client: ChainClient, span: int = FIRST_SPAN) -> LogReader:
    """The indexer's log reader: chunks of about CHUNK_LOGS logs, within the node's limits."""
    return LogReader(client, span=span, max_span=max(span, 10_000), max_logs=CHUNK_LOGS)


@dataclass(frozen=True)
class Contracts:
    """The suite as deployed: every event of every contract, and where to start reading."""

    kinds: dict[tuple[str, str], EventKind]  # by (address, signature topic), lower-case hex
    addresses: list[str]
    first_block: int

    @classmethod
    def from_manifest(cls, manifest: Manifest) -> Contracts:
        """From the deploy manifest and the ABIs it publishes next to itself."""
        from ethpm_types.abi import EventABI

        kinds: dict[tuple[str, str], EventKind] = {}
        firsts: list[int] = []
        for name, entry in manifest.contracts.items():
            address = manifest.address_of(name)
            abi_file = entry.get("abi")
            if not abi_file:
                raise GatewayError(f"{manifest.path}: contract {name} has no published ABI "
                                   "(deploy with the current tooling to publish it)")  # fmt: skip
            path = Path(manifest.path).parent / abi_file
            try:
                abi = json.loads(path.read_text())["abi"]
            except (OSError, ValueError, KeyError) as exc:
                raise GatewayError(f"{path}: not a readable ABI file ({exc})") from None
            for item in abi:
                if item.get("type") == "event" and not item.get("anonymous"):
                    kind = EventKind.from_abi(name, address, EventABI.model_validate(item))
                    kinds[(address.lower(), "0x" + kind.topic.hex())] = kind
            if isinstance(entry.get("block"), int):
                firsts.append(entry["block"])
        addresses = sorted({k.address for k in kinds.values()})
        return cls(kinds, addresses, min(firsts, default=0))


class DecodePlan(NamedTuple):
    """How the logs of one event kind are decoded: looked up once per log, not per call."""

    kind: EventKind
    decode: Decoder
    actor_argument: str | None  # the argument naming the actor (None: the tx's sender)


@dataclass(frozen=True)
class StepResult:
    """What one step did."""

    first: int  # first block indexed (> last when nothing was)
    last: int  # the cursor after the step
    events: int
    head: int
    rolled_back_to: int | None = None  # a fork's common ancestor, if one was found


@dataclass(frozen=True)
class Chunk:
    """The blocks `first`..`last` read and decoded, ready to write (`Indexer.prepare_chunk`)."""

    first: int
    last: int
    blocks: list[dict[str, Any]]  # `blocks` rows: those with events and `last`, in order
    events: list[Event]  # in chain order
    event_rows: list[dict[str, Any]]  # their `events` rows


class Indexer:
    """Indexes one deployment (`contracts`) from `client` into `engine`."""

    def __init__(
        self,
        engine: Engine,
        client: ChainClient,
        contracts: Contracts,
        *,
        confirmations: int = 0,
        undo_window: int = 256,
        reader: LogReader | None = None,
    ) -> None:
        if confirmations < 0 or undo_window < 1:
            raise GatewayError("confirmations must be >= 0 and the undo window >= 1 block")
        self.engine = engine
        self.client = client
        self.contracts = contracts
        self.confirmations = confirmations
        self.undo_window = undo_window
        self.reader = reader or log_reader(client)
        self.handlers = handlers()
        self._plans = {key: DecodePlan(kind, decoder(kind.inputs), _actor_argument(kind.inputs))
                       for key, kind in contracts.kinds.items()}  # fmt: skip

    # -- set-up --------------------------------------------------------------------------

    def prepare(self, chain: ChainRef, deployment: str) -> None:
        """Migrate the database; record (or check) which chain and deployment it follows."""
        try:
            migrate(self.engine)
        except SQLAlchemyError as exc:
            raise GatewayError(f"cannot open the gateway database: {first_line(exc)}") from None
        wanted = {"chain_id": str(chain.chain_id), "genesis": chain.genesis,
                  "deployment": deployment}  # fmt: skip
        with self.engine.begin() as conn:
            found = dict(conn.execute(select(schema.gateway_meta.c.key,
                                             schema.gateway_meta.c.value)).all())  # fmt: skip
            for key, value in wanted.items():
                if key in found and found[key] != value:
                    raise GatewayError(
                        f"this database indexes another {key.replace('_', ' ')} ({found[key][:18]}"
                        f", not {value[:18]}): give the gateway its own database per chain"
                    )
                if key not in found:
                    conn.execute(insert(schema.gateway_meta).values(key=key, value=value))
            if conn.execute(select(schema.cursor.c.id)).first() is None:
                conn.execute(insert(schema.cursor).values(
                    id=1, block=self.contracts.first_block - 1, reorgs=0))  # fmt: skip

    @classmethod
    def for_manifest(cls, engine: Engine, client: ChainClient, manifest: Manifest,
                     **options: Any) -> Indexer:  # fmt: skip
        """An indexer for `manifest`'s deployment, its database checked against the chain."""
        chain = client.chain_ref()
        check_chain(manifest, chain)
        contracts = Contracts.from_manifest(manifest)
        indexer = cls(engine, client, contracts, **options)
        indexer.prepare(chain, ",".join(contracts.addresses).lower())
        return indexer

    # -- following ---------------------------------------------------------------------------

    def cursor(self) -> dict[str, Any]:
        with self.engine.connect() as conn:
            return dict(conn.execute(select(schema.cursor)).mappings().one())

    def step(self, max_blocks: int = 50_000) -> StepResult:
        """Find and undo a fork, then index up to `max_blocks` confirmed blocks."""
        try:
            head = self.client.block_number()
            head_header = self.client.block(head)
        except RpcError as exc:
            self._note_node_error(exc)
            raise
        head_time = _int(head_header["timestamp"])
        events = 0
        try:
            ancestor = self._check_fork(head)
            cursor = self.cursor()["block"]
            target = min(head - self.confirmations, cursor + max_blocks)
            start = cursor + 1
            chunks = self.reader.chunks(self.contracts.addresses, None, start, target)
            indexed_to = cursor
            with Batches(self.engine) as batches:
                for chunk in prefetched(self.prepare_chunk(first, last, logs)
                                        for first, last, logs in chunks):  # fmt: skip
                    indexed = self.write_chunk(batches.conn(), chunk, head)
                    batches.wrote(indexed)
                    events += indexed
                    indexed_to = chunk.last
        except RpcError as exc:
            self._note_head(head, head_time)
            self._note_node_error(exc)  # after the head: noting the head clears the error
            raise
        self._note_head(head, head_time)
        return StepResult(start, indexed_to, events, head, ancestor)

    def follow(self, *, interval: float = 1.0, until: int | None = None,
               steps: int | None = None) -> None:  # fmt: skip
        """Step forever (or until the cursor reaches `until`, or `steps` steps), sleeping
        `interval` seconds when caught up; a node that goes away is retried, and so is a
        database server that dropped the connection (a restart: the step is rolled back)."""
        done = 0
        while steps is None or done < steps:
            done += 1
            try:
                result = self.step()
            except RpcError:
                time.sleep(interval)
                continue
            except DBAPIError as exc:
                if not exc.connection_invalidated:
                    raise
                time.sleep(interval)
                continue
            if until is not None and result.last >= until:
                return
            if result.last >= result.head - self.confirmations:
                time.sleep(interval)

    # -- one chunk -----------------------------------------------------------------------------

    def prepare_chunk(self, first: int, last: int, logs: Sequence[dict[str, Any]]) -> Chunk:
        """A log chunk made ready to write, on the read-ahead thread (`prefetched`): the
        blocks' headers, the check that no block changed while it was read, the events
        decoded with their actors, and their `events` rows."""
        known = [(plan, log) for log in logs
                 if (plan := self._plan(log)) is not None and not log.get("removed")]  # fmt: skip
        numbers = sorted({_int(log["blockNumber"]) for _, log in known} | {last})
        headers = dict(zip(numbers, self._batched("eth_getBlockByNumber",
                                            [[hex(n), False] for n in numbers]), strict=True))  # fmt: skip
        hashes = {number: hex0x(header["hash"]) for number, header in headers.items()}
        for _, log in known:
            if log["blockHash"].lower() != hashes[_int(log["blockNumber"])]:
                raise ForkDuringRead("eth_getLogs", f"block {_int(log['blockNumber'])} changed "
                                     "while it was read (a reorganisation)")  # fmt: skip
        events = self._decode(known, headers)
        blocks = [{"number": n, "hash": hashes[n], "time": _int(h["timestamp"])}
                  for n, h in headers.items()]  # fmt: skip
        return Chunk(first, last, blocks, events, [_event_row(e) for e in events])

    def write_chunk(self, conn: Connection, chunk: Chunk, head: int) -> int:
        """Write a prepared chunk on `conn` (the step's transaction): its blocks, events,
        projection writes (undoable within `undo_window` of `head`) and the cursor; returns
        how many events it held."""
        first, last, events = chunk.first, chunk.last, chunk.events
        undoable = last > head - self.undo_window
        if undoable:
            self._mark_undo_from(conn, first)
        insert_rows(conn, schema.blocks, chunk.blocks)
        insert_rows(conn, schema.events, chunk.event_rows)
        store = Store(conn, undoable=undoable)
        for event in events:
            handler = self.handlers.get((event.contract, event.name))
            if handler is not None:
                store.block = event.block
                handler(store, event)
        store.flush()
        end = chunk.blocks[-1]  # the chunk's last block (sorted; always fetched)
        conn.execute(update(schema.cursor).values(
            block=last, block_hash=end["hash"], block_time=end["time"],
            events=schema.cursor.c.events + len(events)))  # fmt: skip
        prune(conn, head - self.undo_window)
        self._raise_undo_from(conn, head - self.undo_window)
        return len(events)

    def _batched(self, method: str, params: Sequence[list[Any]]) -> list[Any]:
        """`report.events.batched`, a node's refusal of any item being the node failing
        (RpcError: noted in the status, retried by `follow`), not a bad report request."""
        try:
            return batched(self.client, method, params)
        except ReportError as exc:
            raise RpcError(method, str(exc)) from None

    def _plan(self, log: dict[str, Any]) -> DecodePlan | None:
        topics = log.get("topics")
        if not topics:
            return None
        return self._plans.get((log["address"].lower(), topics[0].lower()))

    def _decode(self, known: Iterable[tuple[DecodePlan, dict[str, Any]]],
                headers: dict[int, dict[str, Any]]) -> list[Event]:  # fmt: skip
        decoded = [(plan.kind, log, plan.decode(log["topics"], log["data"]), plan.actor_argument)
                   for plan, log in known]  # fmt: skip
        unnamed = sorted({log["transactionHash"].lower() for _, log, _, actor in decoded
                          if actor is None})  # fmt: skip
        senders = {h: str(tx["from"]) for h, tx in
                   zip(unnamed, self._batched("eth_getTransactionByHash",
                                        [[h] for h in unnamed]), strict=True)}  # fmt: skip
        times = {number: _int(header["timestamp"]) for number, header in headers.items()}
        out = []
        for kind, log, args, actor_argument in decoded:
            block, tx_hash = _int(log["blockNumber"]), log["transactionHash"].lower()
            actor = (senders.get(tx_hash) if actor_argument is None
                     else str(args[actor_argument]))  # fmt: skip
            out.append(Event(kind.contract, kind.name, block, _int(log["logIndex"]),
                             times[block], tx_hash, actor or "", args))  # fmt: skip
        out.sort(key=_chain_order)
        return out

    # -- forks ---------------------------------------------------------------------------------

    def _check_fork(self, head: int) -> int | None:
        """Roll back to the last block shared with the node's chain (whose head is `head`: the
        new branch may be shorter than the one indexed), if the cursor's block is no longer on
        it; returns that block (None: no fork)."""
        cursor = self.cursor()
        if cursor["block_hash"] is None or self._node_hash(cursor["block"]) == cursor["block_hash"]:
            return None
        with self.engine.connect() as conn:
            stored = conn.execute(select(schema.blocks.c.number, schema.blocks.c.hash)
                                  .where(schema.blocks.c.number <= head)
                                  .order_by(schema.blocks.c.number.desc())
                                  .limit(self.undo_window + 1)).all()  # fmt: skip
            undo_from = _meta_int(conn, "undo_from")
        answers = self._batched("eth_getBlockByNumber", [[hex(n), False] for n, _ in stored])
        ancestor = next((n for (n, h), a in zip(stored, answers, strict=True)
                         if hex0x(a["hash"]) == h), None)  # fmt: skip
        first = self.contracts.first_block
        deep = ancestor is None or undo_from is None or ancestor < undo_from - 1
        fork_point = first - 1 if deep else ancestor
        depth = cursor["block"] - (ancestor if ancestor is not None else first - 1)
        with self.engine.begin() as conn:
            if deep:
                _clear(conn)
            else:
                rollback(conn, fork_point)
            rows = conn.execute(select(schema.blocks).where(schema.blocks.c.number == fork_point))
            row = rows.mappings().first()
            note = (f"{iso_utc()}: the chain replaced blocks after {ancestor} ({depth} deep at block "
                    f"{cursor['block']}); " + ("re-indexing from the first block (deeper than "
                    f"the {self.undo_window}-block undo window)" if deep else "rolled back"))  # fmt: skip
            counted = select(func.count()).select_from(schema.events).scalar_subquery()
            conn.execute(update(schema.cursor).values(
                block=fork_point, block_hash=row["hash"] if row else None, events=counted,
                block_time=row["time"] if row else None,
                reorgs=schema.cursor.c.reorgs + 1, last_reorg=note))  # fmt: skip
        return fork_point

    def _node_hash(self, number: int) -> str | None:
        try:
            return hex0x(self.client.block(number)["hash"])
        except RpcError:
            return None

    def _mark_undo_from(self, conn: Connection, block: int) -> None:
        if _meta_int(conn, "undo_from") is None:
            conn.execute(insert(schema.gateway_meta).values(key="undo_from", value=str(block)))

    def _raise_undo_from(self, conn: Connection, block: int) -> None:
        """Pruning dropped the undo records before `block`: a fork whose last shared block is
        older than `block - 1` cannot be rolled back (`_check_fork` then rebuilds), even when
        it is found among the few newest stored blocks (stored blocks are only those with
        events and the chunks' ends, so they can reach far below the window)."""
        undo_from = _meta_int(conn, "undo_from")
        if undo_from is not None and block > undo_from:
            conn.execute(update(schema.gateway_meta).where(schema.gateway_meta.c.key == "undo_from")
                         .values(value=str(block)))  # fmt: skip

    # -- status notes ---------------------------------------------------------------------------

    def _note_head(self, head: int, head_time: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(schema.cursor).values(head=head, head_time=head_time,
                                                      polled_at=int(time.time()),
                                                      node_error=None))  # fmt: skip

    def _note_node_error(self, exc: Exception) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(schema.cursor).values(node_error=f"{iso_utc()}: {exc}"[:500]))


def status(engine: Engine) -> dict[str, Any]:
    """Where the index stands: cursor, head, lag in blocks and seconds, events, reorgs."""
    with answering(engine) as conn:
        row = conn.execute(select(schema.cursor)).mappings().first()
        if row is None:
            raise GatewayError("the gateway database has not indexed anything yet: run "
                               "`ape civic gateway index` first")  # fmt: skip
        meta = dict(
            conn.execute(select(schema.gateway_meta.c.key, schema.gateway_meta.c.value)).all()
        )
    head, block = row["head"], row["block"]
    return {
        "chain_id": int(meta.get("chain_id", 0)),
        "indexed_block": block,
        "indexed_block_time": row["block_time"],
        "head": head,
        "lag_blocks": None if head is None else max(0, head - block),
        "lag_seconds": None
        if row["head_time"] is None or row["block_time"] is None
        else max(0, row["head_time"] - row["block_time"]),
        "polled_at": row["polled_at"],
        "events": row["events"],
        "reorgs": row["reorgs"],
        "last_reorg": row["last_reorg"],
        "node_error": row["node_error"],
    }


def _clear(conn: Connection) -> None:
    for table in (*schema.PROJECTIONS, *schema.BY_BLOCK, schema.undo):
        conn.execute(delete(table))
    conn.execute(delete(schema.gateway_meta).where(schema.gateway_meta.c.key == "undo_from"))


def _meta_int(conn: Connection, key: str) -> int | None:
    value = conn.execute(select(schema.gateway_meta.c.value)
                         .where(schema.gateway_meta.c.key == key)).scalar()  # fmt: skip
    return None if value is None else int(value)


_chain_order = attrgetter("block", "log_index")


def _actor_argument(inputs: tuple[tuple[str, str, bool], ...]) -> str | None:
    """The argument naming an event's actor (`report.events.ACTOR_ARGUMENTS`), if it has one
    (else the actor is the transaction's sender)."""
    names = {name for name, _, _ in inputs}
    return next((a for a in ACTOR_ARGUMENTS if a in names), None)


def _event_row(e: Event) -> dict[str, Any]:
    first = next(iter(e.args.values()), "")
    return {"block": e.block, "log_index": e.log_index, "time": e.time, "tx_hash": e.tx_hash,
            "contract": e.contract, "event": e.name, "actor": e.actor, "ref": str(first)[:80],
            "args": json_text(e.args)}  # fmt: skip


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)
