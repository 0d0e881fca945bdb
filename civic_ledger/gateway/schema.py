"""The gateway's tables (SQLAlchemy Core), one definition for SQLite and PostgreSQL.

Three kinds of table:
- bookkeeping: `gateway_meta` (which chain and deployment this database follows), `cursor`
  (the last indexed block and what the follower saw), `blocks` (hashes of indexed blocks, for
  fork detection; times for the events) and `undo` (how to take back every write of the most
  recent blocks when a fork replaces them);
- `events`: every decoded event of the suite, with its block, transaction and actor (the
  generic audit trail: statistics, dashboards, CSV);
- projections: the state each domain's events build (identities, records, parcels, liens, tax
  years, rounds, applications, payouts, data resources, requests and receipt batches), with
  the block that last wrote each row and the block that created it.

Hashes, ids and addresses are stored as 0x-hex text (lower-case; addresses checksummed),
amounts as decimal text where they may exceed 64 bits (token amounts are uint256), and uint64
times a caller chooses (expiries, deadlines, validities) as `Time64`: capped at 2^63 - 1.

A table is declared as a mapping of column names to types, in column order; a column is NOT
NULL unless declared `_nullable`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.types import TypeEngine

metadata = MetaData()

HASH = String(66)  # 0x + 64 hex
ADDRESS = String(42)
AMOUNT = String(80)  # uint256 as decimal text
ID256 = String(80)  # a uint256 id (parcel, sale, lien, round, application) as decimal text
MAX_INT64 = 2**63 - 1


class Time64(TypeDecorator):
    """A uint64 time or duration a caller chose (an expiry, a deadline, a validity), in a
    signed 64-bit column (SQLite INTEGER, PostgreSQL BIGINT). A value above 2^63 - 1 - a
    caller's "never" such as type(uint64).max, the registry's own - is kept as 2^63 - 1 (the
    year 292 billion): one such record must not stop the indexer, and "never" stays never in
    every comparison. The event's exact arguments stay in `events.args`."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else min(int(value), MAX_INT64)


TIME64 = Time64()

_Type = TypeEngine[Any] | type[TypeEngine[Any]]
#: What a table declares of a column: its type (a NOT NULL column of that type and nothing
#: more), or its type and `Column`'s options (`_key`, `_indexed`, `_nullable`, `_default`).
_ColumnSpec = _Type | tuple[_Type, dict[str, Any]]


def _key(type_: _Type) -> _ColumnSpec:
    return type_, {"primary_key": True}


def _indexed(type_: _Type) -> _ColumnSpec:
    return type_, {"index": True}


def _nullable(type_: _Type) -> _ColumnSpec:
    return type_, {"nullable": True}


def _default(type_: _Type, value: Any) -> _ColumnSpec:
    """A column the code may leave out of an insert: `value` is written instead."""
    return type_, {"default": value}


def _table(name: str, columns: dict[str, _ColumnSpec], *extra: Index) -> Table:
    """The table `name` with `columns` in their order (NOT NULL unless `_nullable`)."""
    made = []
    for column, spec in columns.items():
        type_, options = spec if isinstance(spec, tuple) else (spec, {})
        made.append(Column(column, type_, **{"nullable": False, **options}))
    return Table(name, metadata, *made, *extra)


def _projection(name: str, columns: dict[str, _ColumnSpec]) -> Table:
    """A projection table: state the events build, each row with the `block` that last wrote
    it (a fork takes an update back through the undo log) and the `created_block` whose event
    created it: a fork deletes the rows created after it (`store.rollback`), so an insert needs
    no undo record. `created_block` has no index: a rollback finds those rows through `block`
    (the last writer's block, never older than the creator's)."""
    return _table(name, {**columns, "block": _indexed(BigInteger), "created_block": BigInteger})


#: The primary key of an append-only history: the position of the log that wrote the row (a
#: fork cuts these tables by block number).
_LOG_POSITION: dict[str, _ColumnSpec] = {"block": _key(BigInteger), "log_index": _key(Integer)}


# ------------------------------------------------------------------ bookkeeping

gateway_meta = _table(
    "gateway_meta",
    {
        "key": _key(String(64)),
        "value": Text,
    },
)

