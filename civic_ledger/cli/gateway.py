"""`ape run gateway ...` (also `ape civic gateway ...`): the city gateway, the read path.

    ape run gateway index --network ethereum:city-devnet:node --follow
    ape run gateway status
    ape run gateway serve --port 8080 --follow

`index` follows the chain into the gateway database (SQLite file by default, or a PostgreSQL
URL: one indexer writes, any number of `serve` processes read); `serve` answers the read API
(and, with --follow, indexes in the same process: the embedded default). Reads only; signs
nothing.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Any

import click

from civic_ledger.cli.common import command, default_manifest_path, network_name
from civic_ledger.cli.output import console, print_rows, put

DATABASE_ENV = "CIVIC_GATEWAY_DB"
#: The session tokens' key, shared by every API process of one gateway (>= 16 bytes).
SECRET_ENV = "CIVIC_GATEWAY_SECRET"


@click.group()
def gateway() -> None:
    """The city gateway: index the chain into a database and serve the read API."""


def database_option(func: Any) -> Any:
    return click.option(
        "--database", "database", envvar=DATABASE_ENV, default=None,
        help="SQLite file or PostgreSQL URL (postgresql://user@host/db); env CIVIC_GATEWAY_DB "
        "(default: .gateway/<network>.sqlite next to deployments/).",
    )(func)  # fmt: skip


def index_options(func: Any) -> Any:
    func = click.option("--confirmations", type=click.IntRange(0, 10_000), default=0,
                        show_default=True,
                        help="Index only blocks this many below the head.")(func)  # fmt: skip
    func = click.option("--undo-window", type=click.IntRange(1, 100_000), default=256,
                        show_default=True,
                        help="Recent blocks whose writes can be undone after a fork.")(func)  # fmt: skip
    return click.option("--log-span", type=click.IntRange(1, 1_000_000), default=10,  # FIRST_SPAN
                        show_default=True,
                        help="Blocks per eth_getLogs at first (adapts to the node's limit).")(func)  # fmt: skip


def default_database() -> str:
    from civic_ledger.core.paths import DEPLOYMENTS_DIR

    return str(DEPLOYMENTS_DIR.parent / ".gateway" / f"{network_name()}.sqlite")


def deployment(manifest_file: Path | None) -> tuple[Any, Any]:
    """The connected chain's client and its checked deploy manifest."""
    from civic_ledger.chain.client import Web3Client
    from civic_ledger.chain.manifest import open_manifest

    client = Web3Client.from_ape()
    manifest = open_manifest(manifest_file or default_manifest_path(), client.chain_ref(),
                             code_at=client.code)  # fmt: skip
    return client, manifest


def open_indexer(manifest_file: Path | None, database: str | None, confirmations: int,
                 undo_window: int, log_span: int) -> Any:  # fmt: skip
    """An indexer for the connected network's deployment and the chosen database."""
    from civic_ledger.gateway.db import connect
    from civic_ledger.gateway.indexer import Indexer, log_reader

    client, manifest = deployment(manifest_file)
    reader = log_reader(client, span=log_span)
    return Indexer.for_manifest(connect(database or default_database()), client, manifest,
                                confirmations=confirmations, undo_window=undo_window,
                                reader=reader)  # fmt: skip


@command(gateway, "index", signs=False)
@database_option
@index_options
@click.option("--follow", is_flag=True, help="Keep following new blocks (Ctrl-C stops).")
@click.option("--interval", type=click.FloatRange(0.1, 3600), default=1.0, show_default=True,
              help="Seconds between polls when caught up (with --follow).")  # fmt: skip
def index(manifest_file: Path | None, database: str | None, confirmations: int,
          undo_window: int, log_span: int, follow: bool, interval: float) -> None:  # fmt: skip
    """Index the deployment's events into the gateway database, from where it stopped."""
    from civic_ledger.gateway.indexer import status

    indexer = open_indexer(manifest_file, database, confirmations, undo_window, log_span)
    if follow:
        console.print("following the chain (Ctrl-C stops; the cursor is saved per chunk)")
        with contextlib.suppress(KeyboardInterrupt):
            indexer.follow(interval=interval)
    else:
        while (result := indexer.step()).last < result.head - confirmations:
            console.print(f"indexed to block {result.last:,} of {result.head:,}")
    state = status(indexer.engine)
    _print_status(state)
    put(**state)


@command(gateway, "status", signs=False)
@database_option
def status_command(manifest_file: Path | None, database: str | None) -> None:
    """How far the index is: the indexed block, the head, the lag in blocks and seconds, the
    events indexed, forks seen and the last error reaching the node."""
    from civic_ledger.gateway.db import open_existing
    from civic_ledger.gateway.indexer import status

    deployment(manifest_file)
    state = status(open_existing(database or default_database()))
    _print_status(state)
    put(**state)


@command(gateway, "serve", signs=False)
@database_option
@index_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@click.option("--documents", "documents", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder of the document store (default: next to the database).")  # fmt: skip
@click.option("--follow/--no-follow", default=True, show_default=True,
              help="Index in this process too (the one writer; off for extra API processes).")  # fmt: skip
def serve(manifest_file: Path | None, database: str | None, confirmations: int,
          undo_window: int, log_span: int, host: str, port: int, documents: Path | None,
          follow: bool) -> None:  # fmt: skip
    """Serve the read API (OpenAPI schema at /openapi.json) and the public portal (pages at /,
    in English and Chinese) over the gateway database."""
    from civic_ledger.gateway.db import open_existing

    url = database or default_database()
    if follow:
        indexer = open_indexer(manifest_file, url, confirmations, undo_window, log_span)
        engine = indexer.engine
        threading.Thread(target=indexer.follow, name="indexer", daemon=True).start()
        client = indexer.client
    else:
        client, _manifest = deployment(manifest_file)
        engine = open_existing(url)
    folder = documents or (
        Path(url).parent / "documents" if "://" not in url
        else Path(default_database()).parent / "documents"
    )  # fmt: skip
    import os

    import uvicorn

    from civic_ledger.gateway.api import anonymous_access_log, create_app
    from civic_ledger.gateway.web import ApiSettings
    from civic_ledger.portal.health import attach_chain

    secret = os.environ.get(SECRET_ENV)
    settings = ApiSettings(secret=secret.encode() if secret else None)
    app = create_app(engine, documents=folder, settings=settings)
    attach_chain(app, _node_client(client))  # the dashboard's chain health
    anonymous_access_log()
    console.print(f"portal on http://{host}:{port}/, API on http://{host}:{port}/api/v1 "
                  f"(database {url}; documents {folder})")  # fmt: skip
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=True)


def _node_client(fallback: Any) -> Any:
    """A client of its own, with a short timeout, to the node the connected network's provider
    reaches over HTTP (the dashboard's reads stay off the indexer's connection and a slow node
    does not hold a page long); else `fallback` (the indexer's client)."""
    from ape import networks

    from civic_ledger.chain.client import HttpClient

    try:
        uri = networks.provider.http_uri
    except Exception:  # a provider without an HTTP endpoint (an embedded chain) may raise
        uri = None
    return HttpClient(uri, timeout=5.0) if isinstance(uri, str) and uri.startswith("http") else fallback  # fmt: skip


def _print_status(state: dict[str, Any]) -> None:
    from civic_ledger.core.encoding import format_time

    def shown(key: str, value: Any) -> str:
        if value is None:
            return ""
        if key.endswith("_time") or key == "polled_at":
            return format_time(int(value))
        return f"{value:,}" if isinstance(value, int) and key != "chain_id" else str(value)

    print_rows([(k.replace("_", " "), shown(k, v)) for k, v in state.items()])
