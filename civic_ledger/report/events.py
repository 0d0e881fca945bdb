"""The suite's events, decoded for auditors: which contract said what, in which block and
transaction, at what time, by whom.

Reads only, through the chain layer's client (`eth_getLogs`, blocks, transactions). Every
event of the chosen names, emitted by the chosen contracts within a block range, becomes an
`EventRow`: its name, contract, block, time, transaction hash, log index, the actor — the
event's own `operator` (or `caller`) argument, which names who acted even when a multisig or
a scheduled operation sent the transaction, else the transaction's sender — and every
argument by name. An indexed argument of a dynamic type (string, bytes, array, struct) is
known only by its hash: that hash is shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_utils import keccak, to_checksum_address

from civic_ledger.chain.client import ChainClient
from civic_ledger.chain.logs import Log, LogReader
from civic_ledger.core.event_codec import decode_event
from civic_ledger.core.exceptions import ReportError
from civic_ledger.core.times import iso_utc

ACTOR_ARGUMENTS = ("operator", "caller")  # the acting account, by the suite's event convention
FIXED_COLUMNS = ("event", "contract", "block", "time", "tx_hash", "log_index", "actor")
BATCH = 200  # block headers or transactions per batched request


@dataclass(frozen=True)
class EventKind:
    """One event of one contract's ABI."""

    contract: str
    address: str
    name: str
    topic: bytes
    inputs: tuple[tuple[str, str, bool], ...]  # (name, canonical type, indexed)

    @classmethod
    def from_abi(cls, contract: str, address: str, abi: Any) -> EventKind:
        inputs = tuple((i.name or f"arg{n}", i.canonical_type, bool(i.indexed))
                       for n, i in enumerate(abi.inputs))  # fmt: skip
        return cls(contract, address, abi.name, keccak(text=abi.selector), inputs)


@dataclass(frozen=True)
class EventRow:
    """One decoded event."""

    event: str
    contract: str
    block: int
    time: int
    tx_hash: str
    log_index: int
    actor: str
    args: dict[str, Any] = field(default_factory=dict)

    @property
    def when(self) -> str:
        return iso_utc(self.time)


def event_kinds(contracts: Iterable[tuple[str, str, Sequence[Any]]]) -> list[EventKind]:
    """The events of `(contract name, address, event ABIs)` triples."""
    return [EventKind.from_abi(n, a, abi) for n, a, abis in contracts for abi in abis]


def select(kinds: Sequence[EventKind], wanted: str) -> list[EventKind]:
    """The kinds named in `wanted` (a comma list of event names, or `all`); ReportError naming
    an unknown name and some known ones."""
    names = [w.strip() for w in wanted.split(",") if w.strip()]
    if not names:
        raise ReportError("no event names given (a comma list of names, or all)")
    if [n.lower() for n in names] == ["all"]:
        return list(kinds)
    known = {k.name for k in kinds}
    unknown = [n for n in names if n not in known]
    if unknown:
        shown = ", ".join(sorted(known)[:12])
        raise ReportError(f"no event named {unknown[0]!r} in the suite (known: {shown}, …)")
    return [k for k in kinds if k.name in names]


# ------------------------------------------------------------------ block range


def block_at(client: ChainClient, when: int, *, after: bool) -> int:
    """The first block stamped at or after `when` (`after`), or the last stamped at or before
    it, by bisection over block timestamps."""
    latest = client.block_number()
    low, high = 0, latest

    def stamp(n: int) -> int:
        return int(_int(client.block(n)["timestamp"]))

    if after:
        if stamp(latest) < when:
            return latest + 1  # nothing yet
        while low < high:
            mid = (low + high) // 2
            low, high = (mid + 1, high) if stamp(mid) < when else (low, mid)
        return low
    if stamp(0) > when:
        return -1
    while low < high:
        mid = (low + high + 1) // 2
        low, high = (mid, high) if stamp(mid) <= when else (low, mid - 1)
    return low


