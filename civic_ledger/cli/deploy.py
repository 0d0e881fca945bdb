"""`ape run deploy`: deploy the suite idempotently and write the deployment manifest."""

from __future__ import annotations

import json
from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand, network_option
from rich.table import Table

from civic_ledger.cli.common import (
    account_option,
    default_manifest_path,
    handle_errors,
    load_account,
    network_name,
    path_option,
    roles_option,
)
from civic_ledger.cli.output import console
from civic_ledger.core.config import load_roles_file
from civic_ledger.core.paths import DEFAULT_CATALOGUE
from civic_ledger.deploy import DeployPlan, StepEvent
from civic_ledger.deploy.accounts import EPHEMERAL_NETWORKS
from civic_ledger.deploy.upgrade import parse_upgrades

STATUS_STYLE = {
    "done": "dim",
    "sent": "green",
    "adopted": "yellow",
    "dropped": "yellow",
    "resumed": "yellow",
    "reset": "yellow",
    "waiting": "cyan",
}


def print_event(event: StepEvent) -> None:
    style = STATUS_STYLE.get(event.status, "")
    gas = f" · gas {event.gas_used:,}" if event.gas_used else ""
    tx = f" · tx {event.tx_hash[:12]}…" if event.tx_hash else ""
    console.print(f"[{style}]{event.status:>7}[/] {event.detail}[dim]{tx}{gas}[/]")


def run_deploy(
    account_alias: str | None,
    roles_file: Path,
    manifest_file: Path | None,
    upgrades: tuple[str, ...] = (),
    catalogue: Path | None = None,
    catalogue_only: bool = False,
) -> Path:
    """Run the deploy plan on the connected network; returns the manifest path."""
    from ape.logging import LogLevel, logger

    if logger.level == LogLevel.INFO:
        logger.set_level(LogLevel.WARNING)  # our report already names every transaction

    if account_alias is None:
        if network_name() not in EPHEMERAL_NETWORKS:
            raise click.UsageError("--account is required on a network other than a dev chain")
        account_alias = "TEST::0"
    sender = load_account(account_alias)
    roles = load_roles_file(roles_file)
    path = manifest_file or default_manifest_path()
    sent: list[StepEvent] = []
    already_done: list[StepEvent] = []
    resumed: list[StepEvent] = []

    def report(event: StepEvent) -> None:
        if event.status == "done":
            already_done.append(event)
            return
        if event.status in {"sent", "adopted"}:
            sent.append(event)
        if event.status == "resumed":
            resumed.append(event)
        print_event(event)

    plan = DeployPlan.connected(
        sender=sender, roles=roles, manifest_path=path, report=report,
        upgrades=parse_upgrades(upgrades), catalogue=catalogue, catalogue_only=catalogue_only,
    )  # fmt: skip
    manifest = plan.run()
    table = Table(title=f"civic-ledger on {manifest.network} (chain {manifest.chain_id})")
    for column in ("contract", "address", "version", "implementation", "block"):
        table.add_column(column, no_wrap=True)
    for name, entry in manifest.contracts.items():
        implementation = entry.get("implementation")
        version = plan.instance(name).version() if implementation else "-"
        table.add_row(name, entry["address"], version, implementation or "-", str(entry["block"]))
    console.print(table)
    if already_done:
        console.print(f"[dim]   done {len(already_done)} step(s) already on chain, verified[/]")
    if resumed:
        run = manifest.data["runs"][-1]
        adopted, dropped = run.get("adopted", []), run.get("dropped", [])
        console.print(
            f"resumed an interrupted run: {len(already_done)} step(s) already done and verified, "
            f"adopted {len(adopted)} journaled step(s) found mined"
            + (f" ({', '.join(adopted)})" if adopted else "")
            + f", {len(dropped)} journaled step(s) never mined"
            + (f" ({', '.join(dropped)})" if dropped else "")
            + f", {run.get('sent', 0)} new transaction(s)"
        )
    for event in plan.waiting:
        console.print(f"[cyan]waiting[/] {event.detail}")
    gas = sum(e.gas_used or 0 for e in sent)
    adopted = sum(1 for e in sent if e.status == "adopted")
    console.print(
        f"{len(sent) - adopted} new transaction(s)"
        + (f" + {adopted} adopted from the interrupted run" if adopted else "")
        + f", {gas:,} gas · manifest: [bold]{path}[/]"
        if sent
        else "nothing to do: everything already deployed and wired"
        + (" (an upgrade waits for its notice period)" if plan.waiting else "")
        + f" · manifest: [bold]{path}[/]"
    )
    return path


@click.command(cls=ConnectedProviderCommand, short_help="Deploy the city's contracts")
@network_option()
@account_option(
    required=False,
    help_text="Ape account that deploys and holds ADMIN_ROLE until "
    "handover (default on local chains: TEST::0).",
)
@roles_option("YAML file mapping agencies to wallets and roles.")
@path_option(
    "--manifest", "manifest_file", file_only=False, default=None,
    help="Manifest path (default: deployments/<network>.json).",
)  # fmt: skip
@click.option(
    "--upgrade",
    "upgrades",
    metavar="NAME[=ARTEFACT]",
    multiple=True,
    help="Upgrade deployed contract NAME to its code as compiled now (or to compiled ARTEFACT): "
    "storage layout checked, new implementation deployed, upgrade scheduled for the notice "
    "period; run the same command again after it to execute. Repeatable.",
)
@path_option(
    "--catalogue",
    "catalogue_file",
    default=DEFAULT_CATALOGUE,
    show_default=True,
    help="The city catalogue (record schemas and standing policies) to apply: what is missing "
    "is created by the records administrator of the roles file; what differs stops the plan.",
)
@click.option("--no-catalogue", is_flag=True, help="Deploy without applying the catalogue.")
@click.option(
    "--catalogue-only",
    is_flag=True,
    help="Only apply the catalogue to the existing deployment (the records administrator runs "
    "this with its own --account when the deployer cannot sign for it).",
)
@click.option("--print-manifest", is_flag=True, help="Print the manifest JSON at the end.")
@handle_errors
def cli(
    account_alias: str | None,
    roles_file: Path,
    manifest_file: Path | None,
    upgrades: tuple[str, ...],
    catalogue_file: Path,
    no_catalogue: bool,
    catalogue_only: bool,
    print_manifest: bool,
) -> None:
    """Deploy the suite to the selected network from a named Ape account, wire every
    restricted function to its agency role, grant the roles listed in the roles file, and write
    deployments/<network>.json.

    Idempotent: a re-run verifies what the manifest records (code hashes) and sends only
    missing steps; a run interrupted midway resumes from the journaled transactions.
    """
    catalogue = None if no_catalogue else catalogue_file
    if catalogue_only and no_catalogue:
        raise click.UsageError("--catalogue-only and --no-catalogue exclude each other")
    if catalogue_only and not (manifest_file or default_manifest_path()).exists():
        raise click.UsageError("--catalogue-only needs a deployment: run `ape run deploy` first")
    path = run_deploy(account_alias, roles_file, manifest_file, upgrades, catalogue, catalogue_only)
    if print_manifest:
        console.print_json(json.dumps(json.loads(path.read_text())))
