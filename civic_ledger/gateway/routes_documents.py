"""The document service: the issuing agency uploads the document a record's evidence hash
names; the gateway checks the hash and keeps it content-addressed; it serves it to whom the
record's schema allows - a certificate's document to anyone, any other evidence only to the
record's issuer and to the subject's controller (each proving its address with a signed
challenge)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from civic_ledger.core.documents import content_hash
from civic_ledger.core.exceptions import ApiError
from civic_ledger.gateway import queries
from civic_ledger.gateway.web import (
    NEEDS_TOKEN,
    TOO_LARGE,
    Caller,
    DocumentHash,
    Gateway,
    GatewayDep,
    RequiredCaller,
    api_router,
    limited_body,
    snapshot,
)

router = api_router("documents")


def _owners(gw: Gateway, document: str) -> queries.DocumentOwners:
    with snapshot(gw.engine) as conn:
        owners = queries.document_owners(conn, document)
    if owners is None:
        raise ApiError(404, f"no indexed record has evidence hash {document}")
    return owners


@router.put(
    "/documents/{hash}",
    summary="Upload a record's document (its issuer)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
    responses={
        **NEEDS_TOKEN,
        403: {"description": "Not the issuer of a record with this evidence hash"},
        404: {"description": "No indexed record has this evidence hash"},
        **TOO_LARGE,
    },
)
async def put_document(
    hash: DocumentHash, request: Request, gw: GatewayDep, address: RequiredCaller
) -> dict[str, Any]:
    """Store the request body as the document with keccak-256 `hash`, which must be the
    evidence hash of an indexed record whose issuer signed in; idempotent."""
    document = hash.lower()
    owners = await run_in_threadpool(_owners, gw, document)
    if address not in owners.issuers:
        raise ApiError(403, "only the issuer of a record with this evidence hash may upload it")
    limit = gw.settings.max_document_bytes
    data = await limited_body(request, limit, f"the document is larger than {limit} bytes")
    actual = "0x" + content_hash(data).hex()
    if actual != document:
        raise ApiError(422, f"the body's keccak-256 is {actual}, not {document}")
    created = await run_in_threadpool(gw.store.put, document, data)
    return {"hash": document, "bytes": len(data), "stored": "new" if created else "already stored"}


@router.get(
    "/documents/{hash}",
    summary="Download a record's document",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/octet-stream": {}}},
        401: {"description": "Not a certificate: a token is needed"},
        403: {"description": "Neither the issuer nor the subject's controller"},
        404: {"description": "Unknown hash, or not uploaded yet"},
    },
)
def get_document(hash: DocumentHash, gw: GatewayDep, address: Caller) -> FileResponse:
    """The document: to anyone when a record it is the evidence of is a certificate; else only
    to the record's issuer or the subject's controller (bearer token)."""
    document = hash.lower()
    owners = _owners(gw, document)
    if not owners.public:
        if address is None:
            raise ApiError(401, "this document is personal: sign in as its issuer or subject")
        if address not in owners.issuers | owners.controllers:
            raise ApiError(403, "only the record's issuer and the subject may read this document")
    path = gw.store.path_of(document)
    if not path.is_file():
        raise ApiError(404, f"document {document} has not been uploaded")
    return FileResponse(
        path,
        media_type="application/octet-stream",
        headers={
            "Cache-Control": "private, max-age=0" if not owners.public else "public, max-age=300"
        },
    )
