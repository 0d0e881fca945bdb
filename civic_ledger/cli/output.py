"""What commands print, and how: the one home of output. `console` (stdout) and `err_console`
(stderr), label/value tables (`print_rows`), the printing and audited `send` (the CLI's
`transact`), and `one_line`, which makes any failure one readable line. Secrets are never
echoed.

With `--json` (every command has it) the human output goes to stderr and stdout carries one
JSON document, written when the command ends (`Report`): `ok`, `command`, `network`, the
`transactions` sent (full hash, gas, sender, decoded events), the command's `result` (typed
values: amounts in base units, ids in full), `fields` and `tables` as shown, `messages`, and on
failure `error` and `exit_code`. Integers beyond 2**53 - 1 (token base units, ids) are JSON
strings of decimal digits, so no JSON reader rounds them.

Before a transaction is signed with a terminal attached, `send` shows what will be signed, by
whom, on which network, and asks; `--yes` (every signing command has it) skips the question.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from rich.console import Console, ConsoleDimensions
from rich.table import Table

from civic_ledger.core.revert import explain
from civic_ledger.core.terminal import can_prompt

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

    def print(self, *objects: Any, **kwargs: Any) -> None:
        """Print as rich does; in --json mode also record what was printed for the document."""
        if MODE.report is not None and self is console:
            for item in objects:
                MODE.report.record(item)
        super().print(*objects, **kwargs)


JSON_SAFE_INT = 2**53 - 1


def jsonable(value: Any) -> Any:
    """A value read from the chain or computed by a command, as JSON can carry it exactly."""
    if isinstance(value, Enum):
        return value.name.lower()
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        return value
    if isinstance(value, int):
        return value if abs(value) <= JSON_SAFE_INT else str(value)
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if hasattr(value, "hex") and callable(value.hex) and type(value).__name__ == "HexBytes":
        return "0x" + bytes(value).hex()
    if hasattr(value, "__dataclass_fields__"):
        return {k: jsonable(getattr(value, k)) for k in value.__dataclass_fields__}
    return str(value)


def _plain(item: Any) -> str | None:
    from rich.text import Text

    if isinstance(item, str):
        return Text.from_markup(item).plain
    if isinstance(item, Text):
        return item.plain
    return None


def _table(table: Table) -> dict[str, Any]:
    headers = [_plain(str(c.header)) or f"column {i + 1}" for i, c in enumerate(table.columns)]
    cells = [[_plain(str(cell)) or "" for cell in c._cells] for c in table.columns]
    rows = [dict(zip(headers, row, strict=False)) for row in zip(*cells, strict=False)]
    return {"title": _plain(str(table.title)) if table.title else None, "rows": rows}


@dataclass
class Report:
    """The --json document of one command, filled while it runs."""

    command: str
    transactions: list[dict[str, Any]] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    tables: list[dict[str, Any]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def record(self, item: Any) -> None:
        if isinstance(item, Table):
            if not item.show_header and len(item.columns) == 2:  # print_rows
                labels, values = (
                    [_plain(str(c)) or "" for c in col._cells] for col in item.columns
                )
                self.fields.update(zip(labels, values, strict=False))
            else:
                self.tables.append(_table(item))
        elif (text := _plain(item)) is not None and text.strip():
            self.messages.append(" ".join(text.split()))

    def document(self, error: str | None = None, exit_code: int = 0) -> dict[str, Any]:
        doc: dict[str, Any] = {"ok": error is None, "command": self.command,
                               "network": _network()}  # fmt: skip
        doc |= {
            "transactions": self.transactions, "result": jsonable(self.result),
            "fields": self.fields, "tables": self.tables, "messages": self.messages,
        }  # fmt: skip
        if error is not None:
            doc |= {"error": error, "exit_code": exit_code}
        return doc


@dataclass
class Mode:
    """How the running command reports: --json (a Report) and --yes; `codes` maps the parcel
    references of this command's messages to the cadastral codes the clerk typed."""

    report: Report | None = None
    assume_yes: bool = False
    codes: dict[str, str] = field(default_factory=dict)


