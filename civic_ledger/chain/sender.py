"""The one sender: sign -> journal -> broadcast -> collect receipts, pipelined.

Each transaction is signed locally with an explicit nonce, journaled (signed bytes included,
fsynced) *before* it is broadcast, and up to `window` are in flight from one sender while
earlier ones are mined — so the chain's block gas limit, not the client, bounds a bulk job.
A transaction without a receipt is never replaced by a new one: it is re-broadcast as is (see
`civic_ledger.chain.settle`). Window 1 is the plain "send one and wait" used by the deploy plan.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from civic_ledger.chain.client import ChainClient, Receipt, hex0x
from civic_ledger.chain.fees import PRIORITY_FEE
from civic_ledger.chain.journal import Journal
from civic_ledger.chain.signer import SignedTx, Signer
from civic_ledger.core.exceptions import StillPending


@dataclass(frozen=True)
class TxRequest:
    """One transaction to send. `batch` and `keys` are what the journal records for it."""

    batch: int
    keys: tuple[str, ...]
    to: str | None
    data: bytes
    gas: int
    value: int = 0


@dataclass(frozen=True)
class Outcome:
    """A transaction of this run and its receipt (None: superseded, see settle)."""

    request: TxRequest
    signed: SignedTx
    receipt: Receipt | None
    seen_at: float

    @property
    def ok(self) -> bool:
        return self.receipt is not None and self.receipt.ok


@dataclass
class _InFlight:
    request: TxRequest
    signed: SignedTx
    sent_at: float
    last_broadcast: float


#: Re-broadcast a transaction that has had no receipt for this long (a node may have dropped it).
REBROADCAST_AFTER = 20.0
#: A receipt still missing this long after the sender's nonce passed it: another transaction
#: took the nonce.
SUPERSEDED_AFTER = 30.0


class Sender:
    """Send `TxRequest`s from `signer` through `client`, journaling each in `journal`."""

    def __init__(
        self,
        client: ChainClient,
        signer: Signer,
        journal: Journal,
        *,
        chain_id: int,
        max_fee: int,
        priority_fee: int = PRIORITY_FEE,
        window: int = 1,
        poll: float = 0.1,
        timeout: float = 900.0,
        on_sent: Callable[[TxRequest, SignedTx], None] | None = None,
        on_settled: Callable[[Outcome], None] | None = None,
    ) -> None:
        self.client = client
        self.signer = signer
        self.journal = journal
        self.chain_id = chain_id
        self.max_fee = max_fee
        self.priority_fee = min(priority_fee, max_fee)
        self.window = max(1, window)
        self.poll = poll
        self.timeout = timeout
        self.on_sent = on_sent
        self.on_settled = on_settled
        self.in_flight: list[_InFlight] = []
        self.outcomes: list[Outcome] = []
        self._nonce: int | None = None

    def sign(self, request: TxRequest, nonce: int) -> SignedTx:
        tx: dict[str, Any] = {
            "chainId": self.chain_id,
            "nonce": nonce,
            "to": request.to,
            "value": request.value,
            "data": request.data,
            "gas": request.gas,
            "maxFeePerGas": self.max_fee,
            "maxPriorityFeePerGas": self.priority_fee,
        }
        return self.signer.sign(tx)

    def send(self, request: TxRequest) -> None:
        """Sign, journal and broadcast one request (waiting first if the window is full)."""
        deadline = time.monotonic() + self.timeout
        while len(self.in_flight) >= self.window:
            self._collect(deadline)
        if self._nonce is None:
            self._nonce = self.client.nonce(self.signer.address, "pending")
        signed = self.sign(request, self._nonce)
        self.journal.record_sent(
            request.batch,
            request.keys,
            signed.tx_hash,
            signed.nonce,
            sender=signed.sender,
            raw=hex0x(signed.raw),
        )
        self.client.send_raw(signed.raw)
        self._nonce += 1
        now = time.monotonic()
        self.in_flight.append(_InFlight(request, signed, now, now))
        if self.on_sent:
            self.on_sent(request, signed)

    def finish(self) -> list[Outcome]:
        """Wait for every transaction in flight; returns every outcome of this sender."""
        deadline = time.monotonic() + self.timeout
        while self.in_flight:
            self._collect(deadline)
        return self.outcomes

    def run(self, requests: Iterable[TxRequest]) -> list[Outcome]:
        for request in requests:
            self.send(request)
        return self.finish()

    # -------------------------------------------------------------------------------------

    def _collect(self, deadline: float) -> None:
        """Wait until at least one in-flight transaction is settled; journal it."""
        taken_since: dict[str, float] = {}
        while True:
            mined_nonce = self.client.nonce(self.signer.address, "latest")
            candidates = [f for f in self.in_flight if f.signed.nonce < mined_nonce]
            receipts = self.client.receipts([f.signed.tx_hash for f in candidates])
            now = time.monotonic()
            settled: list[tuple[_InFlight, Receipt | None]] = []
            for flight, receipt in zip(candidates, receipts, strict=True):
                if receipt is not None:
                    settled.append((flight, receipt))
                elif now - taken_since.setdefault(flight.signed.tx_hash, now) > SUPERSEDED_AFTER:
                    settled.append((flight, None))  # another transaction took its nonce
            if settled:
                break
            for flight in self.in_flight:
                if flight.signed.nonce >= mined_nonce and now - flight.last_broadcast > (
                    REBROADCAST_AFTER
                ):
                    self.client.send_raw(flight.signed.raw, rebroadcast=True)
                    flight.last_broadcast = now
            if now > deadline:
                first = self.in_flight[0].signed
                raise StillPending(
                    f"{len(self.in_flight)} transaction(s) of {self.signer.address} not mined "
                    f"after {self.timeout:.0f} s (first: {first.tx_hash}, nonce {first.nonce}): "
                    "fee too low or the node is stalled; they are journaled — re-run to resume "
                    "(they will be broadcast again, never re-signed)"
                )
            time.sleep(self.poll)
        for flight, receipt in settled:
            self._journal(flight, receipt)
            outcome = Outcome(flight.request, flight.signed, receipt, now)
            self.outcomes.append(outcome)
            if self.on_settled:
                self.on_settled(outcome)
        done = {id(flight) for flight, _ in settled}
        self.in_flight = [f for f in self.in_flight if id(f) not in done]

    def _journal(self, flight: _InFlight, receipt: Receipt | None) -> None:
        batch, tx = flight.request.batch, flight.signed.tx_hash
        if receipt is None:
            self.journal.record_failed(batch, tx, "superseded: its nonce was used by another")
        elif receipt.ok:
            self.journal.record_confirmed(
                batch, tx=tx, block=receipt.block, gas_used=receipt.gas_used
            )
        else:
            self.journal.record_failed(batch, tx, "reverted")
