"""`ape run demo`: deploy the whole suite from scratch and show what was deployed.

Grows with each domain into the end-to-end city scenario (issue 7)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand, network_option

from civic_ledger.cli.common import console, handle_errors
from civic_ledger.cli.deploy import run_deploy
from civic_ledger.paths import DEFAULT_ROLES_FILE


@click.command(cls=ConnectedProviderCommand, short_help="Run the end-to-end city demo")
@network_option()
@click.option(
    "--account",
    "account_alias",
    default=None,
    metavar="ALIAS",
    help="Deploying account (default on local chains: TEST::0).",
)
@click.option(
    "--roles",
    "roles_file",
    type=click.Path(path_type=Path),
    default=DEFAULT_ROLES_FILE,
    show_default=True,
    help="Agencies -> wallets and roles.",
)
@handle_errors
def cli(account_alias: str | None, roles_file: Path) -> None:
    """Deploy the city's contracts from scratch and print the deployment manifest."""
    with tempfile.TemporaryDirectory() as folder:
        manifest = run_deploy(account_alias, roles_file, Path(folder) / "demo.json")
        data = json.loads(manifest.read_text())
    console.rule("deployment manifest")
    console.print_json(
        json.dumps({k: data[k] for k in ("network", "chain_id", "contracts", "roles")})
    )