MODE = Mode()


def put(**values: Any) -> None:
    """Typed values of the command's result for the --json document (amounts in base units,
    ids in full); a no-op without --json."""
    if MODE.report is not None:
        MODE.report.result.update(values)


def echo_code(reference: str, code: str) -> None:
    """Show `code` (as the clerk typed it) next to `reference` in what this command prints."""
    if code != reference:
        MODE.codes[reference] = code


def _with_codes(text: str) -> str:
    for reference, code in MODE.codes.items():
        text = text.replace(reference, f"{code} ({reference})")
    return text


def json_wanted() -> bool:
    return MODE.report is not None


@contextmanager
def reporting(command: str, json_output: bool, assume_yes: bool) -> Iterator[Report | None]:
    """Run a command in the requested mode: with --json, human output goes to stderr and the
    caller writes `report.document()` to stdout at the end (`emit`)."""
    MODE.assume_yes = assume_yes
    MODE.report = Report(command) if json_output else None
    restore_logs = _ape_logs_to_stderr() if json_output else None
    if json_output:
        console.file = sys.stderr
    try:
        yield MODE.report
    finally:
        MODE.report, MODE.assume_yes = None, False
        MODE.codes.clear()
        console._file = None  # back to whatever sys.stdout is
        if restore_logs:
            restore_logs()


LOG_LEVELS = ("debug", "info", "success", "warning", "error", "critical")


def _ape_logs_to_stderr() -> Any:
    """Ape's log handler echoes INFO ("Confirmed 0x…") to stdout: send every level to stderr
    while a --json command runs. Returns the function that puts it back."""
    from ape.logging import ClickHandler, logger

    saved = []
    for handler in logger._logger.handlers:
        if isinstance(handler, ClickHandler):
            saved.append((handler, handler.echo_kwargs))
            handler.echo_kwargs = {
                level: {**handler.echo_kwargs.get(level, {}), "err": True} for level in LOG_LEVELS
            }

    def restore() -> None:
        for handler, kwargs in saved:
            handler.echo_kwargs = kwargs

    return restore


def emit(document: dict[str, Any]) -> None:
    """Write the --json document: the only thing a --json command writes to stdout."""
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _network() -> str | None:
    try:
        from ape import networks

        return networks.provider.network.name
    except Exception:
        return None


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

    label = _with_codes(label)
    try:
        estimate = getattr(method, "estimate_gas_cost", None)
        if estimate is not None and not _estimates_gas():
            estimate(*args, sender=sender, **kwargs)
        confirm(label, sender)
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
        f"[green]✔[/] {label}  [dim]by {_who(sender)} · tx {receipt.txn_hash} · "
        f"gas {receipt.gas_used:,}[/]"
    )
    if MODE.report is not None:
        MODE.report.transactions.append(_transaction(label, sender, receipt))
    return receipt


def confirm(label: str, sender: Any) -> None:
    """With a terminal attached and no --yes: say what will be signed, by whom, on which
    network, and ask (a no aborts: nothing is signed)."""
    if MODE.assume_yes or not can_prompt():
        return
    import click

    err_console.print(
        f"About to sign and send: [bold]{label}[/]\n  as {_who(sender)} on {_network()}"
    )
    click.confirm("Sign and send?", default=False, abort=True, err=True)


def _transaction(label: str, sender: Any, receipt: Any) -> dict[str, Any]:
    events = []
    try:
        for log in receipt.events:
            events.append({"event": log.event_name, "args": jsonable(dict(log.event_arguments))})
    except Exception:  # a log no known ABI decodes: the hash still identifies everything
        pass
    return {
        "action": label, "tx_hash": str(receipt.txn_hash), "from": str(sender.address),
        "gas_used": int(receipt.gas_used), "status": "reverted" if receipt.failed else "mined",
        "events": events,
    }  # fmt: skip


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
