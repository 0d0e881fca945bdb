"""The one log reader: `eth_getLogs` over a block range in chunks whose size adapts to what
the node accepts.

Nodes limit a log query: Besu by block range (`--rpc-max-logs-range`, 1,000 blocks by default
in the versions that added it), geth and hosted nodes by result count or response size, and
some name the range that would work in their message. `LogReader` starts at `span` blocks,
halves the span when a query is refused for its size (or jumps to the range a node suggests),
grows it back after a run of answered queries - towards, not past, the smallest span refused
(a bisection, so a node's limit is learned in a few refusals and then respected; the refusal is
forgotten after a long run of answers, as result-count limits depend on how dense the logs
are) - and never asks for more than `max_span`. A
query refused at a span of one block, or refused for a reason that is not its size, raises
`RpcError` naming the blocks.

The indexer, the CLI's event reads (a record's data, a subject's records, role members,
scheduled operations) and the report all read logs through here. A reader made for a
deployment starts at its first block (`start`: the deploy manifest's first block, else 0), so
a read "from the beginning" does not walk the blocks before the suite existed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from civic_ledger.chain.client import ChainClient, Web3Client
from civic_ledger.core.exceptions import RpcError

#: Phrases nodes use when a log query is too large (block range, result count or response
#: size). Matched case-insensitively against the error message.
TOO_LARGE = (
    "block range",
    "range limit",
    "max range",
    "maximum range",
    "exceeds max",
    "exceed maximum",
    "query returned more than",
    "too many",
    "limit exceeded",
    "response size",
    "response is too big",
    "query timeout",
    "log response size exceeded",
    "range too large",
)
_SUGGESTED = re.compile(r"\[\s*(0x[0-9a-fA-F]+)\s*,\s*(0x[0-9a-fA-F]+)\s*\]")
#: Answered queries in a row after which the span doubles again (up to `max_span`).
GROW_AFTER = 4
#: Growth periods after which the smallest refused span is forgotten.
FORGET_AFTER = 16


@dataclass(frozen=True)
class Log:
    """One log as plain values (a node's JSON-RPC answer normalised: bytes, ints)."""

    address: str
    topics: tuple[bytes, ...]
    data: bytes
    block: int
    log_index: int
    tx_hash: str

    @classmethod
    def from_rpc(cls, raw: dict[str, Any]) -> Log:
        return cls(
            address=str(raw["address"]),
            topics=tuple(_bytes(t) for t in raw.get("topics") or ()),
            data=_bytes(raw.get("data") or b""),
            block=_int(raw["blockNumber"]),
            log_index=_int(raw["logIndex"]),
            tx_hash="0x" + _bytes(raw["transactionHash"]).hex(),
        )


def _bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    return bytes.fromhex(str(value).removeprefix("0x"))


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def too_large(error: RpcError) -> bool:
    """Whether a refused `eth_getLogs` says the query was too large (so a smaller one may
    pass), as opposed to any other failure."""
    text = str(error).lower()
    return (error.code in (-32005, -32602) and "range" in text) or any(p in text for p in TOO_LARGE)


@dataclass
class LogReader:
    """Chunked, limit-adapting `eth_getLogs` reads through one `ChainClient`."""

    client: ChainClient
    span: int = 2_000
    max_span: int = 10_000
    #: No read starts before this block (a deployment's first block: nothing of it is older).
    start: int = 0
    #: Logs wanted per chunk (None: as many as the node gives): after a larger answer the span
    #: shrinks in proportion, and it doubles after each answer of under half this many, so a
    #: reader that processes each chunk (the indexer) gets chunks of about this size.
    max_logs: int | None = None
    #: Queries refused for size and retried smaller since this reader was made (for status).
    shrinks: int = field(default=0, init=False)
    _answered: int = field(default=0, init=False)
    _good: int = field(default=0, init=False)  # largest span answered
    _bad: int | None = field(default=None, init=False)  # smallest span refused (remembered)

    def __post_init__(self) -> None:
        if self.span < 1 or self.max_span < self.span:
            raise ValueError(f"log span {self.span} / max {self.max_span}: need 1 <= span <= max")
        if self.max_logs is not None and self.max_logs < 1:
            raise ValueError(f"logs per chunk {self.max_logs}: need at least 1")

    def chunks(
        self,
        addresses: Sequence[str],
        topics: Sequence[Any] | None,
        first: int,
        last: int,
    ) -> Iterator[tuple[int, int, list[dict[str, Any]]]]:
        """`(from, to, logs)` for consecutive block ranges covering `first`..`last`, in chain
        order; every block of the range is covered exactly once."""
        start = max(first, self.start, 0)
        while start <= last:
            stop = min(last, start + self.span - 1)
            query: dict[str, Any] = {
                "address": list(addresses),
                "fromBlock": hex(start),
                "toBlock": hex(stop),
            }
            if topics:
                query["topics"] = list(topics)
            try:
                logs = self.client.call("eth_getLogs", query)
            except RpcError as exc:
                if stop == start or not too_large(exc):
                    raise RpcError(
                        "eth_getLogs", f"blocks {start}..{stop}: {str(exc).split(': ', 1)[-1]}",
                        exc.code,
                    ) from None  # fmt: skip
                self._shrink(exc, start, stop)
                continue
            logs = list(logs or [])
            self._fit(stop - start + 1, len(logs))
            yield start, stop, logs
            start = stop + 1

    def read(
        self,
        addresses: Sequence[str],
        topics: Sequence[Any] | None,
        first: int,
        last: int,
    ) -> list[dict[str, Any]]:
        """Every log in `first`..`last`, in chain order."""
        out: list[dict[str, Any]] = []
        for _, _, logs in self.chunks(addresses, topics, first, last):
            out.extend(logs)
        return out

    def logs(
        self,
        addresses: Sequence[str],
        topics: Sequence[Any] | None,
        first: int = 0,
        last: int | None = None,
    ) -> list[Log]:
        """Every log in `first`..`last` (default: the latest block) as `Log`s, in chain order."""
        last = self.client.block_number() if last is None else last
        found = [Log.from_rpc(raw) for raw in self.read(addresses, topics, first, last)]
        return sorted(found, key=lambda log: (log.block, log.log_index))

    def _shrink(self, error: RpcError, start: int, stop: int) -> None:
        refused = stop - start + 1
        self.shrinks += 1
        self._answered = 0
        self._bad = refused if self._bad is None else min(self._bad, refused)
        suggested = _SUGGESTED.search(str(error))
        if suggested:
            low, high = (int(x, 16) for x in suggested.groups())
            if low == start and start <= high < stop:
                self.span = high - start + 1
                return
        self.span = self._good if 0 < self._good < refused else max(1, refused // 2)

    def _fit(self, blocks: int, count: int) -> None:
        """After an answer of `count` logs for `blocks` blocks: grow, or keep chunks near
        `max_logs`."""
        if self.max_logs is None:
            self._grow()
        elif count > self.max_logs:
            self.span = max(1, blocks * self.max_logs // count)
        elif count * 2 < self.max_logs:
            self._grow(every=1)

    def _grow(self, every: int = GROW_AFTER) -> None:
        self._good = max(self._good, self.span)
        self._answered += 1
        if self._answered % every:
            return
        if self._answered >= GROW_AFTER * FORGET_AFTER:
            self._bad, self._answered = None, 0
        target = min(self.max_span, self.span * 2)
        if self._bad is not None:
            target = min(target, (self.span + self._bad) // 2)
        self.span = max(self.span, target)


def ape_log_reader(start: int = 0) -> LogReader:
    """A reader on Ape's connected provider (the CLI's and the clients' node)."""
    return LogReader(Web3Client.from_ape(), start=start)
