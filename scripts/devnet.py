"""Local private PoA devnet: N geth Clique signers on 127.0.0.1 (state in `.devnet/`).

    ape run devnet up [--nodes 4] [--period 1] [--fresh] [--hosts [--subnet K]]
    ape run devnet status
    ape run devnet cut node2 [rpc ...] | heal node2 | split node0,node1 node2,node3 | join
    ape run devnet propose-signer 0xADDR | drop-signer 0xADDR
    ape run devnet accounts | bench [--txs 2000]
    ape run devnet fund 0xADDR 10      # gas money for a third-party wallet
    ape run devnet down [--clean]

Agency accounts land in Ape's data folder as keystores (passphrase: $CIVIC_PASSPHRASE, dev
default "civic-devnet-only"); use them with `--network ethereum:city-devnet:node`.
The logic lives in `civic_dev.devnet`; this file only parses options and prints.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import click
from eth_utils import is_address
from rich.console import Console

from civic_dev.devnet import clique
from civic_dev.devnet.bench import run_bench
from civic_dev.devnet.config import (
    DEVNET_NETWORK_NAME,
    GETH_VERSION,
    REPO_ROOT,
    DevnetError,
    geth_binary,
    passphrase,
)
from civic_dev.devnet.links import Links
from civic_dev.devnet.local import LocalDevnet, load_config, status_warnings
from civic_dev.devnet.render import status_table
from civic_ledger.core.paths import DEPLOYMENTS_DIR, ROOT

# Piped output (CI logs, `| tee`) gets a wide console rather than rich's 80 columns.
console = Console() if sys.stdout.isatty() else Console(width=120)


def _ape_data_folder() -> Path:
    try:
        from ape import config as ape_config

        return Path(ape_config.DATA_FOLDER)
    except Exception:  # outside Ape: same rule as bin/env.sh
        return Path(os.environ.get("APE_DATA_FOLDER") or REPO_ROOT / ".ape-data")


def _devnet(build: bool = False, **overrides: int | None) -> LocalDevnet:
    cfg = load_config(**overrides)  # type: ignore[arg-type]
    geth = geth_binary()
    if geth is None and build:
        console.print(f"[bold]geth {GETH_VERSION} not built yet: running tools/build-geth.sh[/]")
        subprocess.run([str(REPO_ROOT / "tools" / "build-geth.sh")], check=True)
        geth = geth_binary()
    return LocalDevnet(cfg, geth)


def _fail(exc: Exception) -> None:
    console.print(f"[red]error:[/] {exc}")
    sys.exit(1)


@click.group()
def cli() -> None:
    """Local geth Clique devnet (city-devnet)."""


@cli.command()
@click.option("--nodes", type=int, default=None, help="Number of signer nodes (default 4).")
@click.option("--period", type=int, default=None, help="Clique block period in seconds (1).")
@click.option("--fresh", is_flag=True, help="Stop and delete an existing .devnet/ first.")
@click.option("--no-build", is_flag=True, help="Do not build geth if it is missing.")
@click.option("--timeout", type=float, default=120.0, show_default=True)
@click.option(
    "--hosts",
    is_flag=True,
    default=None,
    help="Each node in its own network namespace (root), plus a non-signing RPC node.",
)
@click.option(
    "--subnet",
    type=click.IntRange(0, 511),
    default=None,
    help="With --hosts: use 198.18.0.0/15's /24 number K (default 0: 198.18.0.0/24).",
)
def up(nodes: int | None, period: int | None, fresh: bool, no_build: bool, timeout: float,
       hosts: bool | None, subnet: int | None) -> None:  # fmt: skip
    """Start the devnet (idempotent) and wait until every signer has sealed in turn."""
    try:
        if fresh:
            stopped = _devnet().down(clean=True)
            console.print(f"removed previous devnet (stopped {len(stopped)} node(s))")
            _retire_manifest()
        net = _devnet(build=not no_build, nodes=nodes, period=period, hosts=hosts, subnet=subnet)
        pw = passphrase()
        with console.status("starting geth nodes and waiting for a full signer rotation…"):
            report = net.up(pw, timeout=timeout)
        accounts = net.write_ape_accounts(_ape_data_folder(), pw)
    except (DevnetError, subprocess.CalledProcessError) as exc:
        _fail(exc)
    console.print(status_table(net.status()))
    turns = ", ".join(f"#{b.number}:{b.signer[:8]}" for b in report.rotation if b.in_turn)
    console.print(f"in-turn blocks seen: {turns}")
    console.print(
        f"[green]devnet up[/] in {report.seconds:.1f} s: started {report.started or 'none'}"
        f", already running {report.already_running or 'none'}; chain id {net.cfg.chain_id}, "
        f"block period {net.cfg.period} s, evm {net.cfg.evm_version}"
    )
    conflicts = [a for a, outcome in accounts.items() if outcome == "conflict"]
    created = [a for a, outcome in accounts.items() if outcome == "created"]
    console.print(
        f"Ape accounts in {_ape_data_folder() / 'accounts'}: {len(accounts)} agency keystores "
        f"({len(created)} new)"
        + (f"; [yellow]left alone (other key): {conflicts}[/]" if conflicts else "")
    )
    if net.roles_file.exists():
        console.print(f"roles file for `ape run deploy --roles`: {net.roles_file}")
    _print_usage(net)


def _print_usage(net: LocalDevnet) -> None:
    if net.rpc_node is None:
        console.print(f"use: ape console --network ethereum:{DEVNET_NETWORK_NAME}:node")
        return
    choice = f"ethereum:{DEVNET_NETWORK_NAME}:{net.rpc_url}"
    console.print(
        f"RPC node (not sealing): {net.rpc_url} (recorded as rpc_url in {net.cfg.manifest_path})"
        f"\nuse: ape run deploy --network {choice} --roles {net.roles_file} ...\n"
        f"     ape run gateway index --network {choice} --follow\n"
        f"     ape run demo --network {choice}"
    )


@cli.command()
@click.option("--clean", is_flag=True, help="Also delete .devnet/ (chain data, keys, logs).")
def down(clean: bool) -> None:
    """Stop the nodes this devnet started (by pid file)."""
    try:
        net = _devnet()
        stopped = net.down(clean=clean)
    except DevnetError as exc:
        _fail(exc)
    deleted = net.deleted_hosts
    console.print(
        f"stopped: {stopped or 'nothing was running'}"
        + (f"; deleted {len(deleted)} namespace(s)/link(s)" if deleted else "")
        + ("; removed .devnet/" if clean else "")
    )
    if clean:
        _retire_manifest()


def _retire_manifest() -> None:
    """The chain is gone: its deploy manifest would only make the next deploy refuse."""
    moved = LocalDevnet.retire_deploy_manifest(
        DEPLOYMENTS_DIR / f"{DEVNET_NETWORK_NAME}.json", ROOT / ".cache" / "retired-manifests"
    )
    if moved:
        console.print(f"moved the old chain's deploy manifest to {moved}")


@cli.command()
@click.option("--recent", type=int, default=20, show_default=True, help="Blocks to attribute.")
def status(recent: int) -> None:
    """Head, peers and signers per node."""
    net = _devnet()
    if not net.cfg.manifest_path.exists():
        console.print("no devnet yet: `ape run devnet up`")
        return
    rows = net.status(recent)
    console.print(status_table(rows, recent=recent))
    for warning in status_warnings(rows):
        console.print(f"[yellow]warning:[/] {warning}")
    if net.rpc_node is not None:
        console.print(f"applications: --network ethereum:{DEVNET_NETWORK_NAME}:{net.rpc_url}")


def _links(net: LocalDevnet) -> Links:
    if net.plan is None:
        _fail(DevnetError("this devnet runs on loopback: cuts need `up --hosts`"))
    assert net.plan is not None
    return Links(net.plan)


def _change_links(change: Callable[[Links], object], done: str) -> None:
    """Apply `change` to the hosts' links and print `done`; a DevnetError ends the command
    with `error: ...` (exit 1)."""
    try:
        change(_links(_devnet()))
    except DevnetError as exc:
        _fail(exc)
    console.print(done)


@cli.command()
@click.argument("names", nargs=-1, required=True)
def cut(names: tuple[str, ...]) -> None:
    """Take the links of hosts NAMES (node0.., rpc) down: cut off from everyone."""
    undo = f"ape run devnet heal {' '.join(names)}"
    _change_links(lambda links: links.cut(*names), f"cut: {', '.join(names)} (undo: {undo})")


@cli.command()
@click.argument("names", nargs=-1, required=True)
def heal(names: tuple[str, ...]) -> None:
    """Bring the links of hosts NAMES up again."""
    _change_links(lambda links: links.heal(*names), f"healed: {', '.join(names)}")


@cli.command()
@click.argument("groups", nargs=-1, required=True)
def split(groups: tuple[str, ...]) -> None:
    """Partition the hosts: GROUPS are comma-separated names (node0,node1 node2,node3,rpc)."""
    _change_links(
        lambda links: links.split([g.split(",") for g in groups]),
        f"split: {' | '.join(groups)} (undo: ape run devnet join)",
    )


def _join_all(links: Links) -> None:
    """Remove the blackhole route of every pair of hosts (whichever `split` made them)."""
    for host in links.plan.hosts:
        links.dropped |= {(host.name, h.address) for h in links.plan.hosts if h is not host}
    links.join()


@cli.command()
def join() -> None:
    """Undo `split`: remove every blackhole route in the hosts' namespaces."""
    _change_links(_join_all, "joined: no host drops another's packets")


