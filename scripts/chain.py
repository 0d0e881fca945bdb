"""A local development chain that stays up between commands (state in `.chain/`).

    ape run chain up                  # anvil on 127.0.0.1:18545, chain id 7340, state kept
    ape run chain status              # head, and which deployment manifests match this chain
    ape run chain fund ADDRESS 10     # send 10 ETH (gas money) from test account 0
    ape run chain down [--clean]      # stop (state dumped); --clean forgets the chain

Deploy and administer on it with `--network ethereum:city-local:node` (TEST::N accounts work
there). Never a production node: see docs/devnet.md for the PoA chains.
"""

from __future__ import annotations

import click
from rich.console import Console

from civic_dev import localchain
from civic_ledger.cli.common import ADDRESS, handle_errors, parse_amount

console = Console(highlight=False)


@click.group()
def cli() -> None:
    """A local chain that keeps its state between commands (anvil, for development)."""


@cli.command()
@handle_errors
def up() -> None:
    """Start the chain in the background (idempotent)."""
    status = localchain.up()
    console.print(
        f"[green]up[/] {status.url} · chain {status.chain_id} · block {status.head} · pid "
        f"{status.pid} · state {status.state_file}"
    )
    console.print(f"use it with [bold]--network {localchain.APE_NETWORK}[/]")


@cli.command()
@click.option(
    "--clean", is_flag=True, help="Also delete the chain's state and retire its manifests."
)
@handle_errors
def down(clean: bool) -> None:
    """Stop the chain (its state is kept unless --clean)."""
    stopped = localchain.down(clean=clean)
    what = "stopped" if stopped else "was not running"
    console.print(
        f"chain {what}" + ("; state deleted" if clean else f"; state kept in {localchain.STATE}")
    )


@cli.command()
@handle_errors
def status() -> None:
    """Whether the chain runs, its head, and which deployment manifests belong to it."""
    status = localchain.status()
    if status.running:
        console.print(
            f"[green]running[/] {status.url} · chain {status.chain_id} · block {status.head} · "
            f"genesis {status.genesis[:12]}… · pid {status.pid}"
        )
    else:
        console.print(f"[yellow]not running[/] ({status.url}); start it with `ape run chain up`")
    for path, matches, why in status.manifests:
        mark = "[green]matches[/]" if matches else "[red]does not match[/]"
        console.print(f"  {path}: {mark} ({why})")
    if not status.manifests:
        console.print(
            f"  no deployment for it yet: `ape run deploy --network {localchain.APE_NETWORK}`"
        )
    if not status.running:
        raise SystemExit(1)


@cli.command()
@click.argument("address", type=ADDRESS)
@click.argument("amount")
@handle_errors
def fund(address: str, amount: str) -> None:
    """Send AMOUNT ether (gas money) to ADDRESS from test account 0."""
    wei = parse_amount(amount, 18, hint="AMOUNT")
    outcome = localchain.fund(address, wei)
    console.print(f"[green]✔[/] sent {amount} ETH to {address} · tx {outcome.signed.tx_hash}")
