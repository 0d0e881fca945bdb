"""The read API as an ASGI app factory configured from the environment, for running extra API
processes next to the one indexer (the PostgreSQL scale-out):

    CIVIC_GATEWAY_DB=postgresql://gateway@db/city CIVIC_GATEWAY_SECRET=... \\
        uvicorn --factory civic_ledger.gateway.asgi:app --workers 4 --proxy-headers

CIVIC_GATEWAY_DB (required): the database the indexer writes (SQLite file or PostgreSQL URL).
CIVIC_GATEWAY_DOCUMENTS: the document store's folder (default: `documents` next to a SQLite
file, else ./gateway-documents). CIVIC_GATEWAY_SECRET: the session tokens' key, the same in
every process (>= 16 bytes). CIVIC_GATEWAY_RATE / CIVIC_GATEWAY_BURST: the per-client rate
limit (requests per second, bucket size). CIVIC_GATEWAY_RPC: the node's JSON-RPC URL, for the
dashboard's chain health (head, last block time, Clique signers); without it the dashboard
shows the indexer's last poll.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from civic_ledger.core.exceptions import GatewayError
from civic_ledger.gateway.db import database_url, open_existing


def app() -> FastAPI:
    """The API over the database named by CIVIC_GATEWAY_DB."""
    from civic_ledger.gateway.api import anonymous_access_log, create_app
    from civic_ledger.gateway.web import ApiSettings

    url = os.environ.get("CIVIC_GATEWAY_DB", "").strip()
    if not url:
        raise GatewayError("CIVIC_GATEWAY_DB is not set: name the gateway database to serve")
    documents = os.environ.get("CIVIC_GATEWAY_DOCUMENTS")
    if documents:
        folder = Path(documents)
    elif database_url(url).startswith("sqlite:///"):
        folder = Path(database_url(url).removeprefix("sqlite:///")).parent / "documents"
    else:
        folder = Path("gateway-documents")
    secret = os.environ.get("CIVIC_GATEWAY_SECRET")
    settings = ApiSettings(
        secret=secret.encode() if secret else None,
        rate=_number("CIVIC_GATEWAY_RATE", ApiSettings.rate),
        burst=int(_number("CIVIC_GATEWAY_BURST", ApiSettings.burst)),
    )
    anonymous_access_log()
    app = create_app(open_existing(url), documents=folder, settings=settings)
    rpc = os.environ.get("CIVIC_GATEWAY_RPC", "").strip()
    if rpc:
        from civic_ledger.chain.client import HttpClient
        from civic_ledger.portal.health import attach_chain

        attach_chain(app, HttpClient(rpc, timeout=5.0))
    return app


def _number(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise GatewayError(f"{name}={value!r}: expected a number") from None
