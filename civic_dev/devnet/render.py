"""Rich renderings of devnet state for the `ape run devnet` commands."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from civic_dev.devnet.local import NodeStatus


def short(value: str | None, keep: int = 8) -> str:
    if not value:
        return "-"
    return value if len(value) <= keep + 4 else f"{value[:keep]}…{value[-4:]}"


def status_table(rows: list[NodeStatus], title: str = "city-devnet", recent: int = 20) -> Group:
    """One row per node (head, peers, its signer and whether it is in the signer set), then
    the signer set(s) the nodes report."""
    table = Table(title=title, box=box.SIMPLE_HEAD)
    for column, justify in (("node", "left"), ("pid", "right"), ("port", "right"),
                            ("head", "right"), ("head hash", "left"), ("peers", "right"),
                            ("signer", "left"), ("in set", "center"),
                            (f"sealed/{recent}", "right"), ("signers", "right")):  # fmt: skip
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    sets: dict[tuple[str, ...], list[str]] = {}
    hosts = any(not row.url.startswith("http://127.0.0.1:") for row in rows)
    for row in rows:
        # loopback devnet: the port tells nodes apart; with --hosts, the address does
        port = row.url.removeprefix("http://") if hosts else row.url.rsplit(":", 1)[-1]
        if row.pid is None:
            table.add_row(row.name, "[red]down[/]", port, *["-"] * 3, short(row.signer), "-", "-",
                          "-")  # fmt: skip
            continue
        if row.error:
            table.add_row(row.name, str(row.pid), port, "[red]error[/]", *["-"] * 6)
            continue
        sets.setdefault(tuple(row.signers), []).append(row.name)
        table.add_row(
            row.name,
            str(row.pid),
            port,
            str(row.head),
            short(row.head_hash),
            str(row.peers),
            short(row.signer),
            "rpc node"
            if not row.signer
            else "[green]yes[/]"
            if row.signer in row.signers
            else "[yellow]no[/]",
            str(row.sealed_recent),
            str(len(row.signers)),
        )
    parts: list[Table | Text] = [table]
    for signer_set, names in sets.items():
        who = "all nodes" if len(names) == len(rows) else ", ".join(names)
        parts.append(Text(f"signer set ({who}): " + ", ".join(signer_set)))
    for row in rows:
        if row.error:
            parts.append(Text(f"{row.name}: {row.error}", style="red"))
    return Group(*parts)
