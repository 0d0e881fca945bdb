"""Records and certificates: verify a presented certificate as `verifyCertificate` does, and
read one record's standing by `isValid`'s rules with its history; the index's own status."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from civic_ledger.core.exceptions import ApiError, GatewayError
from civic_ledger.gateway import queries
from civic_ledger.gateway.indexer import status
from civic_ledger.gateway.web import (
    HASH_PATTERN,
    Conn,
    GatewayDep,
    RecordId,
    answer,
    api_router,
    read_first,
)

router = api_router()


@router.get("/status", tags=["index"], summary="Where the index stands")
def index_status(gw: GatewayDep) -> dict[str, Any]:
    """The indexer's cursor, the node's head when last polled, the lag in blocks and seconds,
    the number of events, reorganisations seen and the last failure to reach the node."""
    try:
        return status(gw.engine)
    except GatewayError as exc:
        raise ApiError(503, str(exc)) from None


@router.get("/verify/{record_id}", tags=["records"], summary="Verify a certificate")
async def verify(
    record_id: RecordId,
    document: Annotated[
        str, Query(pattern=HASH_PATTERN, description="keccak-256 of the presented document")
    ],
    gw: GatewayDep,
) -> dict[str, Any]:
    """`RecordRegistry.verifyCertificate(record_id, document)` at the indexed block: `unknown`
    (and nothing else) unless the record's schema is a certificate and `document` is the hash
    the record certifies; else `revoked` (with the reason code the contract keeps), `expired`,
    `disputed` or `valid`, with the issuer, schema, issue and expiry times and the transaction
    that decided the status."""
    # The busiest endpoint: one statement (the cursor and the record by primary key), on the
    # event loop (SQLite: a local file; PostgreSQL: the asyncio driver), outside a transaction.
    row = await read_first(gw, queries.VERIFY, {"record_id": record_id.lower()})
    at, found = queries.verify_answer(row, document.lower())
    return answer(at, found)


@router.get("/records/{record_id}", tags=["records"], summary="A record's standing and history")
def record(record_id: RecordId, conn: Conn) -> dict[str, Any]:
    """Whether the record counts (`isValid`: issued, not revoked, not in a dispute stay, not
    expired) with the reasons it does not, its schema, issuer, dispute state and the registry's
    events about it. Nothing about the subject's other records."""
    at = queries.as_of(conn)
    found = queries.record(conn, record_id.lower(), at.block_time)
    if found is None:
        raise ApiError(404, f"no record {record_id.lower()} in the index")
    return answer(at, found)
