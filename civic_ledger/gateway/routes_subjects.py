"""A subject's own views, behind a signed challenge: the subject's controller wallet signs a
one-time challenge and gets a bearer token; with it, the subject's records and disputes.

Nothing lists subjects, and a commitment the index does not know is refused exactly like a
commitment someone else controls (403, same sentence), so the API cannot be used to learn
which commitments exist."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from civic_ledger.core.exceptions import ApiError, AuthError
from civic_ledger.gateway import queries
from civic_ledger.gateway.web import (
    NEEDS_TOKEN,
    Commitment,
    Conn,
    GatewayDep,
    RequiredCaller,
    answer,
    api_router,
)

router = api_router()

NOT_YOURS = "this token's address is not the controller of that subject"


class ChallengeRequest(BaseModel):
    address: str = Field(description="The wallet that will sign (0x + 40 hex digits)")


class ChallengeAnswer(BaseModel):
    challenge: str = Field(description="The text to sign with personal_sign (EIP-191)")
    expires_at: int


class SessionRequest(BaseModel):
    address: str = Field(description="The wallet that signed")
    signature: str = Field(description="personal_sign of the challenge text (0x + 130 hex)")


class SessionAnswer(BaseModel):
    token: str = Field(description="Send as `Authorization: Bearer <token>`")
    address: str
    expires_at: int


@router.post("/auth/challenge", tags=["auth"], summary="A challenge to sign")
def challenge(body: ChallengeRequest, gw: GatewayDep) -> ChallengeAnswer:
    """A one-time text naming this gateway, the chain, a nonce and an expiry, for the wallet
    to sign; each challenge is accepted once, before it expires."""
    try:
        found = gw.auth.challenge(body.address)
    except AuthError as exc:
        raise ApiError(422, str(exc)) from None
    return ChallengeAnswer(challenge=found.text, expires_at=found.expires_at)


@router.post(
    "/auth/session",
    tags=["auth"],
    summary="A token for a signed challenge",
    responses={401: {"description": "Signature refused"}},
)
def session(body: SessionRequest, gw: GatewayDep) -> SessionAnswer:
    """A bearer token for `address` when `signature` is its signature of a pending challenge
    (which is spent: a signature is good for one session)."""
    try:
        token, expires = gw.auth.session(body.address, body.signature)
    except AuthError as exc:
        raise ApiError(401, str(exc)) from None
    return SessionAnswer(token=token, address=body.address.lower(), expires_at=expires)


def _own(conn: Any, commitment: str, address: str) -> str:
    subject = commitment.lower()
    controller = queries.controller_of(conn, subject)
    if controller is None or controller.lower() != address:
        raise ApiError(403, NOT_YOURS)
    return subject


SUBJECT_ONLY: dict[int | str, dict[str, Any]] = {
    **NEEDS_TOKEN,
    403: {"description": NOT_YOURS},
}


def _subject_view(path: str, summary: str) -> Any:
    return router.get(f"/subjects/{{commitment}}/{path}", tags=["subjects"], summary=summary,
                      responses=SUBJECT_ONLY)  # fmt: skip


@_subject_view("records", "My records")
def subject_records(commitment: Commitment, conn: Conn, address: RequiredCaller) -> dict[str, Any]:
    """Every record about the subject, with its standing: for the subject's controller only."""
    subject = _own(conn, commitment, address)
    at = queries.as_of(conn)
    return answer(
        at, subject=subject, records=queries.subject_records(conn, subject, at.block_time)
    )


@_subject_view("disputes", "My disputes")
def subject_disputes(commitment: Commitment, conn: Conn, address: RequiredCaller) -> dict[str, Any]:
    """The subject's disputes and how they were decided: for the subject's controller only."""
    subject = _own(conn, commitment, address)
    at = queries.as_of(conn)
    return answer(at, subject=subject, disputes=queries.subject_disputes(conn, subject))


@_subject_view("access", "Who asked for my data")
def subject_access(commitment: Commitment, conn: Conn, address: RequiredCaller) -> dict[str, Any]:
    """Every data-exchange request naming the subject: which agency (role) asked for which
    resource, for what purpose and on which basis, whether it was granted, revoked or deleted,
    and the receipt batches anchored by the agencies party to it (a receipt about the subject
    verifies against one of those roots). For the subject's controller only."""
    subject = _own(conn, commitment, address)
    at = queries.as_of(conn)
    return answer(at, subject=subject, requests=queries.subject_data_requests(conn, subject))


@_subject_view("receipts", "Every access receipt about me, verified")
def subject_receipts(commitment: Commitment, conn: Conn, address: RequiredCaller) -> dict[str, Any]:
    """Every access receipt about the subject that the anchoring agencies published to this
    gateway: the grant it was delivered under (recipient and owner roles, resource, purpose),
    when, the payload's hash, its batch (root, block, transaction) and its verification,
    recomputed from the receipt and its Merkle proof against the root indexed from the chain.
    For the subject's controller only."""
    subject = _own(conn, commitment, address)
    at = queries.as_of(conn)
    return answer(at, subject=subject, receipts=queries.subject_receipts(conn, subject))