cursor = _table(
    "cursor",
    {
        "id": _key(Integer),
        "block": BigInteger,  # last indexed block (-1: none yet)
        "block_hash": _nullable(HASH),
        "block_time": _nullable(BigInteger),
        "head": _nullable(BigInteger),  # the node's head when last polled
        "head_time": _nullable(BigInteger),
        "polled_at": _nullable(BigInteger),  # wall clock of the last poll that reached the node
        "reorgs": _default(Integer, 0),
        # rows in `events` (kept with every chunk: counting a large table per status is slow)
        "events": (BigInteger, {"default": 0, "server_default": "0"}),
        "last_reorg": _nullable(Text),  # one sentence: when, how deep, from which block
        "node_error": _nullable(Text),  # the last failure to reach the node (cleared on success)
    },
)

blocks = _table(
    "blocks",
    {
        "number": _key(BigInteger),
        "hash": HASH,
        "time": BigInteger,
    },
)

undo = _table(
    "undo",
    {
        "id": (Integer, {"primary_key": True, "autoincrement": True}),
        "block": _indexed(BigInteger),
        "table_name": String(64),
        "key": Text,  # JSON of the primary key
        # JSON of the row before the write; NULL: the write inserted it
        "previous": _nullable(Text),
    },
)

# ------------------------------------------------------------------ the audit trail

events = _table(
    "events",
    {
        **_LOG_POSITION,
        "time": BigInteger,
        "tx_hash": HASH,
        "contract": String(64),
        "event": String(64),
        "actor": ADDRESS,
        "ref": String(80),  # the event's first argument: the object's id
        "args": Text,  # JSON
    },
    Index("ix_events_contract_event", "contract", "event"),
    Index("ix_events_contract_ref", "contract", "ref"),
    Index("ix_events_time", "time"),
)

# ------------------------------------------------------------------ identity and records

identities = _projection(
    "identities",
    {
        "subject": _key(HASH),
        "kind": Integer,
        "status": Integer,
        "controller": ADDRESS,
        "registered_at": BigInteger,
    },
)

schemas = _projection(
    "schemas",
    {
        "schema_id": _key(BigInteger),
        "name": Text,
        "field_layout": Text,
        "issuer_role": BigInteger,
        "revocable": Boolean,
        "adverse": Boolean,
        "default_validity": TIME64,
        "dispute_stay": TIME64,
        "active": Boolean,
        "certificate": Boolean,
    },
)

records = _projection(
    "records",
    {
        "record_id": _key(HASH),
        "subject": _indexed(HASH),
        "schema_id": _indexed(BigInteger),
        "issuer": ADDRESS,
        "evidence_hash": HASH,
        "data": Text,  # 0x-hex, one ABI word per schema field
        "issued_at": BigInteger,
        "issued_tx": HASH,
        "expires_at": TIME64,  # 0 = never
        "supersedes": HASH,
        "superseded_by": _nullable(HASH),
        "revoked_at": _default(BigInteger, 0),
        "revoke_code": _nullable(Integer),
        "revoke_reason_hash": _nullable(HASH),
        "revoke_tx": _nullable(HASH),
        "certificate_reason": _default(Integer, 0),  # as the contract keeps it
        "dispute": _default(Integer, 0),  # IRecordRegistry.DisputeStatus
        "stay_until": _default(TIME64, 0),
        "decided_tx": HASH,  # the transaction that last changed its status
    },
)

disputes = _projection(
    "disputes",
    {
        "record_id": _key(HASH),
        "subject": _indexed(HASH),
        "raised_by": ADDRESS,
        "opened_at": BigInteger,
        "evidence_hash": HASH,
        "status": Integer,
        "resolved_by": _nullable(ADDRESS),
        "resolved_at": _nullable(BigInteger),
        "ruling_hash": _nullable(HASH),
    },
)

# ------------------------------------------------------------------ property

parcels = _projection(
    "parcels",
    {
        "parcel_id": _key(ID256),
        "owner": HASH,  # the owner's identity commitment
        "holder": _nullable(ADDRESS),  # the title token's holder (the owner's controller)
        "data_hash": HASH,
        "area": AMOUNT,
        "land_use": BigInteger,
        "registered_at": BigInteger,
        "retired": _default(Boolean, False),  # split or merged away
    },
)

title_history = _table(
    "title_history",
    {
        **_LOG_POSITION,
        "parcel_id": _indexed(ID256),
        "time": BigInteger,
        "tx_hash": HASH,
        "event": String(64),
        "owner": _nullable(HASH),  # the owner after this step
        "detail": Text,  # JSON (sale id, price, parents, children ...)
    },
)

sales = _projection(
    "sales",
    {
        "sale_id": _key(ID256),
        "parcel_id": _indexed(ID256),
        "seller": HASH,
        "buyer": HASH,
        "price": AMOUNT,
        "deed_hash": HASH,
        "status": String(16),
    },
)

