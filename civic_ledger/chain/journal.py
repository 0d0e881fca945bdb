"""The one transaction journal: every job that sends transactions (deploy, bulk imports, the
benchmark's imports) writes one append-only JSON-lines file, fsynced per line.

The job's first line (`start`) names what the journal belongs to — chain, contract, input
fingerprint — so a journal from another chain or another input is never applied. An optional
`plan` line fixes decisions a resumed run must repeat (e.g. the batch size). Then, per batch of
items (one transaction each):

    {"type": "sent", "batch": 3, "keys": ["A-1", ...], "tx": "0x..", "nonce": 41,
     "sender": "0x..", "raw": "0x02f8..."}
    {"type": "confirmed", "batch": 3, "tx": "0x..", "block": 812, "gas_used": 9123456}
    {"type": "failed", "batch": 3, "tx": "0x..", "reason": "..."}

`raw` is the signed transaction itself: a resumed run never signs a new transaction for a batch
whose nonce may still be mined, it re-broadcasts these exact bytes (see `civic_ledger.chain.
settle`), which also recovers a batch that one node of a multi-node network dropped.

A run that picks up an interrupted one writes `{"type": "resume", ...}` (what it found and how
it settled it) and every run that ends writes `{"type": "finished", ...}` (what it did), so the
file tells which run was interrupted and what the next one resumed.

`sent` is written (and fsynced) before the transaction is broadcast, so after a crash every
possibly-broadcast batch is known: a re-run treats confirmed keys as done, and asks the caller to
re-check sent-but-unconfirmed batches against chain state before sending anything again. A torn
last line (crash mid-write) is ignored.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from civic_ledger.core.exceptions import JournalMismatch
from civic_ledger.core.times import iso_utc

JOURNAL_VERSION = 1
__all__ = ["Journal", "JournalMismatch", "JournalState", "SentBatch"]


@dataclass(frozen=True)
class SentBatch:
    """A batch that was (possibly) broadcast and whose outcome the journal does not know."""

    batch: int
    keys: tuple[str, ...]
    tx: str | None
    nonce: int | None
    sender: str | None = None
    raw: str | None = None  # the signed transaction (0x-hex), to re-broadcast as is


@dataclass
class JournalState:
    """What a journal file says so far."""

    header: dict[str, Any] | None = None
    plan: dict[str, Any] | None = None
    confirmed: set[str] = field(default_factory=set)
    unresolved: dict[int, SentBatch] = field(default_factory=dict)
    failed: dict[int, SentBatch] = field(default_factory=dict)
    next_batch: int = 0
    lines: int = 0
    #: records of the job (sent/confirmed/failed) since the last `finished` record: the last
    #: run stopped before it finished (crash, kill, error).
    open_run: bool = False


class Journal:
    """Append-only JSON-lines journal of one bulk job (see module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.state = self._read(path)
        self._file: Any = None

    # -------------------------------------------------------------- opening

    @classmethod
    def open(cls, path: Path, header: dict[str, Any], *, fresh: bool = False) -> Journal:
        """Open (or create) the journal at `path` for the job described by `header`.

        An existing journal whose header differs in any key of `header` raises
        `JournalMismatch`, unless `fresh` is true: the old file is then kept aside as
        `<name>.<timestamp>.old` and a new journal starts.
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        journal = cls(path)
        existing = journal.state.header
        if existing is not None and not fresh:
            differing = sorted(k for k in header if existing.get(k) != header[k])
            if differing:
                raise JournalMismatch(
                    f"{path} belongs to another job (differs in: {', '.join(differing)}); "
                    "start afresh to set it aside"
                )
            return journal
        if existing is not None:
            path.rename(path.with_name(f"{path.name}.{int(time.time())}.old"))
            journal = cls(path)
        journal._append({"type": "start", "version": JOURNAL_VERSION, **header, "at": iso_utc()})
        journal.state.header = dict(header)
        return journal

    @staticmethod
    def _read(path: Path) -> JournalState:
        state = JournalState()
        if not path.exists():
            return state
        sent: dict[int, SentBatch] = {}
        for record in _records(path):
            state.lines += 1
            kind = record.get("type")
            if kind == "start":
                state.header = {
                    k: v for k, v in record.items() if k not in ("type", "version", "at")
                }
            elif kind == "plan" and state.plan is None:
                state.plan = dict(record.get("plan") or {})
            elif kind == "finished":
                state.open_run = False
            elif kind in ("sent", "confirmed", "failed"):
                state.open_run = True
            if kind == "sent":
                batch = SentBatch(
                    int(record["batch"]),
                    tuple(record["keys"]),
                    record.get("tx"),
                    record.get("nonce"),
                    record.get("sender"),
                    record.get("raw"),
                )
                sent[batch.batch] = batch
                state.unresolved[batch.batch] = batch
                state.failed.pop(batch.batch, None)
                state.next_batch = max(state.next_batch, batch.batch + 1)
            elif kind == "confirmed":
                number = int(record["batch"])
                done = state.unresolved.pop(number, None) or sent.get(number)
                keys = record.get("keys") or (done.keys if done else ())
                state.confirmed.update(keys)
                state.next_batch = max(state.next_batch, number + 1)
            elif kind == "failed":
                number = int(record["batch"])
                batch = state.unresolved.pop(number, None)
                if batch is not None:
                    state.failed[number] = batch
        return state

    # -------------------------------------------------------------- writing

    def record_plan(self, plan: dict[str, Any]) -> dict[str, Any]:
        """The job's plan: the journaled one when resuming, else `plan` (journaled now)."""
        if self.state.plan is None:
            self._append({"type": "plan", "plan": plan})
            self.state.plan = dict(plan)
        return self.state.plan

    def record_sent(
        self,
        batch: int,
        keys: Iterable[str],
        tx: str | None,
        nonce: int | None,
        *,
        sender: str | None = None,
        raw: str | None = None,
    ) -> None:
        """Journal a batch about to be broadcast (call *before* sending it)."""
        entry = SentBatch(batch, tuple(keys), tx, nonce, sender, raw)
        record: dict[str, Any] = {
            "type": "sent", "batch": batch, "keys": list(entry.keys), "tx": tx, "nonce": nonce,
        }  # fmt: skip
        if sender is not None:
            record["sender"] = sender
        if raw is not None:
            record["raw"] = raw
        self._append(record)
        self.state.unresolved[batch] = entry
        self.state.next_batch = max(self.state.next_batch, batch + 1)

    def record_confirmed(
        self,
        batch: int,
        *,
        keys: Iterable[str] | None = None,
        tx: str | None = None,
        block: int | None = None,
        gas_used: int | None = None,
        note: str | None = None,
    ) -> None:
        """Journal a batch as applied on chain (mined successfully, or found on chain).
        `keys` defaults to the keys of the `sent` record; give them for batches never sent."""
        sent = self.state.unresolved.pop(batch, None)
        done = tuple(keys) if keys is not None else (sent.keys if sent else ())
        record: dict[str, Any] = {"type": "confirmed", "batch": batch, "tx": tx, "block": block}
        if gas_used is not None:
            record["gas_used"] = gas_used
        if keys is not None or sent is None:
            record["keys"] = list(done)
        if note:
            record["note"] = note
        self._append(record)
        self.state.confirmed.update(done)
        self.state.next_batch = max(self.state.next_batch, batch + 1)

    def record_failed(self, batch: int, tx: str | None, reason: str) -> None:
        """Journal a batch whose transaction reverted or was dropped (its items stay to do)."""
        sent = self.state.unresolved.pop(batch, None)
        self._append({"type": "failed", "batch": batch, "tx": tx, "reason": reason})
        if sent is not None:
            self.state.failed[batch] = sent

    def record_event(self, kind: str, **fields: Any) -> None:
        """Journal a run-level event (`resume`, `finished`) with its figures."""
        self._append({"type": kind, **fields, "at": iso_utc()})

    def new_batch_number(self) -> int:
        number = self.state.next_batch
        self.state.next_batch += 1
        return number

    # -------------------------------------------------------------- reading

    @property
    def confirmed(self) -> set[str]:
        return self.state.confirmed

    @property
    def unresolved(self) -> list[SentBatch]:
        """Batches journaled as sent whose outcome is unknown (re-check them on chain)."""
        return sorted(self.state.unresolved.values(), key=lambda b: b.batch)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _append(self, record: dict[str, Any]) -> None:
        if self._file is None:
            self._file = self.path.open("a", encoding="utf-8")
            self._heal_torn_tail()
        self._file.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())
        if record["type"] == "finished":
            self.state.open_run = False
        elif record["type"] in ("sent", "confirmed", "failed"):
            self.state.open_run = True

    def _heal_torn_tail(self) -> None:
        """If the file ends without a newline (crash mid-write), end that line first so the
        next record starts on its own line (the torn one is ignored when reading)."""
        size = self.path.stat().st_size
        if size:
            with self.path.open("rb") as raw:
                raw.seek(size - 1)
                if raw.read(1) != b"\n":
                    self._file.write("\n")


def _records(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # torn write from a crash
            if isinstance(record, dict):
                yield record
