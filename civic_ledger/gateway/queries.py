"""The read API's questions about identity and records, answered from the index (SQL only,
no HTTP): where the index stands (`as_of`), a record's standing by `isValid`'s rules, a
certificate verified by `verifyCertificate`'s rules, a subject's records and disputes, and
which records a document belongs to.

Every rule that reads the time reads the indexed head block's time: what `block.timestamp` is
in a view called at that block, so an answer is the contract's answer at `as_of.block`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, true

from civic_ledger.core.exceptions import NotIndexed
from civic_ledger.core.times import iso_utc
from civic_ledger.gateway import schema

ZERO32 = "0x" + "00" * 32
CERTIFICATE_STATUS = ("unknown", "valid", "revoked", "expired", "disputed")
DISPUTE_STATUS = ("none", "open", "upheld", "overturned", "withdrawn")
REVOCATION_REASON = {
    1: "issued in error",
    2: "remedied",
    3: "superseded",
    4: "overturned",
    5: "other",
}
OPEN = DISPUTE_STATUS.index("open")  # IRecordRegistry.DisputeStatus.Open


@dataclass(frozen=True)
class AsOf:
    """Where the index stands: the block every answer is computed at, and how old it is."""

    block: int
    block_time: int
    head: int | None
    lag_blocks: int | None
    lag_seconds: int | None
    polled_at: int | None

    def json(self, now: float | None = None) -> dict[str, Any]:
        wall = time.time() if now is None else now
        return {
            "block": self.block,
            "block_time": self.block_time,
            "block_time_utc": utc(self.block_time),
            "head": self.head,
            "lag_blocks": self.lag_blocks,
            "lag_seconds": self.lag_seconds,
            "polled_seconds_ago": None
            if self.polled_at is None
            else max(0, int(wall) - self.polled_at),
        }


def columns(row: Mapping[str, Any], *names: str) -> dict[str, Any]:
    """The row's values of `names`, under the same names (the JSON fields that are columns)."""
    return {name: row[name] for name in names}


def utc(timestamp: int | None) -> str | None:
    """A chain time as ISO 8601 UTC (None for no time)."""
    if not timestamp:
        return None
    return iso_utc(timestamp)


_CURSOR = select(schema.cursor)


def as_of(conn: Connection) -> AsOf:
    """The cursor: the last indexed block and its time, the head when last polled."""
    return as_of_row(conn.execute(_CURSOR).mappings().first())


def as_of_row(row: Mapping[str, Any] | None, prefix: str = "") -> AsOf:
    """`as_of` from a row holding the cursor's columns (named `prefix` + column)."""
    if row is None or row[prefix + "block"] < 0 or row[prefix + "block_time"] is None:
        raise NotIndexed("the gateway has not indexed any block yet")
    head, block = row[prefix + "head"], row[prefix + "block"]
    block_time, head_time = row[prefix + "block_time"], row[prefix + "head_time"]
    return AsOf(
        block=block,
        block_time=block_time,
        head=head,
        lag_blocks=None if head is None else max(0, head - block),
        lag_seconds=None if head_time is None else max(0, head_time - block_time),
        polled_at=row[prefix + "polled_at"],
    )


def chain_id(conn: Connection) -> int:
    value = conn.execute(
        select(schema.gateway_meta.c.value).where(schema.gateway_meta.c.key == "chain_id")
    ).scalar()
    return int(value or 0)


# ------------------------------------------------------------------ records


# Built once: the verify path runs these on every request.
_RECORD = (
    select(schema.records, schema.schemas.c.name.label("schema_name"),
           schema.schemas.c.certificate, schema.schemas.c.adverse)
    .join(schema.schemas, schema.schemas.c.schema_id == schema.records.c.schema_id, isouter=True)
    .where(schema.records.c.record_id == bindparam("record_id"))
)  # fmt: skip


def _record(conn: Connection, record_id: str) -> Mapping[str, Any] | None:
    return conn.execute(_RECORD, {"record_id": record_id}).mappings().first()


def standing(row: Mapping[str, Any], now: int) -> dict[str, Any]:
    """`isValid` of a stored record at time `now`, with the reasons it is not valid."""
    reasons: list[str] = []
    if row["revoked_at"]:
        code = row["revoke_code"] or 0
        reasons.append(f"revoked ({REVOCATION_REASON.get(code, f'reason code {code}')})")
    if now < row["stay_until"]:
        reasons.append(f"suspended by a dispute stay until {utc(row['stay_until'])}")
    if row["expires_at"] and now >= row["expires_at"]:
        reasons.append(f"expired at {utc(row['expires_at'])}")
    return {"valid": not reasons, "reasons": reasons}


