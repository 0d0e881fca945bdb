"""`ape run demo`: deploy the whole suite from scratch and play the city scenario, narrated,
with every step's on-chain effect read back. Exit code 0 only if every check held."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import click
from ape.cli import ConnectedProviderCommand, network_option

from civic_ledger.chain.manifest import Manifest
from civic_ledger.cli.common import (
    Suite,
    account_option,
    handle_errors,
    load_account,
    network_name,
    roles_option,
)
from civic_ledger.cli.deploy import run_deploy
from civic_ledger.cli.output import console
from civic_ledger.core.config import load_roles_file
from civic_ledger.core.exceptions import VerificationFailed
from civic_ledger.demo.cast import assemble
from civic_ledger.demo.narrator import Narrator
from civic_ledger.demo.scenario import CityScenario


@click.command(cls=ConnectedProviderCommand, short_help="Run the end-to-end city demo")
@network_option()
@account_option(required=False, help_text="Deploying account (default on local chains: TEST::0).")
@roles_option("Agencies -> wallets and roles (every agency must be able to sign).")
@click.option("--serve", is_flag=True,
              help="Afterwards, index the demo's chain and serve the gateway (API and portal) "
              "until Ctrl-C.")  # fmt: skip
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True,
              help="The gateway's port with --serve.")  # fmt: skip
@handle_errors
def cli(account_alias: str | None, roles_file: Path, serve: bool, port: int) -> None:
    """Deploy the city's contracts from scratch, then play a city scenario: residents and firms
    registered, credit records issued and one disputed, a mortgaged parcel sold with tax paid,
    and a grant round with rent and research subsidies, a paid milestone and a clawback.

    Every step prints the acting agency, the transaction and its gas, and is verified by
    reading the chain back; the command fails if any effect is missing. With --serve, the
    demo's chain is then indexed and the city gateway serves it (the embedded chain lives in
    this process: the gateway does too).
    """
    from ape import chain

    local = network_name() == "local"
    alias = account_alias or ("TEST::0" if local else None)
    if alias is None:
        raise click.UsageError("--account is required on a non-local network")
    roles = load_roles_file(roles_file)
    console.rule("[bold]Deployment")
    folder = Path(tempfile.mkdtemp(prefix="civic-demo-"))
    path = run_deploy(alias, roles_file, folder / "demo.json")
    suite = Suite.from_manifest(Manifest.load(path))
    cast = assemble(roles, load_account(alias), local)
    narrator = Narrator(console)
    scenario = CityScenario(suite, cast, narrator, chain)
    if serve:
        scenario.receipts_dir = folder / "receipts"
    try:
        scenario.play()
    except VerificationFailed as exc:
        raise click.ClickException(f"demo check failed: {exc}") from None
    console.rule("[bold]Summary")
    console.print(scenario.summary())
    console.print(narrator.gas_table())
    console.print("[bold green]Every step was verified on chain.[/]")
    if serve:
        serve_gateway(Manifest.load(path), folder, port)
    else:
        shutil.rmtree(folder, ignore_errors=True)


def serve_gateway(manifest: Manifest, folder: Path, port: int) -> None:
    """Index the demo's chain into a database in `folder` and serve the gateway on `port`."""
    import uvicorn

    from civic_ledger.chain.client import Web3Client
    from civic_ledger.gateway.api import anonymous_access_log, create_app
    from civic_ledger.gateway.db import connect
    from civic_ledger.gateway.indexer import Indexer
    from civic_ledger.portal.health import attach_chain

    console.rule("[bold]Gateway")
    indexer = Indexer.for_manifest(connect(str(folder / "gateway.sqlite")), Web3Client.from_ape(),
                                   manifest)  # fmt: skip
    result = indexer.step()
    console.print(f"indexed {result.events:,} events up to block {result.last:,}")
    app = create_app(indexer.engine, documents=folder / "documents")
    attach_chain(app, Web3Client.from_ape())  # the dashboard's chain health
    published = publish_receipts(app, folder / "receipts")
    console.print(f"the land registry published {published} access receipts to the gateway")
    anonymous_access_log()
    console.print(f"[bold]Portal and API: http://127.0.0.1:{port}/[/] (Ctrl-C stops)")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def publish_receipts(app: Any, directory: Path) -> int:
    """What `ape run admin data receipts-publish` does for an agency, done in this process for
    the demo's land registry: every anchored batch in its receipts folder handed to the
    gateway of `app` (checked against the indexed root like any publication) as the batch's
    operator. Returns how many receipts were stored."""
    from civic_ledger.data import receipts as rc
    from civic_ledger.gateway import queries
    from civic_ledger.gateway.routes_receipts import PublishedReceipt, store_receipts

    if not directory.exists():
        return 0
    gateway, store, stored = app.state.gateway, rc.LeafStore(directory), 0
    for root in store.anchored_roots():
        receipts = store.batch_receipts(root)
        tree = rc.MerkleTree([r.leaf for r in receipts])
        with gateway.engine.connect() as conn:
            batch = queries.receipt_batch(conn, "0x" + root.hex())
        if batch is None:
            continue
        items = [PublishedReceipt(**rc.published(r, tree)) for r in receipts]
        answer = store_receipts(gateway, "0x" + root.hex(), str(batch["operator"]).lower(), items)
        stored += answer.stored
    return stored
