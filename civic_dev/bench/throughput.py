"""Bulk import throughput: identities, parcels and records imported with the contracts' batch
functions, as pre-signed raw transactions pipelined from each agency's wallet.

For each kind the import
1. calibrates: `eth_estimateGas` of a full and a half batch gives gas per item and per
   transaction, from which it picks the batch size that packs the block gas limit best;
2. sends every batch through the chain layer's one sender (`civic_ledger.chain.sender`):
   explicit nonces, up to `window` unmined at a time, each signed transaction journaled before
   it is broadcast, so an interrupted import resumes where it stopped: same batches, and a
   batch whose transaction may still be mined is re-broadcast, never re-signed (nothing twice);
3. reports items/s (wall clock, first send to last receipt), gas per item (from the receipts),
   the gas-bound limit `block gas limit / gas per item / block time` and the ratio of the two.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from civic_dev.bench import city
from civic_ledger.bulk.identities import MAX_BATCH as MAX_IDENTITY_BATCH
from civic_ledger.bulk.parcels import MAX_BATCH as MAX_PARCEL_BATCH
from civic_ledger.bulk.records import MAX_BATCH as MAX_RECORD_BATCH
from civic_ledger.chain.client import HttpClient
from civic_ledger.chain.fees import max_fee_per_gas, max_start_base_fee
from civic_ledger.chain.journal import Journal
from civic_ledger.chain.sender import Outcome, Sender, TxRequest
from civic_ledger.chain.settle import settle_journal
from civic_ledger.chain.signer import KeySigner as Signer

PER_PERSON = 5  # parcels and records per imported person (RecordRegistry keeps <= 8 live)
GAS_MARGIN = 0.01  # transaction gas limit = estimate x (1 + margin)
RECORD_LIFETIME = 300 * 24 * 3600


@dataclass(frozen=True)
class ImportTarget:
    """Where to import: the node, our contracts, the agency wallets and the chain's limits."""

    url: str
    identity_registry: str
    title_registry: str
    record_registry: str
    schema_id: int
    identity_office: Signer
    registrar: Signer
    record_issuer: Signer
    block_time: float
    block_gas_limit: int | None = None  # default: the latest block's


def city_target(
    our: city.City, url: str, schema_id: int, block_time: float, block_gas_limit: int | None = None
) -> ImportTarget:
    """The target of our suite deployed on `url` (`civic_dev.bench.runner.deploy_city`), sent
    from its agencies' test accounts: identity office, land registry, tax bureau."""
    agency = our.agency
    return ImportTarget(
        url=url,
        identity_registry=our.identities.address,
        title_registry=our.titles.address,
        record_registry=our.records.address,
        schema_id=schema_id,
        identity_office=Signer.from_key(agency["identity_office"].private_key),
        registrar=Signer.from_key(agency["land_registry"].private_key),
        record_issuer=Signer.from_key(agency["tax_bureau"].private_key),
        block_time=block_time,
        block_gas_limit=block_gas_limit,
    )


@dataclass(frozen=True)
class ImportKind:
    name: str
    to: str
    signer: Signer
    count: int
    max_batch: int
    encode: Callable[[int, int], bytes]  # (first item, item count) -> calldata