def _record_json(row: Mapping[str, Any], now: int) -> dict[str, Any]:
    return {
        "record_id": row["record_id"],
        **standing(row, now),
        "schema": {
            "id": row["schema_id"],
            "name": row["schema_name"],
            "certificate": bool(row["certificate"]),
            "adverse": bool(row["adverse"]),
        },
        **columns(row, "issuer", "evidence_hash", "issued_at", "issued_tx"),
        "expires_at": row["expires_at"] or None,
        "revoked_at": row["revoked_at"] or None,
        "revocation_code": row["revoke_code"],
        "revocation_reason_hash": row["revoke_reason_hash"],
        "revoke_tx": row["revoke_tx"],
        "supersedes": None if row["supersedes"] == ZERO32 else row["supersedes"],
        "superseded_by": row["superseded_by"],
        "dispute": DISPUTE_STATUS[row["dispute"]]
        if row["dispute"] < len(DISPUTE_STATUS)
        else str(row["dispute"]),
        "stay_until": row["stay_until"] or None,
        "decided_tx": row["decided_tx"],
    }


def record(conn: Connection, record_id: str, now: int) -> dict[str, Any] | None:
    """One record: its standing by `isValid`'s rules, schema, issuer, dispute, and its history
    (the registry's events about it, oldest first). None for an unknown id."""
    row = _record(conn, record_id)
    if row is None:
        return None
    e, d = schema.events, schema.disputes
    history = conn.execute(
        select(e.c.block, e.c.time, e.c.tx_hash, e.c.event, e.c.actor)
        .where(e.c.contract == "RecordRegistry", e.c.ref == record_id)
        .order_by(e.c.block, e.c.log_index)
    ).mappings()
    # the subject acts through its controller's wallet: shown as "subject", not the address
    subject_wallets = {
        a.lower()
        for a in (
            controller_of(conn, row["subject"]),
            conn.execute(select(d.c.raised_by).where(d.c.record_id == record_id)).scalar(),
        )
        if a
    }
    return {
        **_record_json(row, now),
        "history": [
            {
                **h,
                "time_utc": utc(h["time"]),
                "actor": "subject" if h["actor"].lower() in subject_wallets else h["actor"],
            }
            for h in history
        ],
    }


def verify(conn: Connection, record_id: str, document: str, now: int) -> dict[str, Any]:
    """`verifyCertificate(record_id, document)` at time `now`: Unknown (and nothing else) unless
    the record's schema is a certificate and `document` is its evidence hash; then Revoked
    (with the code the contract kept), Expired, Disputed or Valid, with the record's issuer,
    schema, times and the transaction that decided the status."""
    return certificate_status(_record(conn, record_id), document, now)


# The cursor and the record in one statement (one round trip, consistent by itself), with only
# the columns `as_of_row` and `certificate_status` read: on the API's busiest route every column
# costs its share of result processing.
_AS_OF_COLUMNS = ("block", "block_time", "head", "head_time", "polled_at")
_CERTIFICATE_COLUMNS = ("record_id", "evidence_hash", "revoked_at", "certificate_reason",
                        "expires_at", "dispute", "issuer", "schema_id", "issued_at", "decided_tx")  # fmt: skip
_CERTIFICATE = (
    select(*(schema.records.c[name] for name in _CERTIFICATE_COLUMNS),
           schema.schemas.c.name.label("schema_name"), schema.schemas.c.certificate)
    .join(schema.schemas, schema.schemas.c.schema_id == schema.records.c.schema_id, isouter=True)
    .where(schema.records.c.record_id == bindparam("record_id"))
).subquery()  # fmt: skip
#: `verify`'s one statement (parameter `record_id`): one row, the record's columns NULL when
#: there is no such record. Run by `web.read_first` (on PostgreSQL through `async_reads`).
VERIFY = select(
    *(schema.cursor.c[name].label(f"cursor_{name}") for name in _AS_OF_COLUMNS), _CERTIFICATE
).select_from(schema.cursor.outerjoin(_CERTIFICATE, true()))


def verify_answer(row: Mapping[str, Any] | None, document: str) -> tuple[AsOf, dict[str, Any]]:
    """Where the index stands and `verify` at its block's time, from `VERIFY`'s row."""
    at = as_of_row(row, "cursor_")
    assert row is not None
    found = row if row["record_id"] is not None else None
    return at, certificate_status(found, document, at.block_time)