liens = _projection(
    "liens",
    {
        "lien_id": _key(ID256),
        "parcel_id": _indexed(ID256),
        "holder": HASH,
        "amount": AMOUNT,
        "status": String(16),
        "by_order": _default(Boolean, False),
        "evidence_hash": _nullable(HASH),
    },
)

tax_years = _projection(
    "tax_years",
    {
        "parcel_id": _key(ID256),
        "year": _key(Integer),
        "amount": AMOUNT,
        "due_date": TIME64,
        "status": String(16),  # assessed | paid | voided
        "paid_at": _nullable(BigInteger),
    },
)

# ------------------------------------------------------------------ fund

rounds = _projection(
    "rounds",
    {
        "round_id": _key(ID256),
        "kind": Integer,
        "name": Text,
        "policy_id": ID256,
        "budget": AMOUNT,
        "funded": AMOUNT,
        "awarded": AMOUNT,
        "paid": AMOUNT,
        "returned": AMOUNT,
        "opens_at": TIME64,
        "closes_at": TIME64,
        "decision_deadline": TIME64,
        "closed": _default(Boolean, False),
    },
)

applications = _projection(
    "applications",
    {
        "app_id": _key(ID256),
        "round_id": _indexed(ID256),
        "subject": _indexed(HASH),
        "amount": AMOUNT,
        "status": String(16),
        "paid": AMOUNT,
    },
)

payouts = _table(
    "payouts",
    {
        **_LOG_POSITION,
        "app_id": _indexed(ID256),
        "round_id": _indexed(ID256),
        "kind": String(16),  # milestone | rent | clawback
        "payee": _nullable(ADDRESS),
        "amount": AMOUNT,
        "time": _indexed(BigInteger),
        "tx_hash": HASH,
    },
)

# ------------------------------------------------------------------ data exchange

data_resources = _projection(
    "data_resources",
    {
        "resource_id": _key(BigInteger),
        "owner_role": BigInteger,
        "sharing": Integer,
        "personal": Boolean,
        "deletion_period": TIME64,
        "mandate_hash": HASH,
        "description_hash": HASH,
        "versions": _default(Integer, 0),
        "retired": _default(Boolean, False),
    },
)

data_requests = _projection(
    "data_requests",
    {
        "request_id": _key(BigInteger),  # a granted request's grant id
        "resource_id": _indexed(BigInteger),
        "recipient_role": BigInteger,
        "subject": _indexed(HASH),  # zero: not about one subject
        "purpose": Integer,
        "basis": Integer,
        "legal_basis_hash": HASH,
        "requested_by": ADDRESS,
        "requested_at": BigInteger,
        "status": String(24),
        "expires_at": _nullable(TIME64),
        "deletion_due": _nullable(TIME64),
        "deletion_overdue": _nullable(Boolean),
    },
)

receipt_batches = _projection(
    "receipt_batches",
    {
        "root": _key(HASH),
        "agency_role": BigInteger,
        "operator": ADDRESS,
        "leaf_count": BigInteger,
        "time": BigInteger,
        "tx_hash": HASH,
    },
)

# ------------------------------------------------------------------ published receipts

#: Access receipts an anchoring agency published to the gateway (`POST /api/v1/receipts/
#: batches/{root}`), each checked against its indexed batch's root when it was stored and
#: again whenever it is shown. Not a projection: written by the API, not by the indexer, and
#: not rolled back by a fork (a receipt whose batch a fork removed shows as unverified). No
#: personal data: a grant id, the grant's subject commitment, a payload hash, a time and the
#: Merkle proof (JSON list of 0x-hex siblings).
access_receipts = _table(
    "access_receipts",
    {
        "leaf": _key(HASH),
        "root": _indexed(HASH),
        "grant_id": _indexed(BigInteger),
        "subject": _indexed(HASH),
        "payload_hash": HASH,
        "delivered_at": TIME64,
        "proof": Text,
        "published_by": ADDRESS,
        "published_at": BigInteger,
    },
)

#: Tables a fork rolls back through the undo log (every projection; `events`, `blocks` and the
#: append-only histories are cut by block number instead).
BY_BLOCK = (events, blocks, title_history, payouts)
PROJECTIONS = (
    identities, schemas, records, disputes, parcels, sales, liens, tax_years, rounds,
    applications, data_resources, data_requests, receipt_batches,
)  # fmt: skip