@dataclass(frozen=True)
class ThroughputRow:
    kind: str
    items: int  # imported by this run
    resumed: int  # already imported by an earlier, interrupted run
    txs: int
    batch_size: int
    gas_per_item: float
    seconds: float
    blocks: int
    block_gas_limit: int
    block_time: float
    is_target: bool = True  # the identities import is set-up for the other two
    block_interval: float = 0.0  # mean seconds between this import's blocks (timestamps)

    @property
    def items_per_second(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0

    @property
    def limit(self) -> float:
        """Gas-bound limit: items per second if every block were full of this import."""
        if not self.gas_per_item:
            return 0.0
        return self.block_gas_limit / self.gas_per_item / self.block_time

    @property
    def ratio(self) -> float:
        return self.items_per_second / self.limit if self.limit else 0.0


def choose_batch_size(
    overhead: float, per_item: float, block_gas_limit: int, max_batch: int
) -> int:
    """The batch size (1..max_batch) that puts the most items in one block."""
    best, best_items = 1, -1
    for size in range(1, max_batch + 1):
        tx_gas = math.ceil((overhead + size * per_item) * (1 + GAS_MARGIN))
        if tx_gas > block_gas_limit:
            break
        items = (block_gas_limit // tx_gas) * size
        if items >= best_items:
            best, best_items = size, items
    return best


class BulkImport:
    """Runs the three imports against `target`; `run_id` names the data set (rerunning the
    same run id on the same chain resumes it instead of importing twice)."""

    def __init__(
        self,
        target: ImportTarget,
        count: int,
        *,
        journal_dir: Path,
        run_id: str = "bulk",
        window: int = 64,
        progress: Any | None = None,  # a rich.progress.Progress, or None
        stop_after: int | None = None,  # batches per kind (tests: simulate an interruption)
    ) -> None:
        self.target = target
        self.count = count
        self.run_id = run_id
        self.window = window
        self.progress = progress
        self.stop_after = stop_after
        self.rpc = HttpClient(target.url)
        chain = self.rpc.chain_ref()
        self.chain_id, self.genesis = chain.chain_id, chain.genesis
        latest = self.rpc.block("latest")
        self.block_gas_limit = target.block_gas_limit or int(latest["gasLimit"], 16)
        self.journal_dir = journal_dir
        self.expires = int(latest["timestamp"], 16) + RECORD_LIFETIME
        self.max_fees: dict[str, int] = {}  # kind -> maxFeePerGas its transactions carried
        self.fee_waits: dict[str, float] = {}  # kind -> seconds waited for the base fee to fall

    # ----------------------------------------------------------------------- data

    def kinds(self) -> list[ImportKind]:
        run, t = self.run_id, self.target
        people = math.ceil(self.count / PER_PERSON)
        expires = self._expires()

        def identities(first: int, n: int) -> bytes:
            return city.identity_batch(
                [
                    (city.subject(run, i), city.controller(run, i), city.PERSON)
                    for i in range(first, first + n)
                ]
            )

        def parcels(first: int, n: int) -> bytes:
            items = range(first, first + n)
            return city.parcel_batch(
                [city.subject(run, i // PER_PERSON) for i in items],
                [city.parcel_data(run, i) for i in items],
            )

        def records(first: int, n: int) -> bytes:
            return city.record_batch(
                [
                    city.record_input(
                        t.schema_id, city.subject(run, i // PER_PERSON), f"{run}:{i}", expires
                    )
                    for i in range(first, first + n)
                ]
            )

        return [
            ImportKind("identities", t.identity_registry, t.identity_office, people, MAX_IDENTITY_BATCH, identities),
            ImportKind("parcels", t.title_registry, t.registrar, self.count, MAX_PARCEL_BATCH, parcels),
            ImportKind("records", t.record_registry, t.record_issuer, self.count, MAX_RECORD_BATCH, records),
        ]  # fmt: skip

    def _expires(self) -> int:
        """Record expiry, fixed by the first run of this data set (resumes reuse it)."""
        journal = Journal(self._journal_path("records", self.target.record_registry))
        plan = journal.state.plan
        if plan and "expires" in plan:
            return int(plan["expires"])
        return self.expires

    def _journal_path(self, kind: str, contract: str) -> Path:
        name = f"{self.chain_id}-{self.genesis[2:10]}-{contract[2:10].lower()}-{kind}-{self.run_id}.jsonl"
        return self.journal_dir / name

    # ----------------------------------------------------------------------- running

    def run(self) -> list[ThroughputRow]:
        """Import every kind, inside the progress display when there is one."""
        with self.progress if self.progress is not None else contextlib.nullcontext():
            return [self.run_kind(kind) for kind in self.kinds()]

    def _journal(self, kind: ImportKind) -> Journal:
        header = {
            "job": f"bench-{kind.name}", "chain_id": self.chain_id, "genesis": self.genesis,
            "contract": kind.to, "run": self.run_id,
        }  # fmt: skip
        return Journal.open(self._journal_path(kind.name, kind.to), header)

    def _plan(self, kind: ImportKind, journal: Journal) -> dict[str, Any]:
        if journal.state.plan is not None:
            return journal.state.plan
        sender = kind.signer.address
        full = min(kind.max_batch, kind.count)
        half = max(1, full // 2)
        gas_full = self.rpc.estimate_gas(sender, kind.to, kind.encode(0, full))
        if half < full:
            gas_half = self.rpc.estimate_gas(sender, kind.to, kind.encode(0, half))
            per_item = (gas_full - gas_half) / (full - half)
            overhead = gas_full - full * per_item
            size = choose_batch_size(overhead, per_item, self.block_gas_limit, kind.max_batch)
        else:
            size = full
        size = min(size, kind.count)
        first_gas = self.rpc.estimate_gas(sender, kind.to, kind.encode(0, size))
        last = kind.count % size
        last_gas = (
            self.rpc.estimate_gas(sender, kind.to, kind.encode(kind.count - last, last))
            if last
            else 0
        )
        plan = {
            "kind": kind.name, "count": kind.count, "batch_size": size,
            "gas": math.ceil(first_gas * (1 + GAS_MARGIN)),
            "gas_last": math.ceil(last_gas * (1 + GAS_MARGIN)),
            "expires": self.expires, "run": self.run_id,
        }  # fmt: skip
        return journal.record_plan(plan)

    def _wait_base_fee(self, kind: str, highest: int, timeout: float = 900.0) -> int:
        """The latest base fee, once it is at most `highest`: after a long import the next
        kind may have to let a few empty blocks lower it (12.5 % each) so that its own full
        blocks cannot push its transactions past the node's fee cap. Not measured time."""
        start = time.monotonic()
        while True:
            base_fee = int(self.rpc.block("latest").get("baseFeePerGas", "0x0"), 16)
            if base_fee <= highest or time.monotonic() - start > timeout:
                self.fee_waits[kind] = time.monotonic() - start
                return base_fee  # past the timeout max_fee_per_gas says why it cannot go on
            time.sleep(0.5)

    def run_kind(self, kind: ImportKind) -> ThroughputRow:
        journal = self._journal(kind)
        try:
            return self._run_kind(kind, journal)
        finally:
            journal.close()

    def _run_kind(self, kind: ImportKind, journal: Journal) -> ThroughputRow:
        plan = self._plan(kind, journal)
        # Batches an interrupted run sent: adopted if mined, re-broadcast if their nonce is
        # still open (StillPending if they stay unmined), re-sent only if superseded.
        settle_journal(self.rpc, journal)
        size = int(plan["batch_size"])
        done = {int(key) for key in journal.confirmed}
        batches = math.ceil(kind.count / size)
        todo = [i for i in range(batches) if i not in done]
        if self.stop_after is not None:
            todo = todo[: self.stop_after]
        resumed = sum(min(size, kind.count - i * size) for i in done)

        task = None
        if self.progress is not None:
            task = self.progress.add_task(kind.name, total=kind.count, completed=resumed)

        def items(index: int) -> int:
            return min(size, kind.count - index * size)

        def requests() -> Iterator[TxRequest]:
            for index in todo:
                n = items(index)
                gas = int(plan["gas"]) if n == size else int(plan["gas_last"])
                yield TxRequest(index, (str(index),), kind.to, kind.encode(index * size, n), gas)

        failures: list[Outcome] = []

        def on_settled(outcome: Outcome) -> None:
            if not outcome.ok:
                failures.append(outcome)
            elif task is not None:
                self.progress.advance(task, items(outcome.request.batch))

        # EIP-1559: every full block raises the base fee 12.5 %; the fee must cover the base
        # fee at the import's last block (anvil runs at base fee 0, geth's Clique starts at
        # 1 gwei and decays to 7 wei on empty blocks).
        per_block = max(1, self.block_gas_limit // int(plan["gas"])) * size
        full_blocks = math.ceil(sum(items(i) for i in todo) / per_block)
        base_fee = self._wait_base_fee(kind.name, max_start_base_fee(full_blocks, int(plan["gas"])))
        max_fee = max_fee_per_gas(base_fee, full_blocks, int(plan["gas"]))
        self.max_fees[kind.name] = max_fee
        sender = Sender(
            self.rpc, kind.signer, journal, chain_id=self.chain_id, window=self.window,
            max_fee=max_fee, on_settled=on_settled,
        )  # fmt: skip
        start = time.monotonic()
        outcomes = sender.run(requests())
        end = max((o.seen_at for o in outcomes), default=start)
        if failures:
            raise RuntimeError(
                f"{len(failures)} {kind.name} batch(es) reverted or were superseded (first: "
                f"{failures[0].signed.tx_hash}); rerun the same command to resend them"
            )
        mined = [o.receipt for o in outcomes if o.receipt is not None]
        count = sum(items(o.request.batch) for o in outcomes)
        gas = sum(r.gas_used for r in mined)
        blocks, interval = 0, 0.0
        if mined:
            first_block, last_block = min(r.block for r in mined), max(r.block for r in mined)
            blocks = last_block - first_block + 1
            before = int(self.rpc.block(max(first_block - 1, 0))["timestamp"], 16)
            interval = (int(self.rpc.block(last_block)["timestamp"], 16) - before) / blocks
        return ThroughputRow(
            kind=kind.name, items=count, resumed=resumed, txs=len(outcomes), batch_size=size,
            gas_per_item=gas / count if count else 0.0, seconds=end - start, blocks=blocks,
            block_gas_limit=self.block_gas_limit, block_time=self.target.block_time,
            is_target=kind.name != "identities", block_interval=interval,
        )  # fmt: skip