def certificate_status(row: Mapping[str, Any] | None, document: str, now: int) -> dict[str, Any]:
    """`verify` of a stored record row (None: no such record)."""
    known = (
        row is not None
        and row["evidence_hash"] == document
        and document != ZERO32
        and bool(row["certificate"])
    )
    if not known:
        return {
            "status": "unknown",
            "status_code": 0,
            "reason_code": 0,
            "issuer": None,
            "schema_id": 0,
            "expires_at": 0,
        }
    assert row is not None
    reason = 0
    if row["revoked_at"]:
        code, reason = 2, row["certificate_reason"]
    elif row["expires_at"] and now >= row["expires_at"]:
        code = 3
    elif row["dispute"] == OPEN:
        code = 4
    else:
        code = 1
    return {
        "status": CERTIFICATE_STATUS[code],
        "status_code": code,
        "reason_code": reason,
        **columns(
            row, "issuer", "schema_id", "expires_at", "schema_name", "issued_at", "decided_tx"
        ),
    }


# ------------------------------------------------------------------ subjects


def controller_of(conn: Connection, subject: str) -> str | None:
    i = schema.identities
    return conn.execute(select(i.c.controller).where(i.c.subject == subject)).scalar()


def subject_records(conn: Connection, subject: str, now: int) -> list[dict[str, Any]]:
    r, s = schema.records, schema.schemas
    rows = conn.execute(
        select(r, s.c.name.label("schema_name"), s.c.certificate, s.c.adverse)
        .join(s, s.c.schema_id == r.c.schema_id, isouter=True)
        .where(r.c.subject == subject)
        .order_by(r.c.issued_at, r.c.record_id)
    ).mappings()
    return [_record_json(row, now) for row in rows]


def subject_disputes(conn: Connection, subject: str) -> list[dict[str, Any]]:
    d = schema.disputes
    rows = conn.execute(select(d).where(d.c.subject == subject).order_by(d.c.opened_at))
    out = []
    for row in rows.mappings():
        item = {k: v for k, v in row.items() if k not in ("block", "subject")}
        item["status"] = DISPUTE_STATUS[row["status"]] if row["status"] < 5 else row["status"]
        out.append(item)
    return out


# ------------------------------------------------------------------ documents


@dataclass(frozen=True)
class DocumentOwners:
    """Who may see a document: the records whose evidence it is."""

    issuers: frozenset[str]
    controllers: frozenset[str]
    public: bool  # evidence of a certificate: anyone may read it


def document_owners(conn: Connection, document: str) -> DocumentOwners | None:
    """The issuers and subjects' controllers of the records with evidence hash `document`, and
    whether one of them is a certificate; None when no indexed record names it."""
    r, s, i = schema.records, schema.schemas, schema.identities
    rows = conn.execute(
        select(r.c.issuer, i.c.controller, s.c.certificate)
        .join(s, s.c.schema_id == r.c.schema_id, isouter=True)
        .join(i, i.c.subject == r.c.subject, isouter=True)
        .where(r.c.evidence_hash == document)
    ).all()
    if not rows or document == ZERO32:
        return None
    return DocumentOwners(
        issuers=frozenset(row[0].lower() for row in rows),
        controllers=frozenset(row[1].lower() for row in rows if row[1]),
        public=any(bool(row[2]) for row in rows),
    )


def subjects_of(conn: Connection, controller: str) -> list[str]:
    """The subjects whose controller is the address `controller` (any case)."""
    i = schema.identities
    rows = conn.execute(
        select(i.c.subject).where(func.lower(i.c.controller) == controller.lower())
    ).scalars()
    return sorted(rows)


def subject_data_requests(conn: Connection, subject: str) -> list[dict[str, Any]]:
    """The data exchange's requests and grants naming `subject` (oldest first), each with the
    resource's owner role, and the receipt batches anchored by an agency party to them (their
    Merkle roots: a receipt about the subject verifies against one of them)."""
    q, res, b = schema.data_requests, schema.data_resources, schema.receipt_batches
    rows = conn.execute(
        select(q, res.c.owner_role)
        .join(res, res.c.resource_id == q.c.resource_id, isouter=True)
        .where(q.c.subject == subject)
        .order_by(q.c.requested_at, q.c.request_id)
    ).mappings()
    requests = [dict(row) for row in rows]
    parties = {r["recipient_role"] for r in requests} | {r["owner_role"] for r in requests}
    batches = [
        dict(x)
        for x in conn.execute(
            select(b).where(b.c.agency_role.in_(parties - {None})).order_by(b.c.time)
        ).mappings()
    ]
    return [
        {
            **r,
            "batches": [
                x for x in batches if x["agency_role"] in (r["recipient_role"], r["owner_role"])
            ],
        }
        for r in requests
    ]


