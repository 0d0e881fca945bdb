"""Running the deploy plan's phases: only missing steps send a transaction, every transaction
is journaled before it is broadcast, and an interrupted run resumes cleanly.

Each transaction is signed, journaled in the manifest as pending (hash, nonce, sender, signed
bytes; the manifest fsynced), broadcast through the chain layer (`ChainClient.send_raw`) and
settled by its one rule (`civic_ledger.chain.settle`); once mined it is recorded as done. A crash
at any point therefore resumes cleanly: a pending step is resolved from its receipt (adopted if
mined, re-broadcast as journaled while its nonce is open, dropped only when another transaction
took its nonce), never sent twice. The manifest's `runs` list records each run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from civic_ledger.chain.client import ChainClient
from civic_ledger.chain.journal import SentBatch
from civic_ledger.chain.manifest import Manifest, check_chain, first_contract_alive
from civic_ledger.chain.settle import settle
from civic_ledger.core.exceptions import ChainMismatch, DeployError, ManifestError
from civic_ledger.core.names import MANAGER
from civic_ledger.core.revert import explain
from civic_ledger.core.times import iso_utc
from civic_ledger.deploy.steps import Step, StepEvent, summarise

MAX_RUNS_KEPT = 20  # run records kept in the manifest's `runs` history

Report = Callable[[StepEvent], None]


def open_plan_manifest(
    path: Path, client: ChainClient, network_name: str, ephemeral: bool, report: Report
) -> Manifest:
    """The manifest at `path` if it describes the connected chain; a fresh one if there is
    none (or, on a dev chain, if it describes an earlier incarnation of it)."""
    chain = client.chain_ref()
    fresh = Manifest.new(path, network_name, chain.chain_id, chain.genesis)
    if not path.exists():
        return fresh
    manifest = Manifest.load(path)
    try:
        check_chain(manifest, chain)
        if ephemeral and not first_contract_alive(manifest, client.code):
            raise ChainMismatch(f"{path} describes an earlier dev chain")
    except ChainMismatch:
        if not ephemeral:
            raise ManifestError(
                f"{path} belongs to chain {manifest.chain_id} (genesis "
                f"{manifest.genesis_hash[:10]}…) but the connected chain is "
                f"{chain.describe()}. Connect to the right network, or move the manifest "
                "away to deploy anew."
            ) from None
        report(StepEvent("manifest", "reset", f"{path} describes an earlier dev chain"))
        return fresh
    return manifest


class Executor:
    """Runs phases of steps for one manifest. `provider` is Ape's (receipts, replays),
    `sender` the account signing `build` steps without a signer of their own and the batched
    manager calls; `multicall(calls)` builds the manager's `multicall` transaction and
    `sender_is_admin()` says whether the sender still holds ADMIN_ROLE."""

    def __init__(
        self,
        manifest: Manifest,
        client: ChainClient,
        *,
        provider: Any,
        sender: Any,
        report: Report,
        multicall: Callable[[list[bytes]], Any],
        sender_is_admin: Callable[[], bool],
    ) -> None:
        self.manifest, self.client, self.provider = manifest, client, provider
        self.sender, self.report = sender, report
        self.multicall, self.sender_is_admin = multicall, sender_is_admin
        self.run_record: dict[str, Any] = {"sent": 0, "adopted": [], "dropped": []}

    def run(
        self, phases: Iterable[Callable[[], Iterable[Step]]], finish: Callable[[], None]
    ) -> None:
        """Run every missing step of each phase (a phase's steps are generated when it starts:
        later phases read addresses that earlier ones deploy), then `finish()`.

        The manifest's `runs` list records each run: `running` until it ends `complete` or
        `failed` (with the error's type). A run that finds the previous one `failed`, or still
        `running` (killed: it is marked `interrupted`), reports what it resumes from; its own
        record lists the steps it adopted and the journaled ones it found never mined."""
        self.run_record = self._begin_run()
        self.manifest.save()
        try:
            for phase in phases:
                self._run_phase(list(phase()))
        except BaseException as exc:  # recorded, then re-raised (a SIGKILL leaves `running`)
            self.run_record["status"] = "failed"
            self.run_record["error"] = type(exc).__name__  # the name only: messages vary
            self.manifest.save()
            raise
        finish()
        self.run_record["status"] = "complete"
        self.run_record["finished"] = iso_utc()
        record = self.run_record
        if not (record["sent"] or record["adopted"] or record["dropped"] or "resumed" in record):
            self.manifest.data["runs"].remove(record)  # a no-op re-run leaves the manifest as is
        self.manifest.save()

    def _begin_run(self) -> dict[str, Any]:
        runs: list[dict[str, Any]] = self.manifest.data.setdefault("runs", [])
        record: dict[str, Any] = {
            "started": iso_utc(),
            "status": "running",
            "sent": 0,
            "adopted": [],
            "dropped": [],
        }
        previous = runs[-1] if runs else None
        if previous is not None and previous.get("status") in ("running", "failed"):
            if previous["status"] == "running":
                previous["status"] = "interrupted"  # killed: it never recorded its end
            pending = sorted(
                step for entry in self.manifest.pending.values() for step in entry["items"]
            )
            record["resumed"] = {
                "run_started": previous.get("started"),
                "steps_done": len(self.manifest.steps),
                "pending": pending,
            }
            self.report(
                StepEvent(
                    "manifest",
                    "resumed",
                    f"the run started {previous.get('started')} {previous['status']}"
                    + (f" ({previous['error']})" if previous.get("error") else "")
                    + f": {len(self.manifest.steps)} step(s) recorded, "
                    f"{len(self.manifest.pending)} transaction(s) journaled as pending "
                    f"({', '.join(pending) or 'none'}); resuming",
                )
            )
        runs.append(record)
        del runs[:-MAX_RUNS_KEPT]
        return record

    def _run_phase(self, steps: list[Step]) -> None:
        by_id = {step.id: step for step in steps}
        for key, entry in list(self.manifest.pending.items()):
            items = [by_id[i] for i in entry["items"] if i in by_id]
            if not items:
                continue
            if (receipt := self._resolve_pending(key)) is not None:
                self._record(items, receipt, status="adopted")
            else:
                self.run_record["dropped"].extend(step.id for step in items)
                self.report(
                    StepEvent(
                        key,
                        "dropped",
                        f"journaled transaction {entry['tx_hash'][:12]}… (nonce "
                        f"{entry['nonce']}) was never mined: "
                        + (items[0].description if len(items) == 1 else summarise(items))
                        + " will be re-sent if still missing",
                        entry["tx_hash"],
                    )
                )
        todo: list[Step] = []
        for step in steps:
            if step.is_done():
                self.report(StepEvent(step.id, "done", step.description))
            else:
                todo.append(step)
        if todo and any(step.needs_admin for step in todo) and not self.sender_is_admin():
            raise DeployError(
                f"step '{todo[0].description}' needs ADMIN_ROLE on {MANAGER}, which "
                f"{self.sender.address} no longer holds: have the city's admin "
                "(multisig/timelock) execute it"
            )
        for step in todo:
            if step.build is not None:
                self._send([step], step.build())
        batch = [step for step in todo if step.call is not None]
        if batch:
            self._send(batch, self.multicall([step.call() for step in batch]))

    def _send(self, steps: list[Step], txn: Any) -> None:
        """Sign, journal as pending (the signed bytes included, manifest fsynced), broadcast
        through the chain layer, wait for the receipt, record. One transaction for `steps`."""
        signer = steps[0].signer or self.sender
        txn = signer.prepare_transaction(txn)
        signed = signer.sign_transaction(txn)
        if signed is None:
            raise DeployError(f"the transaction for '{steps[0].description}' was not signed")
        raw = bytes(signed.serialize_transaction())
        tx_hash = "0x" + bytes(signed.txn_hash).hex()
        self.manifest.pending[steps[0].id] = {
            "tx_hash": tx_hash,
            "nonce": signed.nonce,
            "sender": signer.address,
            "items": [step.id for step in steps],
            "raw": "0x" + raw.hex(),
        }
        self.manifest.save()
        self.client.send_raw(raw)
        [outcome] = settle(self.client, [_sent_batch(self.manifest.pending[steps[0].id])])
        receipt = self.provider.get_receipt(tx_hash) if outcome.receipt is not None else None
        if receipt is None or receipt.failed:
            self.manifest.pending.pop(steps[0].id, None)
            self.manifest.save()
            raise DeployError(
                f"the transaction for '{steps[0].description}' ({tx_hash}) "
                + ("reverted" if receipt is not None else "was superseded (its nonce was used)")
                + f": {self._replay_reason(txn)}"
            )
        self._record(steps, receipt, status="sent")

    def _replay_reason(self, txn: Any) -> str:
        """Why a transaction reverted, replayed as a call against the current state."""
        try:
            self.provider.web3.eth.call(
                {"from": txn.sender, "to": txn.receiver, "data": txn.data, "value": txn.value}
            )
        except Exception as exc:
            return explain(exc)
        return "state changed since; re-run to retry"

    def _record(self, steps: list[Step], receipt: Any, status: str) -> None:
        share = len(steps)
        for step in steps:
            extra = step.after(receipt) if step.after else {}
            self.manifest.pending.pop(step.id, None)
            self.manifest.steps[step.id] = {
                "tx_hash": receipt.txn_hash,
                "block": receipt.block_number,
                "gas_used": receipt.gas_used,
                **({"batch_size": share} if share > 1 else {}),
                **extra,
            }
        if status == "adopted":
            self.run_record["adopted"].extend(step.id for step in steps)
        else:
            self.run_record["sent"] += 1
        self.manifest.save()
        self.report(
            StepEvent(
                steps[0].id,
                status,
                steps[0].description if share == 1 else summarise(steps),
                receipt.txn_hash,
                receipt.gas_used,
            )
        )

    def _resolve_pending(self, key: str) -> Any | None:
        """A transaction journaled by an interrupted run, settled by the chain layer's one rule
        (adopted if mined, re-broadcast as journaled while its nonce is open, dropped only when
        another transaction took its nonce): its receipt if it was mined successfully; None (and
        the journal entry dropped) if it failed or was superseded."""
        pending = self.manifest.pending[key]
        [outcome] = settle(self.client, [_sent_batch(pending)])
        if outcome.state != "mined":
            self.manifest.pending.pop(key)
            self.manifest.save()
            return None
        return self.provider.get_receipt(pending["tx_hash"])


def _sent_batch(entry: dict[str, Any]) -> SentBatch:
    """A manifest `pending` entry as the chain layer's journal entry."""
    return SentBatch(
        0, tuple(entry["items"]), entry["tx_hash"], entry.get("nonce"), entry.get("sender"),
        entry.get("raw"),
    )  # fmt: skip
