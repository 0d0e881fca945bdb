"""Narration of a scenario: who acts, which transaction, what it cost, and a read-back check.

A step is only counted as done when its `verify` callable confirms the on-chain effect; the
demo exits non-zero if any check fails, so "sent" is never mistaken for "happened"."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_utils import keccak
from rich.console import Console
from rich.table import Table

from civic_ledger.core import revert
from civic_ledger.core.exceptions import VerificationFailed
from civic_ledger.core.transact import Recording


@dataclass
class StepRecord:
    chapter: str
    actor: str
    action: str
    tx_hash: str | None
    gas: int
    transactions: int


@dataclass
class Narrator:
    console: Console
    names: dict[str, str] = field(default_factory=dict)  # address -> who
    records: list[StepRecord] = field(default_factory=list)
    chapter: str = ""
    # the `transact` of every client call of the scenario: keeps the receipts so the current
    # step is charged its gas
    transact: Recording = field(default_factory=Recording)

    def name(self, account: Any, who: str) -> None:
        self.names[account.address] = who

    def who(self, account: Any) -> str:
        return self.names.get(account.address, account.address)

    def section(self, title: str) -> None:
        self.chapter = title
        self.console.rule(f"[bold]{title}")

    def say(self, text: str) -> None:
        self.console.print(f"  [italic]{text}[/]")

    def act(
        self,
        actor: Any,
        action: str,
        send: Callable[[], Any],
        verify: Callable[[], bool | str] | None = None,
    ) -> Any:
        """Run `send()`, then `verify()`. Gas is charged from the receipts sent through
        `transact`, else the receipt `send()` returned."""
        self.transact.take()
        result = send()
        receipts = self.transact.take() or ([result] if _is_receipt(result) else [])
        gas = sum(int(r.gas_used) for r in receipts)
        tx_hash = receipts[-1].txn_hash if receipts else None
        self.records.append(
            StepRecord(self.chapter, self.who(actor), action, tx_hash, gas, len(receipts))
        )
        check = ""
        if verify is not None:
            outcome = verify()
            if outcome is False or outcome is None:
                raise VerificationFailed(f"{action}: the on-chain effect was not found")
            check = f" · {outcome}" if isinstance(outcome, str) else " · verified"
        tx = f"tx {tx_hash[:10]}… · " if tx_hash else ""
        self.console.print(
            f"  [green]✔[/] [bold]{self.who(actor)}[/] {action}  [dim]{tx}gas {gas:,}{check}[/]"
        )
        return result

    def check(self, what: str, condition: bool) -> None:
        """A read-only assertion in the story (no transaction)."""
        if not condition:
            raise VerificationFailed(what)
        self.console.print(f"  [cyan]✔[/] {what}")

    @property
    def transactions(self) -> int:
        return sum(r.transactions for r in self.records)

    @property
    def total_gas(self) -> int:
        return sum(r.gas for r in self.records)

    def gas_table(self) -> Table:
        table = Table(title="Gas by chapter")
        table.add_column("chapter")
        table.add_column("transactions", justify="right")
        table.add_column("gas", justify="right")
        chapters: dict[str, list[StepRecord]] = {}
        for record in self.records:
            chapters.setdefault(record.chapter, []).append(record)
        for chapter, records in chapters.items():
            count = sum(r.transactions for r in records)
            table.add_row(chapter, str(count), f"{sum(r.gas for r in records):,}")
        table.add_row("[bold]total", f"[bold]{self.transactions}", f"[bold]{self.total_gas:,}")
        return table


def _is_receipt(value: Any) -> bool:
    return hasattr(value, "gas_used") and hasattr(value, "txn_hash")


def refused(method: Any, *args: Any, sender: Any, error: str) -> bool:
    """True when the chain refuses `method(*args)` from `sender` (a dry run: an `eth_call`,
    nothing is sent) with custom `error`."""
    try:
        method.call(*args, sender=sender)
    except Exception as exc:  # the revert, as Ape raises it: a class named after the error
        if type(exc).__name__ == error:
            return True
    else:
        return False
    # Ape did not name it (its geth provider drops eth_call's revert data): ask web3 directly
    from ape import networks

    call = {"to": method.contract.address, "from": sender.address,
            "data": "0x" + bytes(method.encode_input(*args)).hex()}  # fmt: skip
    try:
        networks.provider.web3.eth.call(call)
    except Exception as exc:  # web3's ContractCustomError carries the revert data
        data = revert.raw_revert_data(exc)
        decoded = revert.decode_revert(data, revert.project_registry()) if data else None
        return decoded is not None and decoded[0].name == error
    return False


def doc(text: str) -> bytes:
    """Content hash of an off-chain document (the document itself never goes on chain)."""
    return keccak(text=text)