# ------------------------------------------------------------------ published access receipts

#: Why a published receipt does not verify (the API's `problem`; the portal words each).
RECEIPT_PROBLEMS = {
    "batch": "its batch is not anchored on the indexed chain",
    "proof": "its proof does not lead to the batch's root",
    "grant": "its grant is not indexed",
    "subject": "its subject is not the grant's subject",
    "party": "the anchoring agency is not a party of its grant",
}


def receipt_batch(conn: Connection, root: str) -> dict[str, Any] | None:
    """The indexed batch anchored with Merkle root `root` (None: not anchored, or not yet
    indexed)."""
    b = schema.receipt_batches
    row = conn.execute(select(b).where(b.c.root == root)).mappings().first()
    return dict(row) if row else None


def grant_parties(conn: Connection, grant_ids: set[int]) -> dict[int, dict[str, Any]]:
    """grant id -> its subject, recipient role, resource and the resource's owner role."""
    q, res = schema.data_requests, schema.data_resources
    rows = conn.execute(
        select(q.c.request_id, q.c.subject, q.c.recipient_role, q.c.resource_id, q.c.purpose,
               q.c.basis, res.c.owner_role)
        .join(res, res.c.resource_id == q.c.resource_id, isouter=True)
        .where(q.c.request_id.in_(sorted(grant_ids)))
    ).mappings()  # fmt: skip
    return {row["request_id"]: dict(row) for row in rows}


def receipt_problem(
    receipt: Any,
    proof: list[bytes],
    root: str,
    batch: Mapping[str, Any] | None,
    grant: Mapping[str, Any] | None,
) -> str | None:
    """None when `receipt` (a `data.receipts.Receipt`) verifies against the indexed batch
    `batch` of `root` - the proof leads to the anchored root (`receipts.proves`, the contract's
    `verifyReceipt` off chain), and the anchoring agency is a party of the indexed grant whose
    subject the receipt names - else the key of `RECEIPT_PROBLEMS` saying why not."""
    from civic_ledger.data.receipts import proves

    if batch is None:
        return "batch"
    if not proves(receipt, proof, bytes.fromhex(root[2:])):
        return "proof"
    if grant is None:
        return "grant"
    if grant["subject"] != "0x" + bytes(receipt.subject).hex():
        return "subject"
    if batch["agency_role"] not in (grant["recipient_role"], grant["owner_role"]):
        return "party"
    return None


def subject_receipts(conn: Connection, subject: str) -> list[dict[str, Any]]:
    """Every published access receipt about `subject` (oldest delivery first), each with its
    grant (recipient, resource, purpose), its batch (root, block, transaction) and whether it
    verifies now, recomputed from the stored receipt and proof against the indexed root."""
    import json

    from civic_ledger.data.receipts import Receipt

    a = schema.access_receipts
    rows = [
        dict(row)
        for row in conn.execute(
            select(a).where(a.c.subject == subject).order_by(a.c.delivered_at, a.c.leaf)
        ).mappings()
    ]
    grants = grant_parties(conn, {row["grant_id"] for row in rows})
    batches: dict[str, dict[str, Any] | None] = {}
    out = []
    for row in rows:
        root = row["root"]
        if root not in batches:
            batches[root] = receipt_batch(conn, root)
        batch, grant = batches[root], grants.get(row["grant_id"])
        proof = [bytes.fromhex(p[2:]) for p in json.loads(row["proof"])]
        receipt = Receipt(row["grant_id"], bytes.fromhex(row["subject"][2:]),
                          bytes.fromhex(row["payload_hash"][2:]), int(row["delivered_at"]))  # fmt: skip
        problem = receipt_problem(receipt, proof, root, batch, grant)
        out.append({
            **columns(row, "leaf", "grant_id"),
            "resource_id": grant and grant["resource_id"],
            "recipient_role": grant and grant["recipient_role"],
            "owner_role": grant and grant["owner_role"],
            "purpose": grant and grant["purpose"],
            "basis": grant and grant["basis"],
            **columns(row, "payload_hash", "delivered_at"),
            "delivered_at_utc": utc(row["delivered_at"]),
            "root": root,
            "proof": json.loads(row["proof"]),
            "batch": batch and columns(batch, "agency_role", "leaf_count", "block", "time", "tx_hash"),
            "verified": problem is None,
            "problem": problem,
            "verification": (
                f"verified against root {root} anchored in block {batch['block']}"
                if problem is None and batch is not None
                else f"not verified: {RECEIPT_PROBLEMS[problem or 'batch']}"
            ),
        })  # fmt: skip
    return out
