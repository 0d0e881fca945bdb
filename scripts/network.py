"""Multi-machine network kit for the city's PoA chain (geth Clique, or Besu QBFT).

    ape run network kit --validators 4 --out DIR [--hosts 10.1.0.5,10.1.0.6,...]
                        [--rpc-nodes 1] [--rpc-hosts 10.1.1.5,...]

The logic lives in `civic_dev.netkit.kit`; this file only parses options and prints.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

from civic_dev.devnet.config import DevnetError, project_evm_version
from civic_dev.devnet.keys import KIT_SCRYPT_N
from civic_dev.netkit.kit import (
    DEFAULT_KIT_CHAIN_ID,
    DEFAULT_KIT_PERIOD,
    DEFAULT_PREFUND_WEI,
    KitSpec,
    write_kit,
)

console = Console() if sys.stdout.isatty() else Console(width=120)


def _prefund(values: tuple[str, ...]) -> dict[str, int]:
    funded: dict[str, int] = {}
    for value in values:
        address, _, ether = value.partition("=")
        funded[address] = int(ether) * 10**18 if ether else DEFAULT_PREFUND_WEI
    return funded


@click.group()
def cli() -> None:
    """Network kits for running the city's PoA chain on several machines."""


@cli.command()
@click.option("--validators", type=click.IntRange(1, 64), default=4, show_default=True)
@click.option("--out", "out", type=click.Path(path_type=Path), required=True,
              help="New (or empty) folder for the kit.")  # fmt: skip
@click.option(
    "--hosts", default="", help="Comma-separated validator hosts (default: placeholders)."
)
@click.option(
    "--rpc-nodes",
    type=click.IntRange(0, 16),
    default=1,
    show_default=True,
    help="Non-signing RPC nodes for applications (deploy, gateway, demo).",
)
@click.option(
    "--rpc-hosts", default="", help="Comma-separated RPC node hosts (default: placeholders)."
)
@click.option("--chain-id", type=int, default=DEFAULT_KIT_CHAIN_ID, show_default=True)
@click.option("--period", type=int, default=DEFAULT_KIT_PERIOD, show_default=True,
              help="Block period (s).")  # fmt: skip
@click.option("--prefund", multiple=True, metavar="ADDRESS[=ETHER]",
              help="Fund an account in genesis (repeatable). Default: a generated operator.")  # fmt: skip
@click.option("--dev-seed", default=None, help="Deterministic keys from a seed (rehearsals only).")
@click.option("--scrypt-n", type=int, default=KIT_SCRYPT_N, hidden=True)  # tests: cheaper keystores
def kit(
    validators: int, out: Path, hosts: str, rpc_nodes: int, rpc_hosts: str, chain_id: int,
    period: int,
    prefund: tuple[str, ...], dev_seed: str | None, scrypt_n: int,
) -> None:  # fmt: skip
    """Write genesis, node configs (validators and RPC nodes), systemd units and runbooks for
    geth Clique and Besu QBFT."""
    try:
        spec = KitSpec(
            out=out,
            validators=validators,
            chain_id=chain_id,
            period=period,
            evm_version=project_evm_version(),
            hosts=[h.strip() for h in hosts.split(",") if h.strip()],
            rpc_nodes=rpc_nodes,
            rpc_hosts=[h.strip() for h in rpc_hosts.split(",") if h.strip()],
            prefund=_prefund(prefund),
            seed=dev_seed,
            scrypt_n=scrypt_n,
        )
        result = write_kit(spec)
    except (DevnetError, ValueError, FileExistsError) as exc:
        console.print(f"[red]error:[/] {exc}")
        sys.exit(1)
    console.print(f"[green]kit written[/] to {result.out} ({len(result.files)} files)")
    for node in result.nodes:
        console.print(f"  {node.name} {node.host:15} clique {node.clique_signer.address}  "
                      f"qbft {node.qbft_key.address}")  # fmt: skip
    for rpc in result.rpc_nodes:
        console.print(f"  {rpc.name} {rpc.host:15} RPC node for applications: "
                      f"http://{rpc.host}:8545")  # fmt: skip
    if result.operator:
        console.print(f"  operator account (funded): {result.operator}")
    console.print(f"start with {result.out / 'README.md'}; move {result.out / 'secrets'} "
                  "to the machines, then delete it")  # fmt: skip
