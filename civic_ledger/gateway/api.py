"""The gateway's read API and document service (FastAPI): `create_app(engine, documents=...)`.

The app only reads the index the indexer writes (any number of API processes may serve one
database) and writes documents to its folder. Every answer carries `as_of`: the indexed block
and its time, the lag behind the node's head, and how long ago the node was last reached, so a
reader knows how old it is; when the node goes away the API keeps serving the last indexed
state. Refusals are one line, `{"error": "..."}`, never a stack trace; a malformed id or hash
is a 422 naming the parameter and the form expected. Every route but `/health` is rate limited
per client (token bucket, 429 with Retry-After). Nothing is logged but what the server's
access log shows (method, path, status): no bodies, no tokens.

Run it with any ASGI server, e.g. `anonymous_access_log()` then
`uvicorn.run(create_app(connect(url), documents=folder), proxy_headers=...)`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from starlette.exceptions import HTTPException

from civic_ledger.core.exceptions import ApiError
from civic_ledger.gateway import (
    queries,
    routes_city,
    routes_documents,
    routes_receipts,
    routes_records,
    routes_subjects,
)
from civic_ledger.gateway.async_reads import AsyncReads
from civic_ledger.gateway.auth import Authenticator
from civic_ledger.gateway.documents import DocumentStore
from civic_ledger.gateway.ratelimit import RateLimit, TokenBuckets
from civic_ledger.gateway.web import ApiSettings, Gateway
from civic_ledger.portal import mount_portal

log = logging.getLogger("civic_ledger.gateway.api")

API_VERSION = "1"
HEALTH = "/health"

#: What a malformed parameter should look like, by parameter name (the 422's one line).
EXPECTED = {
    "record_id": "0x + 64 hex digits",
    "document": "0x + 64 hex digits (the document's keccak-256)",
    "hash": "0x + 64 hex digits (the document's keccak-256)",
    "commitment": "0x + 64 hex digits (an identity commitment)",
    "parcel_id": "0x + 64 hex digits or a decimal parcel number",
    "round_id": "a round number",
    "month": "YYYY-MM",
    "kind": "milestone, rent or clawback",
    "days": "a number of days from 1 to 366",
    "limit": "a number from 1 to 10000",
    "address": "0x + 40 hex digits",
    "signature": "0x + 130 hex digits (65 bytes)",
}


def create_app(engine: Engine, *, documents: Path, settings: ApiSettings | None = None) -> FastAPI:
    """The API over the index in `engine` (SQLite or PostgreSQL, as `db.connect` returns),
    keeping uploaded documents under the folder `documents` (created when needed).

    `settings` (`ApiSettings`): the name wallets see in challenges, the token secret (give
    every process of one gateway the same), the rate limit (requests per second and burst per
    client), the largest document, the challenge and token lifetimes. Nothing is read from the
    database or the folder until a request comes."""
    config = settings or ApiSettings()

    def chain_id() -> int:
        with engine.connect() as conn:
            return queries.chain_id(conn)

    gateway = Gateway(
        engine=engine,
        store=DocumentStore(Path(documents)),
        auth=Authenticator(
            name=config.name,
            chain_id=chain_id,
            secret=config.secret,
            challenge_ttl=config.challenge_ttl,
            token_ttl=config.token_ttl,
        ),
        settings=config,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        """PostgreSQL's asyncio pool for the busiest reads (`async_reads`), while serving."""
        reads = AsyncReads.for_engine(engine)
        if reads is not None:
            await reads.open()
        gateway.reads = reads
        try:
            yield
        finally:
            gateway.reads = None
            if reads is not None:
                await reads.close()

    app = FastAPI(
        lifespan=lifespan,
        title="civic-ledger gateway",
        version=API_VERSION,
        summary="The city ledger's read API and document service",
        description=(
            "Reads what the city's contracts hold, from the gateway's index of the chain. Every "
            "answer carries `as_of` (indexed block, its time, lag). Ids and hashes are 0x-hex; "
            "amounts are decimal strings (uint256); times are Unix seconds. Subjects appear "
            "only as identity commitments."
        ),
    )
    app.state.gateway = gateway

    @app.get(HEALTH, tags=["index"], summary="Liveness (not rate limited)")
    async def health() -> dict[str, str]:  # on the event loop: no thread-pool hop
        """Always `{"status": "ok"}` while the process serves requests."""
        return {"status": "ok"}

    for module in (routes_records, routes_subjects, routes_city, routes_documents, routes_receipts):
        app.include_router(module.router)
    _handle_errors(app)
    mount_portal(app)  # the public pages (civic_ledger/portal), after the API's error handlers
    app.add_middleware(RateLimit, buckets=TokenBuckets(config.rate, config.burst), exempt=(HEALTH,))
    return app


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def validation_message(exc: RequestValidationError) -> str:
    """One line for the first problem of a request: the parameter, what was given, what is
    expected."""
    errors = exc.errors()
    if not errors:
        return "malformed request"
    first = errors[0]
    loc = [str(p) for p in first.get("loc", ()) if p not in ("path", "query", "body", "header")]
    name = ".".join(loc) or "request"
    if first.get("type") == "missing":
        return f"missing {name}" if loc else "missing JSON body"
    if first.get("type") == "json_invalid":
        return "the body is not valid JSON"
    given = first.get("input")
    shown = repr(given) if isinstance(given, str | int | float) else type(given).__name__
    if len(shown) > 80:
        shown = shown[:77] + "..."
    expected = EXPECTED.get(loc[-1] if loc else "", str(first.get("msg", "")).lower())
    return f"malformed {name} {shown}: expected {expected}"


def _handle_errors(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.message)

    @app.exception_handler(queries.NotIndexed)
    async def not_indexed(_request: Request, exc: queries.NotIndexed) -> JSONResponse:
        return _error(503, str(exc), {"Retry-After": "10"})

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, validation_message(exc))

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        return _error(
            exc.status_code,
            message.lower() if message == "Not Found" else message,
            getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        # the path (ids and hashes only) and the exception's type: no request data
        log.error(
            "internal error on %s %s: %s", request.method, request.url.path, type(exc).__name__
        )
        return _error(500, "internal error (logged by the gateway)")


class AnonymousAccessLog(logging.Filter):
    """Drops the client's address from uvicorn's access log lines (an IP address is personal
    data); method, path and status stay. Installed by `anonymous_access_log`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) == 5:
            record.args = ("-", *record.args[1:])
        return True


def anonymous_access_log(logger: str = "uvicorn.access") -> None:
    """Call before serving with uvicorn: its access log then shows no client addresses."""
    target = logging.getLogger(logger)
    if not any(isinstance(f, AnonymousAccessLog) for f in target.filters):
        target.addFilter(AnonymousAccessLog())


def openapi_schema(app: FastAPI | None = None) -> dict[str, Any]:
    """The OpenAPI document of the API (built without a database)."""
    if app is None:
        from sqlalchemy import create_engine

        app = create_app(create_engine("sqlite://"), documents=Path("documents"))
    return app.openapi()
