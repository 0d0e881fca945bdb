"""The one settle rule: what became of a transaction the journal says was (maybe) broadcast.

A journaled transaction is in exactly one of these states, decided in this order:

1. **mined** — the node has its receipt, in a block with `client.confirmations` blocks built on
   it: applied (status 1) or reverted (status 0). A receipt whose block is newer is awaited,
   and looked up again: on Clique the newest block can be replaced, its transactions sent back
   to the pool and mined again later (a step that relied on the first receipt would meet a
   state without it).
2. **superseded** — no receipt, and the sender's mined nonce has passed its nonce: another
   transaction took that nonce, so this one can never be mined. Its items are re-checked
   against the chain and sent again if still missing (the only case where anything is).
3. **open** — no receipt and its nonce is still free: it may yet be mined. It is NEVER replaced
   by a newly signed transaction (that could apply its items twice); the journaled signed
   bytes are broadcast again instead (harmless if the node already has them, and the fix when
   a crash came between journaling and broadcasting, or a node dropped it), and its receipt is
   awaited. Still open after the wait: `StillPending` — re-run later, nothing was sent.

Journal entries written before the signed bytes were journaled (no `raw`) cannot be
re-broadcast: while a node still knows them they are awaited; when no node does, they count as
superseded (the old rule).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

from civic_ledger.chain.client import ChainClient, Receipt
from civic_ledger.chain.journal import Journal, SentBatch
from civic_ledger.core.exceptions import StillPending

#: Seconds to wait for a re-broadcast transaction before giving up with StillPending
#: ($CIVIC_SETTLE_TIMEOUT overrides it).
SETTLE_TIMEOUT = float(os.environ.get("CIVIC_SETTLE_TIMEOUT", "180"))
#: A node may count a nonce a moment before it serves the receipt.
RECEIPT_GRACE = 2.0


@dataclass(frozen=True)
class Settled:
    """What settling found for one journaled transaction."""

    batch: SentBatch
    state: str  # "mined" | "reverted" | "superseded"
    receipt: Receipt | None = None


def settle(
    client: ChainClient,
    entries: Sequence[SentBatch],
    *,
    timeout: float = SETTLE_TIMEOUT,
    poll: float = 0.2,
) -> list[Settled]:
    """Settle `entries` (journaled, outcome unknown) by the rule above, in nonce order: every
    still-open transaction is re-broadcast first, then all are awaited together."""
    ordered = sorted(entries, key=lambda e: (e.sender or "", e.nonce or 0))
    mined_nonce: dict[str, int] = {}

    def nonce_of(sender: str) -> int:
        if sender not in mined_nonce:
            mined_nonce[sender] = client.nonce(sender, "latest")
        return mined_nonce[sender]

    waiting: list[SentBatch] = []
    for entry in ordered:
        if entry.tx and client.receipt(entry.tx) is not None:
            waiting.append(entry)  # resolved below with the others
            continue
        if entry.raw:
            client.send_raw(bytes.fromhex(entry.raw.removeprefix("0x")), rebroadcast=True)
        waiting.append(entry)

    results: dict[int, Settled] = {}
    deadline = time.monotonic() + timeout
    grace: dict[int, float] = {}
    while waiting:
        still: list[SentBatch] = []
        receipts = client.receipts([e.tx or "0x" + "00" * 32 for e in waiting])
        mined_nonce.clear()
        confirmations = client.confirmations
        head = client.block_number() if confirmations and any(receipts) else 0
        for entry, receipt in zip(waiting, receipts, strict=True):
            if receipt is not None and confirmations and head < receipt.block + confirmations:
                still.append(entry)  # too new to count: awaited, and looked up again
                continue
            if receipt is not None:
                state = "mined" if receipt.ok else "reverted"
                results[entry.batch] = Settled(entry, state, receipt)
                continue
            nonce_taken = (
                entry.sender is not None
                and entry.nonce is not None
                and nonce_of(entry.sender) > entry.nonce
            )
            if nonce_taken:
                first = grace.setdefault(entry.batch, time.monotonic())
                if time.monotonic() - first >= RECEIPT_GRACE:
                    results[entry.batch] = Settled(entry, "superseded")
                    continue
            elif not entry.raw and not (entry.tx and client.knows(entry.tx)):
                results[entry.batch] = Settled(entry, "superseded")  # legacy entry, unknown
                continue
            still.append(entry)
        waiting = still
        if waiting:
            if time.monotonic() > deadline:
                first = waiting[0]
                raise StillPending(
                    f"{len(waiting)} journaled transaction(s) are still pending after "
                    f"{timeout:.0f} s (first: {first.tx}, nonce {first.nonce}); they were "
                    "broadcast again and may still be mined: re-run once they are mined or "
                    "dropped (sending their items again now could apply them twice)"
                )
            time.sleep(poll)
    return [results[e.batch] for e in ordered]


def settle_journal(
    client: ChainClient, journal: Journal, *, timeout: float = SETTLE_TIMEOUT
) -> list[Settled]:
    """Settle every unresolved batch of `journal` and journal the outcome: mined batches as
    confirmed, reverted and superseded ones as failed (their items are to be re-checked)."""
    outcomes = settle(client, journal.unresolved, timeout=timeout)
    for outcome in outcomes:
        batch = outcome.batch
        if outcome.state == "mined":
            assert outcome.receipt is not None
            journal.record_confirmed(
                batch.batch,
                tx=batch.tx,
                block=outcome.receipt.block,
                gas_used=outcome.receipt.gas_used,
                note="settled after interruption",
            )
        elif outcome.state == "reverted":
            journal.record_failed(batch.batch, batch.tx, "reverted")
        else:
            journal.record_failed(
                batch.batch, batch.tx, "superseded: its nonce was used by another transaction"
            )
    return outcomes
