"""The one bulk runner: validated items -> chain check -> batches -> the chain layer's sender.

Every bulk import (identities, parcels, records, tax rolls) is a `BulkJob` — how to name an
item, ask the chain which items are already applied (or impossible), and encode one batch
call — run by `BulkRunner`, which owns everything else the same way for all of them:

1. the journal (`civic_ledger.chain.journal`): opened for this job, chain, contract and input
   (a journal of another job is refused);
2. settling an interrupted run (`civic_ledger.chain.settle`): batches mined are adopted, batches
   whose nonce is still open are re-broadcast as journaled (never re-signed), batches
   superseded or reverted are re-checked;
3. the chain check: items whose key the journal holds as confirmed, and items already on
   chain, are skipped; items the chain would refuse are bad rows — all before the first
   transaction;
4. sending: one pipelined sender, each batch's signed bytes journaled before broadcast;
5. the result: what was imported, recovered, skipped, refused, with figures and a progress
   callback per batch.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

from civic_ledger.chain.client import ChainClient, Web3Client
from civic_ledger.chain.fees import PRIORITY_FEE, max_fee_per_gas
from civic_ledger.chain.journal import Journal
from civic_ledger.chain.sender import Outcome, Sender, TxRequest
from civic_ledger.chain.settle import settle_journal
from civic_ledger.chain.signer import signer_for

DEFAULT_WINDOW = 8  # batches in flight before waiting for receipts
GAS_MARGIN = 1.2  # a batch's gas limit: its estimate x this


@dataclass(frozen=True)
class RowError:
    """An item that cannot be imported, with its line number in the input file."""

    line: int
    reason: str
    code: str | None = None

    def __str__(self) -> str:
        where = f"line {self.line}" + (f" ({self.code})" if self.code else "")
        return f"{where}: {self.reason}"


@dataclass
class ChainCheck:
    """Items split by what the chain already holds."""

    todo: list[Any] = field(default_factory=list)
    on_chain: list[Any] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


class BulkJob(Protocol):
    """What differs between one bulk import and another."""

    name: str  # journal job name, e.g. "titles-import"
    max_batch: int

    @property
    def address(self) -> str: ...

    def key(self, item: Any) -> str: ...

    def line(self, item: Any) -> int: ...

    def check(self, items: Sequence[Any]) -> ChainCheck: ...

    def calldata(self, items: Sequence[Any]) -> bytes: ...

    def preflight(self, items: Sequence[Any], sender: Any) -> None:
        """Dry-run one batch as `sender` (a call): raise what the contract would refuse."""
        ...

    def failure_reason(self, items: Sequence[Any], sender: Any) -> str: ...


@dataclass
class BulkResult:
    """What one run did."""

    rows: int = 0
    imported: int = 0  # items sent fresh by this run (and mined)
    already_on_chain: int = 0
    recovered: int = 0  # items of batches from an interrupted run found applied
    resumed: bool = False  # the journal's last run stopped before it finished
    confirmed_before: int = 0  # items the journal already held as confirmed
    unsettled_batches: int = 0  # batches of the interrupted run whose outcome was unknown
    dropped: int = 0  # items of such batches found superseded or reverted: re-checked
    bad_rows: list[RowError] = field(default_factory=list)
    failed_batches: list[tuple[int, str]] = field(default_factory=list)
    transactions: int = 0
    gas_used: int = 0
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.imported / self.seconds if self.seconds else 0.0

    @property
    def ok(self) -> bool:
        return not self.bad_rows and not self.failed_batches


def replay_reason(job: BulkJob, items: Sequence[Any], sender: Any) -> str:
    """Why a batch failed: its `preflight` replayed as a call, the refusal explained."""
    from civic_ledger.core.revert import explain

    try:
        job.preflight(items, sender)
    except Exception as exc:
        return explain(exc)
    return "reverted (state changed since; re-run to retry)"


@dataclass
class BatchCallJob:
    """A job whose batch is ONE call of `method` on `contract` with `arguments(items)`, its items
    carrying their input `line` (and, unless `key` says otherwise, their journal `key`):
    calldata, the dry run and the failure replay follow from that. A job says only what is its
    own — its name, method and batch bound with the class (`class TaxRollJob(BatchCallJob,
    name=..., method="assess", max_batch=1)`), the contracts of its chain check as fields after
    `contract`, its `check` and `arguments`."""

    contract: Any
    name: ClassVar[str]  # journal job name, e.g. "titles-import"
    method: ClassVar[str]
    max_batch: ClassVar[int]

    def __init_subclass__(cls, *, name: str, method: str, max_batch: int, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        cls.name, cls.method, cls.max_batch = name, method, max_batch

    @property
    def address(self) -> str:
        return str(self.contract.address)

    def key(self, item: Any) -> str:
        return str(item.key)

    def line(self, item: Any) -> int:
        return int(item.line)

    def arguments(self, items: Sequence[Any]) -> tuple[Any, ...]:
        raise NotImplementedError

    def calldata(self, items: Sequence[Any]) -> bytes:
        return bytes(getattr(self.contract, self.method).encode_input(*self.arguments(items)))

    def preflight(self, items: Sequence[Any], sender: Any) -> None:
        getattr(self.contract, self.method).call(*self.arguments(items), sender=sender)

    def failure_reason(self, items: Sequence[Any], sender: Any) -> str:
        return replay_reason(self, items, sender)  # type: ignore[arg-type]


def plan_batches(items: Sequence[Any], batch_size: int, max_batch: int) -> list[list[Any]]:
    """Consecutive batches of at most `batch_size` items (input order kept)."""
    if not 1 <= batch_size <= max_batch:
        raise ValueError(f"batch size must be between 1 and {max_batch}")
    return [list(items[i : i + batch_size]) for i in range(0, len(items), batch_size)]


ProgressFn = Callable[[int], None]


class BulkRunner:
    """Runs `job` over items, signing with `sender` (an Ape account or a chain-layer signer),
    journaled at `journal_path`. `on_sent(batch)` / `on_confirmed(batch)` are test hooks (e.g. to
    simulate a crash between broadcast and receipt)."""

    def __init__(
        self,
        job: BulkJob,
        sender: Any,
        journal_path: Path,
        *,
        batch_size: int,
        window: int = DEFAULT_WINDOW,
        fresh: bool = False,
        source: str = "",
        client: ChainClient | None = None,
        on_sent: Callable[[int], None] | None = None,
        on_confirmed: Callable[[int], None] | None = None,
    ) -> None:
        self.job = job
        self.sender = sender
        self.signer = signer_for(sender)
        self.batch_size = batch_size
        self.window = max(1, window)
        self.on_sent = on_sent
        self.on_confirmed = on_confirmed
        self.client = client or Web3Client.from_ape()
        chain = self.client.chain_ref()
        self.chain_id = chain.chain_id
        header = {
            "job": job.name,
            "chain_id": chain.chain_id,
            "genesis": chain.genesis.removeprefix("0x"),
            "contract": str(job.address),
            "source": source,
        }
        self.journal = Journal.open(journal_path, header, fresh=fresh)

    def run(
        self,
        items: Sequence[Any],
        *,
        bad_rows: Iterable[RowError] = (),
        progress: ProgressFn | None = None,
        planned: Callable[[int], None] | None = None,
    ) -> BulkResult:
        """Settle an interrupted run, check the chain, send what is missing. `planned(n)` is
        told how many items will be sent; `progress(k)` after each batch."""
        started = time.perf_counter()
        result = BulkResult(rows=len(items), bad_rows=list(bad_rows))
        try:
            self._settle(result)
            done = self.journal.confirmed  # items this journal saw mined: done, not re-checked
            check = self.job.check([i for i in items if self.job.key(i) not in done])
            result.already_on_chain = len(check.on_chain) + sum(
                1 for i in items if self.job.key(i) in done
            )
            result.bad_rows.extend(check.errors)
            result.bad_rows.sort(key=lambda e: e.line)
            if planned:
                planned(len(check.todo))
            batches = plan_batches(check.todo, self.batch_size, self.job.max_batch)
            self._send_all(batches, result, progress)
            self.journal.record_event(
                "finished",
                imported=result.imported,
                transactions=result.transactions,
                already_on_chain=result.already_on_chain,
                failed_batches=len(result.failed_batches),
                bad_rows=len(result.bad_rows),
            )
        finally:
            result.seconds = time.perf_counter() - started
            self.journal.close()
        return result

    def _settle(self, result: BulkResult) -> None:
        result.resumed = self.journal.state.open_run
        result.confirmed_before = len(self.journal.confirmed)
        outcomes = settle_journal(self.client, self.journal)
        result.unsettled_batches = len(outcomes)
        recovered = [o.batch.batch for o in outcomes if o.state == "mined"]
        dropped = [o.batch.batch for o in outcomes if o.state != "mined"]
        result.recovered = sum(len(o.batch.keys) for o in outcomes if o.state == "mined")
        result.dropped = sum(len(o.batch.keys) for o in outcomes if o.state != "mined")
        if result.resumed:
            self.journal.record_event(
                "resume",
                confirmed_before=result.confirmed_before,
                recovered=result.recovered,
                recovered_batches=recovered,
                dropped=result.dropped,
                dropped_batches=dropped,
            )

    def _send_all(
        self, batches: list[list[Any]], result: BulkResult, progress: ProgressFn | None
    ) -> None:
        if not batches:
            return
        items_of: dict[int, list[Any]] = {}

        def request(items: list[Any]) -> TxRequest:
            number = self.journal.new_batch_number()
            items_of[number] = items
            data = self.job.calldata(items)
            estimate = self.client.estimate_gas(self.signer.address, self.job.address, data)
            keys = tuple(self.job.key(i) for i in items)
            return TxRequest(number, keys, self.job.address, data, int(estimate * GAS_MARGIN))

        def requests() -> Iterator[TxRequest]:
            yield first
            for items in batches[1:]:
                yield request(items)

        # The fee must still be acceptable at the import's last block (EIP-1559: each full
        # block raises the base fee 12.5 %): projected from the first batch's gas.
        first = request(batches[0])
        full_blocks = len(batches) * first.gas // max(self.client.gas_limit(), 1) + 1
        max_fee = max_fee_per_gas(self.client.base_fee(), full_blocks, first.gas)

        def settled(outcome: Outcome) -> None:
            items = items_of[outcome.request.batch]
            if outcome.ok:
                assert outcome.receipt is not None
                result.imported += len(items)
                result.gas_used += outcome.receipt.gas_used
            else:
                lines = f"lines {self.job.line(items[0])}-{self.job.line(items[-1])}"
                reason = self.job.failure_reason(items, self.sender)
                result.failed_batches.append((outcome.request.batch, f"{lines}: {reason}"))
            if self.on_confirmed:
                self.on_confirmed(outcome.request.batch)
            if progress:
                progress(len(items))

        def sent(request: TxRequest, _signed: Any) -> None:
            result.transactions += 1
            if self.on_sent:
                self.on_sent(request.batch)

        sender = Sender(
            self.client, self.signer, self.journal, chain_id=self.chain_id, max_fee=max_fee,
            priority_fee=PRIORITY_FEE, window=self.window, on_sent=sent, on_settled=settled,
        )  # fmt: skip
        sender.run(requests())


def journal_path_for(job: str, csv_path: Path, network: str) -> Path:
    """A bulk job's default journal: `<repo>/.journal/<job>-<network>-<csv stem>.jsonl`."""
    from civic_ledger.core.paths import ROOT

    return ROOT / ".journal" / f"{job}-{network}-{csv_path.stem}.jsonl"


def confirmed_keys(journal_path: Path, job: BulkJob) -> set[str]:
    """The keys an existing journal of `job` (same job name and contract) holds as confirmed;
    none for a missing journal or one of another job (read only: nothing is written)."""
    if not journal_path.is_file():
        return set()
    header = Journal(journal_path).state
    same = header.header is not None and all(
        header.header.get(k) == v for k, v in (("job", job.name), ("contract", str(job.address)))
    )
    return set(header.confirmed) if same else set()
