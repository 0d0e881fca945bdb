"""What every route of the read API shares: its router (`api_router`: the /api/v1 prefix and
the `ERRORS` every route may answer), the gateway's parts on the app (`Gateway`), a
database connection per request, the caller's bearer token, the id and hash parameter types,
the `ApiError` a route raises for a one-line refusal, and `answer` (the `as_of` every answer
carries)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy import Connection, Engine, Select
from starlette.concurrency import run_in_threadpool

from civic_ledger.core.encoding import HEX32
from civic_ledger.core.exceptions import ApiError, AuthError, GatewayError
from civic_ledger.gateway.async_reads import AsyncReads
from civic_ledger.gateway.auth import Authenticator
from civic_ledger.gateway.db import again_if_dropped, answering
from civic_ledger.gateway.documents import DocumentStore
from civic_ledger.gateway.queries import AsOf

HASH_PATTERN = HEX32.pattern
PARCEL_PATTERN = r"^(0x[0-9a-fA-F]{64}|[0-9]{1,78})$"
MIB = 1024 * 1024


@dataclass(frozen=True)
class ApiSettings:
    """How the read API behaves; every field has a production default."""

    #: The name a wallet sees in the challenge it signs.
    name: str = "civic-ledger gateway"
    #: Key of the session tokens' HMAC (random per process when None: give every API process
    #: of one gateway the same secret so a token works in all of them).
    secret: bytes | None = None
    #: Per client address: requests per second refilled, and the bucket's size.
    rate: float = 20.0
    burst: int = 60
    #: Largest document accepted by PUT /api/v1/documents/{hash}.
    max_document_bytes: int = 10 * MIB
    challenge_ttl: int = 300
    token_ttl: int = 900

    def __post_init__(self) -> None:
        if not self.rate > 0 or self.burst < 1:
            raise GatewayError(f"rate limit {self.rate}/s, burst {self.burst}: the rate must be "
                               "above 0 and the burst at least 1")  # fmt: skip
        if self.max_document_bytes < 1:
            raise GatewayError(f"largest document {self.max_document_bytes} bytes: must be >= 1")
        if self.challenge_ttl < 1 or self.token_ttl < 1:
            raise GatewayError("challenge and token lifetimes must be at least 1 second")
        if self.secret is not None and len(self.secret) < 16:
            raise GatewayError("the token secret must be at least 16 bytes")


@dataclass
class Gateway:
    """The parts of one API: its index, document store, authenticator and settings."""

    engine: Engine
    store: DocumentStore
    auth: Authenticator
    settings: ApiSettings = field(default_factory=ApiSettings)
    #: PostgreSQL's asyncio pool for `read_first`, while the app's lifespan runs.
    reads: AsyncReads | None = None


class ErrorBody(BaseModel):
    """Every refusal: one line saying what is wrong."""

    error: str


#: Responses every route may give besides its own (documented in the OpenAPI schema).
ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorBody, "description": "A malformed id, hash or parameter"},
    429: {"model": ErrorBody, "description": "Too many requests from this client (Retry-After)"},
    503: {"model": ErrorBody, "description": "Nothing indexed yet"},
}


def api_router(*tags: str) -> APIRouter:
    """A router of the read API: its paths under /api/v1, each documenting `ERRORS` and tagged
    `tags` (if any)."""
    return APIRouter(prefix="/api/v1", responses=ERRORS, tags=list(tags))


# The dependencies are coroutines: FastAPI runs a plain function dependency in its thread pool,
# a hop each way per request; these only look up state or open a pooled connection.


async def gateway_dep(request: Request) -> Gateway:
    return gateway(request)


def gateway(request: Request) -> Gateway:
    return request.app.state.gateway


async def connection(request: Request) -> AsyncIterator[Connection]:
    """One database connection for the request, in one read transaction: every read of one
    answer (its `as_of` included) sees the same snapshot while the indexer writes. SQLite's is
    opened here (a local file: microseconds); a server's in the thread pool (a round trip)."""
    engine = gateway(request).engine
    if local(engine):
        with snapshot(engine) as conn:
            yield conn
        return
    opened = snapshot(engine)
    conn = await run_in_threadpool(opened.__enter__)
    try:
        yield conn
    finally:
        await run_in_threadpool(opened.__exit__, None, None, None)