def _vote(address: str, authorize: bool, timeout: float) -> None:
    if not is_address(address):
        _fail(ValueError(f"{address!r} is not an address (0x + 40 hex digits)"))
    net = _devnet()
    verb = "add" if authorize else "drop"
    try:
        with console.status(f"voting to {verb} {address} on a majority of signers…"):
            new_set, took = net.vote(address, authorize, timeout=timeout)
    except (DevnetError, ValueError) as exc:
        _fail(exc)
    console.print(f"[green]vote passed[/] in {took:.1f} s; signers now ({len(new_set)}):")
    for signer in new_set:
        console.print(f"  {signer}")


@cli.command("propose-signer")
@click.argument("address")
@click.option("--timeout", type=float, default=90.0, show_default=True)
def propose_signer(address: str, timeout: float) -> None:
    """Vote ADDRESS in as a Clique signer (clique_propose on the running signers)."""
    _vote(address, True, timeout)


@cli.command("drop-signer")
@click.argument("address")
@click.option("--timeout", type=float, default=90.0, show_default=True)
def drop_signer(address: str, timeout: float) -> None:
    """Vote ADDRESS out of the Clique signer set."""
    _vote(address, False, timeout)


@cli.command()
def accounts() -> None:
    """(Re)write the agency keystores into Ape's data folder and list them."""
    net = _devnet()
    outcome = net.write_ape_accounts(_ape_data_folder(), passphrase())
    for alias, key in net.agencies.items():
        console.print(f"{alias:32} {key.address}  {outcome[alias]}")


