"""What commands print, and how: the one home of output. `console` (stdout) and `err_console`
(stderr), label/value tables (`print_rows`), the printing and audited `send` (the CLI's
`transact`), and `one_line`, which makes any failure one readable line. Secrets are never
echoed."""

from __future__ import annotations

import re
from typing import Any

from rich.console import Console, ConsoleDimensions
from rich.table import Table

from civic_ledger.core.revert import explain

PIPE_WIDTH = 4096  # off a terminal, lines and tables are never cut or wrapped before this


class OutputConsole(Console):
    """A rich console that never cuts what it writes to a pipe or a file: in a terminal it
    wraps at the terminal's width, elsewhere ids, hashes and table cells are printed whole
    (a piped table is not squeezed into 80 columns)."""

    @property
    def size(self) -> ConsoleDimensions:
        dimensions = super().size
        if self.is_terminal:
            return dimensions
        return ConsoleDimensions(PIPE_WIDTH, dimensions.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]

    def rule(self, title: Any = "", **kwargs: Any) -> None:
        """A horizontal rule: the terminal's width, or 80 columns in a pipe or a file."""
        if self.is_terminal:
            super().rule(title, **kwargs)
        else:
            from rich.rule import Rule

            self.print(Rule(title, **kwargs), width=80)


console = OutputConsole(highlight=False)
err_console = OutputConsole(stderr=True, highlight=False)


def print_rows(rows: list[tuple[str, str]]) -> None:
    """Label/value pairs as a borderless two-column table, labels dimmed."""
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="dim")
    table.add_column()
    for key, value in rows:
        table.add_row(key, value)
    console.print(table)


def send(label: str, method: Any, *args: Any, sender: Any, **kwargs: Any) -> Any:
    """Send one transaction and print actor, transaction and gas. A refusal by the contract
    sends nothing (no nonce used, no fee paid): where Ape estimates gas ("auto") that estimate
    already fails; on networks with a fixed or "max" gas limit (the local chains), which would
    mine the failing transaction, it is dry-run first. Reverts propagate (and are rendered by
    `handle_errors`)."""
    from civic_ledger.cli import audit

    try:
        estimate = getattr(method, "estimate_gas_cost", None)
        if estimate is not None and not _estimates_gas():
            estimate(*args, sender=sender, **kwargs)
        receipt = method(*args, sender=sender, **kwargs)
    except Exception as exc:
        tx_hash = _sent_hash(exc)
        audit.record(action=label, account=sender, tx_hash=_hex_or_none(tx_hash),
                     outcome="refused" if tx_hash is None else "reverted",
                     detail=one_line(explain(exc)))  # fmt: skip
        raise
    audit.record(action=label, account=sender, tx_hash=str(receipt.txn_hash),
                 outcome="mined" if not receipt.failed else "reverted")  # fmt: skip
    console.print(
        f"[green]✔[/] {label}  [dim]by {_who(sender)} · tx {receipt.txn_hash[:12]}… · "
        f"gas {receipt.gas_used:,}[/]"
    )
    return receipt


def _sent_hash(exc: Exception) -> Any:
    """The hash of the transaction a failure belongs to, if it was signed and sent."""
    txn = getattr(exc, "txn", None)
    if txn is None or getattr(txn, "signature", None) is None:
        return None
    try:
        return txn.txn_hash
    except Exception:  # an unsigned transaction has no hash
        return None


def _hex_or_none(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else "0x" + bytes(value).hex()


def _estimates_gas() -> bool:
    """Whether Ape estimates each transaction's gas on the connected network."""
    from ape import networks

    return networks.provider.network.config.gas_limit == "auto"


def _who(account: Any) -> str:
    alias = getattr(account, "alias", None)
    return f"{alias} ({account.address})" if alias else account.address


_ENCODE_ERROR = re.compile(
    r"Value `(?P<value>[^`]*)` of type \S+ cannot be encoded by \w+: (?P<why>[^.]*)", re.S
)
_BOUNDS = re.compile(r"bounded between \[(?P<low>-?\d+), (?P<high>-?\d+)\]")
MAX_MESSAGE = 400


def one_line(message: str) -> str:
    """A failure message as one readable line: whitespace (newlines included) collapsed, ABI
    encoder range errors rephrased, absurdly long messages cut."""
    text = " ".join(str(message).split())
    if match := _ENCODE_ERROR.search(text):
        value, why = match.group("value"), match.group("why").strip()
        if len(value) > 40:
            value = value[:20] + "…" + value[-8:] if not value.endswith("...") else value[:24] + "…"
        bounds = _BOUNDS.search(text)
        limit = (
            f" (allowed: {bounds.group('low')} to {bounds.group('high')})"
            if bounds and len(bounds.group("high")) <= 24
            else ""
        )
        text = f"value {value} is out of range: {why.lower()}{limit}"
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 1] + "…"
    return text