def local(engine: Engine) -> bool:
    """Whether reads are local file reads (SQLite), cheap enough for the event loop."""
    return engine.dialect.name == "sqlite"


async def read_first(gw: Gateway, statement: Select, params: Mapping[str, Any]) -> Any:
    """The first row (a mapping by result key, or None) of `statement`, ONE statement
    (consistent by itself, so no transaction is begun), for the busiest routes: on SQLite on
    the event loop (a local file), on PostgreSQL through the app's asyncio pool
    (`async_reads`: no thread). Without that pool (an app whose lifespan did not run, e.g. a
    test client used outside `with`) in one thread-pool call: checkout, statement and release
    together, a connection the server dropped replaced and the statement sent again, once."""
    engine = gw.engine
    if local(engine):
        with engine.connect() as conn:
            return conn.execute(statement, params).mappings().first()
    if gw.reads is not None:
        return await gw.reads.first(statement, params)
    return await run_in_threadpool(_first_in_thread, engine, statement, params)


def _first_in_thread(engine: Engine, statement: Select, params: Mapping[str, Any]) -> Any:
    def run() -> Any:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            return conn.execute(statement, params).mappings().first()

    return again_if_dropped(run)


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection whose reads all see one state of the database (SQLite: an explicit read
    transaction, which the driver would not begin for reads; PostgreSQL: REPEATABLE READ)."""
    with answering(engine) as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN")
        # PostgreSQL: the engine's isolation level is REPEATABLE READ (db.connect)
        yield conn


_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/auth/session")


def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str | None:
    """The address the request's bearer token names (lower-case), None without a token; 401
    for an invalid or expired token."""
    if credentials is None:
        return None
    try:
        return gateway(request).auth.address_of(credentials.credentials)
    except AuthError as exc:
        raise ApiError(401, str(exc)) from None


def required_caller(address: Annotated[str | None, Depends(caller)]) -> str:
    if address is None:
        raise ApiError(
            401, "this needs a bearer token: sign a challenge (POST /api/v1/auth/challenge)"
        )
    return address


Conn = Annotated[Connection, Depends(connection)]
Caller = Annotated[str | None, Depends(caller)]
RequiredCaller = Annotated[str, Depends(required_caller)]
GatewayDep = Annotated[Gateway, Depends(gateway_dep)]

#: What a route that takes `RequiredCaller` documents besides its own answers.
NEEDS_TOKEN: dict[int | str, dict[str, Any]] = {401: {"description": "No or bad token"}}
#: What a route that reads a body up to a limit (`limited_body`) documents for a larger one.
TOO_LARGE: dict[int | str, dict[str, Any]] = {
    413: {"description": "Larger than the gateway accepts"}
}


def hash_param(description: str) -> Any:
    return PathParam(pattern=HASH_PATTERN, description=f"{description} (0x + 64 hex digits)")


#: The path parameters that are 0x-hex hashes.
RecordId = Annotated[str, hash_param("The record id")]
Commitment = Annotated[str, hash_param("The subject's identity commitment")]
DocumentHash = Annotated[str, hash_param("The document's keccak-256, a record's evidence hash")]
BatchRoot = Annotated[str, hash_param("The batch's Merkle root, as anchored on chain")]


async def limited_body(request: Request, limit: int, too_large: str) -> bytes:
    """The request's body, refused with 413 `too_large` as soon as it is known to pass `limit`
    bytes (by its Content-Length, or while it streams in: a chunked body is never buffered
    past the limit)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, too_large)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, too_large)
        chunks.append(chunk)
    return b"".join(chunks)


def answer(at: AsOf, body: dict[str, Any] | None = None, **items: Any) -> dict[str, Any]:
    """An answer: what the index says, and as of which block."""
    return {"as_of": at.json(), **(body or {}), **items}