def parse_bound(client: ChainClient, text: str, *, start: bool) -> int:
    """A block number, or a date (YYYY-MM-DD, UTC: its first block for a start, its last for an
    end) or ISO date-time, as a block number; ValueError if neither."""
    value = text.strip()
    if value.isascii() and value.isdigit():
        if len(value) > 20:
            raise ValueError(f"block {value[:24]}… is out of range")
        return int(value)
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            moment = dt.datetime.combine(day, dt.time() if start else dt.time(23, 59, 59))
        else:
            moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{text!r}: expected a block number, YYYY-MM-DD or an ISO date-time"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return block_at(client, int(moment.timestamp()), after=start)


# ------------------------------------------------------------------ reading


def read_events(
    client: ChainClient,
    kinds: Sequence[EventKind],
    first: int,
    last: int,
    *,
    logs: LogReader | None = None,
) -> list[EventRow]:
    """Every event of `kinds` in blocks `first`..`last`, in chain order, read through `logs`
    (default: a reader on `client`). Block times and the senders of transactions whose events
    name no actor are fetched in batches."""
    by_key = {(k.address.lower(), k.topic): k for k in kinds}
    addresses = sorted({k.address for k in kinds})
    topics = sorted({"0x" + k.topic.hex() for k in kinds})
    found: list[tuple[EventKind, Log, dict[str, Any]]] = []
    for log in (logs or LogReader(client)).logs(addresses, [topics], first, last):
        kind = by_key.get((log.address.lower(), log.topics[0] if log.topics else b""))
        if kind is not None:
            found.append((kind, log, decode_arguments(kind, log.topics, log.data)))
    blocks = sorted({log.block for _, log, _ in found})
    times = {
        n: _int(header["timestamp"])
        for n, header in zip(blocks, batched(client, "eth_getBlockByNumber",
                                              [[hex(n), False] for n in blocks]), strict=True)
    }  # fmt: skip
    unnamed = sorted({log.tx_hash for _, log, args in found
                      if not any(a in args for a in ACTOR_ARGUMENTS)})  # fmt: skip
    txs = batched(client, "eth_getTransactionByHash", [[h] for h in unnamed])
    senders = {h: to_checksum_address(tx["from"]) for h, tx in zip(unnamed, txs, strict=True)}
    rows = []
    for kind, log, args in found:
        actor = next((str(args[a]) for a in ACTOR_ARGUMENTS if a in args), senders.get(log.tx_hash))
        rows.append(EventRow(kind.name, kind.contract, log.block, times[log.block], log.tx_hash,
                             log.log_index, actor or "", args))  # fmt: skip
    rows.sort(key=lambda r: (r.block, r.log_index))
    return rows


def batched(client: ChainClient, method: str, params: Sequence[list[Any]]) -> list[Any]:
    """`method` for each of `params`, in batched requests; a failed or empty answer raises."""
    out: list[Any] = []
    for start in range(0, len(params), BATCH):
        calls = [(method, p) for p in params[start : start + BATCH]]
        for (_, p), answer in zip(calls, client.batch(calls), strict=True):
            if isinstance(answer, Exception) or answer is None:
                raise ReportError(f"the node did not answer {method} {p[0]}: {answer}")
            out.append(answer)
    return out


def decode_arguments(kind: EventKind, topics: Sequence[bytes], data: bytes) -> dict[str, Any]:
    """The event's arguments by name: indexed ones from the topics (a dynamic type's hash as
    0x-hex), the rest from the data (core/event_codec: addresses checksummed, bytes as hex)."""
    return decode_event(kind.inputs, topics, data)


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def columns(rows: Sequence[EventRow]) -> list[str]:
    """The report's columns: the fixed ones, then every argument name in order of first
    appearance (an event without that argument leaves it empty)."""
    names: dict[str, None] = {}
    for row in rows:
        for name in row.args:
            names.setdefault(name if name not in FIXED_COLUMNS else f"arg_{name}", None)
    return [*FIXED_COLUMNS, *names]


def cells(row: EventRow, header: Sequence[str]) -> list[Any]:
    """`row`'s values under `header` (None where the event has no such argument)."""
    fixed = {"event": row.event, "contract": row.contract, "block": row.block, "time": row.when,
             "tx_hash": row.tx_hash, "log_index": row.log_index, "actor": row.actor}  # fmt: skip
    args = {(n if n not in FIXED_COLUMNS else f"arg_{n}"): v for n, v in row.args.items()}
    return [fixed[c] if c in fixed else args.get(c) for c in header]
