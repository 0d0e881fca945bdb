"""Resumable bulk imports: an append-only JSON-lines journal of the batches sent and mined.

Written in parallel with the project's bulk-job journal (`civic_ledger/journal.py`, used by
the parcel import); the two overlap and this one should be folded into it. One file per (chain, contract, kind, run): the first line fixes
the plan (batch size, item count) so a resumed run cuts the same batches; then one line when a
batch's transaction is sent and one when its receipt is seen. On restart, `unsettled()` lists
batches whose transaction was sent but whose outcome is unknown: the caller asks the chain.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class BatchState:
    index: int
    first: int
    count: int
    tx_hash: str | None = None
    nonce: int | None = None
    status: str = "new"  # new | sent | mined | failed
    gas_used: int = 0
    block: int = 0


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.plan: dict[str, Any] | None = None
        self.batches: dict[int, BatchState] = {}
        if path.exists():
            self._load()

    def _load(self) -> None:
        for line in self.path.read_text().splitlines():
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a crash: the batch stays unsettled
            if "plan" in entry:
                self.plan = entry["plan"]
                continue
            index = entry["batch"]
            state = self.batches.setdefault(
                index, BatchState(index, entry["first"], entry["count"])
            )
            for key in ("tx_hash", "nonce", "status", "gas_used", "block"):
                if key in entry:
                    setattr(state, key, entry[key])

    def _append(self, entry: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        prefix = ""
        if self.path.exists() and self.path.stat().st_size:
            with self.path.open("rb") as fh:
                fh.seek(-1, 2)
                if fh.read(1) != b"\n":
                    prefix = "\n"  # end a line cut short by a crash before appending
        with self.path.open("a") as fh:
            fh.write(prefix + json.dumps(entry) + "\n")
            fh.flush()

    def start(self, plan: dict[str, Any]) -> dict[str, Any]:
        """The plan of this import: the journaled one if resuming, else `plan` (recorded)."""
        if self.plan is None:
            self.plan = plan
            self._append({"plan": plan})
        return self.plan

    def sent(self, index: int, first: int, count: int, tx_hash: str, nonce: int) -> None:
        self.batches[index] = BatchState(index, first, count, tx_hash, nonce, "sent")
        self._append(
            {"batch": index, "first": first, "count": count, "tx_hash": tx_hash,
             "nonce": nonce, "status": "sent"}
        )  # fmt: skip

    def settled(self, index: int, status: str, gas_used: int = 0, block: int = 0) -> None:
        state = self.batches[index]
        state.status, state.gas_used, state.block = status, gas_used, block
        self._append(
            {"batch": index, "first": state.first, "count": state.count, "status": status,
             "gas_used": gas_used, "block": block}
        )  # fmt: skip

    def done(self) -> set[int]:
        return {i for i, b in self.batches.items() if b.status == "mined"}

    def unsettled(self) -> list[BatchState]:
        return [b for b in self.batches.values() if b.status == "sent"]