@cli.command()
@click.argument("address")
@click.argument("amount")
def fund(address: str, amount: str) -> None:
    """Send AMOUNT ether (gas money) to ADDRESS from the devnet deployer's funded account."""
    from eth_utils import to_checksum_address

    from civic_dev.devnet.accounts import DEPLOYER_ALIAS
    from civic_dev.funding import send_gas_money
    from civic_ledger.cli.common import parse_amount

    try:
        if not is_address(address):
            raise ValueError(f"ADDRESS {address!r} is not an Ethereum address")
        wei = parse_amount(amount, 18, hint="AMOUNT")
        net = _devnet()
        key = net.agencies[DEPLOYER_ALIAS]
        outcome = send_gas_money(
            net.rpc_url, key.hex, net.cfg.chain_id, to_checksum_address(address), wei,
            net.cfg.root / "fund.jsonl", "devnet-fund",
        )  # fmt: skip
    except Exception as exc:
        _fail(exc)
    console.print(f"[green]✔[/] sent {amount} ETH to {address} · tx {outcome.signed.tx_hash}")


@cli.command()
@click.option("--txs", type=int, default=2000, show_default=True)
@click.option("--senders", type=int, default=8, show_default=True)
def bench(txs: int, senders: int) -> None:
    """Throughput probe: raw signed transfers, batched submission, until all are mined."""
    net = _devnet()
    keys = list(net.agencies.values())[:senders]
    try:
        from civic_ledger.chain.client import HttpClient

        result = run_bench(HttpClient(net.rpc_url, timeout=30), net.cfg.chain_id, keys, txs)
    except Exception as exc:
        _fail(exc)
    console.print(
        f"{result.txs} transfers from {result.senders} senders, {result.failed} failed; "
        f"blocks {result.first_block}..{result.last_block}\n"
        f"  signing      {result.sign_seconds:6.2f} s (not counted)\n"
        f"  submission   {result.submit_seconds:6.2f} s  ({result.submit_rate:,.0f} tx/s)\n"
        f"  end to end   {result.total_seconds:6.2f} s  ({result.end_to_end_rate:,.0f} tx/s,"
        f" first send to last mined)\n"
        f"  chain time   {result.block_span_seconds:6d} s  ({result.chain_rate:,.0f} tx/s)"
    )
    blocks = clique.sealed(net.rpc(0), range(result.first_block, result.last_block + 1))
    console.print("  per block: " + ", ".join(f"#{b.number}:{b.tx_count}" for b in blocks))
