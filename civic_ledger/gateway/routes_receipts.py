"""Access receipts published by the agency that anchored them: the agency keeps its receipts
off chain and anchors each batch's Merkle root (`data/receipts.py`); here it publishes a
batch's receipts, each with its Merkle proof, so a subject can see every access receipt about
them, verified. The gateway checks each receipt against the root it indexed - the proof leads
to it, the anchoring agency is a party of the receipt's grant, the receipt names the grant's
subject - and stores all of them or none. Only the account that anchored the batch (its
`operator`, proving its address with a signed challenge) may publish its receipts; publishing
again is harmless (what is stored already is kept). A receipt is a grant id, a subject
commitment, a payload hash and a time: no personal data."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from civic_ledger.core.encoding import UINT64_MAX
from civic_ledger.core.exceptions import ApiError, InputError
from civic_ledger.data.receipts import MAX_PROOF, Receipt
from civic_ledger.gateway import queries, schema
from civic_ledger.gateway.web import (
    HASH_PATTERN,
    NEEDS_TOKEN,
    TOO_LARGE,
    BatchRoot,
    Gateway,
    GatewayDep,
    RequiredCaller,
    api_router,
    limited_body,
)

router = api_router("receipts")

MAX_RECEIPTS = 5_000  # per request: a larger batch is published in several requests
Hash = Annotated[str, Field(pattern=HASH_PATTERN)]


class PublishedReceipt(BaseModel):
    """One access receipt (IDataExchange.Receipt) and its Merkle proof in the batch."""

    grant_id: int = Field(ge=1, le=UINT64_MAX, description="The grant it was delivered under")
    subject: Hash = Field(description="The grant's subject commitment (zero: no one subject)")
    payload_hash: Hash = Field(description="keccak-256 of what was delivered")
    delivered_at: int = Field(ge=1, le=UINT64_MAX, description="Delivery time, Unix seconds")
    proof: list[Hash] = Field(max_length=MAX_PROOF, description="Sibling hashes, leaf to root")


class PublishRequest(BaseModel):
    receipts: list[PublishedReceipt] = Field(min_length=1, max_length=MAX_RECEIPTS)


class PublishAnswer(BaseModel):
    root: str
    received: int
    stored: int = Field(description="Receipts new to the gateway")
    already_stored: int


def _inline(model: type[BaseModel]) -> dict[str, Any]:
    """`model`'s JSON schema with its nested definitions written in place (for openapi_extra,
    which takes no `$defs`)."""
    found = model.model_json_schema()
    defs = found.pop("$defs", {})

    def expand(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return expand(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {k: expand(v) for k, v in node.items()}
        if isinstance(node, list):
            return [expand(v) for v in node]
        return node

    return expand(found)


@router.post(
    "/receipts/batches/{root}",
    summary="Publish a batch's access receipts (the agency that anchored it)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _inline(PublishRequest)}},
        }
    },
    responses={
        **NEEDS_TOKEN,
        403: {"description": "Not the account that anchored this batch"},
        404: {"description": "No indexed batch has this root"},
        409: {"description": "Published concurrently by another request: send again"},
        **TOO_LARGE,
        415: {"description": "Not application/json"},
    },
)
async def publish_receipts(
    root: BatchRoot, request: Request, gw: GatewayDep, address: RequiredCaller
) -> PublishAnswer:
    """Store the body's receipts of batch `root` when every one verifies against the root the
    gateway indexed (its proof leads to it; the anchoring agency is a party of its grant; it
    names the grant's subject): all or none, refused with the first receipt that does not.
    For the account that anchored the batch only; idempotent."""
    root = root.lower()
    batch = await run_in_threadpool(_batch, gw, root)
    if str(batch["operator"]).lower() != address:
        raise ApiError(403, "only the account that anchored this batch may publish its receipts")
    body = await _body(request, gw.settings.max_document_bytes)
    try:
        published = PublishRequest.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None
    try:
        return await run_in_threadpool(store_receipts, gw, root, address, published.receipts)
    except IntegrityError:  # the same receipts published at the same moment by another request
        raise ApiError(409, "some of these receipts were being published by another request: "
                            "send them again (what is stored is kept)") from None  # fmt: skip


def _batch(gw: Gateway, root: str) -> dict[str, Any]:
    with gw.engine.connect() as conn:
        batch = queries.receipt_batch(conn, root)
    if batch is None:
        raise ApiError(404, f"no indexed batch has root {root} (not anchored, or not indexed "
                            "yet: try again later)")  # fmt: skip
    return batch


async def _body(request: Request, limit: int) -> bytes:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise ApiError(415, "send the receipts as application/json")
    return await limited_body(
        request, limit, f"the body is larger than {limit} bytes: publish fewer receipts"
    )


def _hex(value: str) -> bytes:
    return bytes.fromhex(value[2:])


def store_receipts(
    gw: Gateway, root: str, address: str, items: list[PublishedReceipt]
) -> PublishAnswer:
    """Store `items` of batch `root` (published by `address`, its operator) when every one
    verifies against the indexed root: all or none (ApiError naming the first that does not)."""
    received: dict[str, tuple[int, Receipt, list[str]]] = {}
    for i, item in enumerate(items):
        try:
            receipt = Receipt(item.grant_id, _hex(item.subject), _hex(item.payload_hash),
                              item.delivered_at)  # fmt: skip
        except InputError as exc:
            raise ApiError(422, f"receipt {i}: {exc}; nothing stored") from None
        leaf = "0x" + receipt.leaf.hex()
        if leaf in received:
            raise ApiError(422, f"receipt {i} repeats receipt {received[leaf][0]}; nothing stored")
        received[leaf] = (i, receipt, [p.lower() for p in item.proof])
    a = schema.access_receipts
    with gw.engine.begin() as conn:  # one transaction: every receipt stored, or none
        batch = queries.receipt_batch(conn, root)
        if batch is None:  # a fork took it away meanwhile
            raise ApiError(404, f"no indexed batch has root {root}")
        grants = queries.grant_parties(conn, {r.grant_id for _, r, _ in received.values()})
        for i, receipt, proof in received.values():
            problem = queries.receipt_problem(receipt, [_hex(p) for p in proof], root, batch,
                                              grants.get(receipt.grant_id))  # fmt: skip
            if problem is not None:
                raise ApiError(422, f"receipt {i} (grant {receipt.grant_id}) refused: "
                                    f"{queries.RECEIPT_PROBLEMS[problem]}; nothing stored")  # fmt: skip
        leaves = list(received)
        known: set[str] = set()
        for start in range(0, len(leaves), 500):
            known |= set(conn.execute(
                select(a.c.leaf).where(a.c.leaf.in_(leaves[start : start + 500]))
            ).scalars())  # fmt: skip
        now = int(time.time())
        rows = [
            {"leaf": leaf, "root": root, "grant_id": r.grant_id,
             "subject": "0x" + r.subject.hex(), "payload_hash": "0x" + r.payload_hash.hex(),
             "delivered_at": r.delivered_at, "proof": json.dumps(proof),
             "published_by": address, "published_at": now}
            for leaf, (_, r, proof) in received.items() if leaf not in known
        ]  # fmt: skip
        if rows:
            conn.execute(insert(a), rows)
    return PublishAnswer(root=root, received=len(received), stored=len(rows),
                         already_stored=len(received) - len(rows))  # fmt: skip
