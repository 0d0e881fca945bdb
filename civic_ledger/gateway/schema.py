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


def _block() -> Column:
    return Column("block", BigInteger, nullable=False, index=True)


def _created_block() -> Column:
    """The block whose event created the row: a fork deletes the rows created after it
    (`store.rollback`), so an insert needs no undo record. No index: a rollback finds them
    through `block` (the last writer's block, never older than the creator's)."""
    return Column("created_block", BigInteger, nullable=False)


def _projection(name: str, *columns: Column) -> Table:
    """A projection table: state the events build, each row with the `block` that last wrote
    it (a fork takes an update back through the undo log) and the block that created it (a
    fork deletes the rows created after it)."""
    return Table(name, metadata, *columns, _block(), _created_block())


def _log_position() -> tuple[Column, Column]:
    """The primary key of an append-only history: the position of the log that wrote the row
    (a fork cuts these tables by block number)."""
    return (
        Column("block", BigInteger, primary_key=True),
        Column("log_index", Integer, primary_key=True),
    )


# ------------------------------------------------------------------ bookkeeping

gateway_meta = Table(
    "gateway_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

cursor = Table(
    "cursor",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("block", BigInteger, nullable=False),  # last indexed block (-1: none yet)
    Column("block_hash", HASH),
    Column("block_time", BigInteger),
    Column("head", BigInteger),  # the node's head when last polled
    Column("head_time", BigInteger),
    Column("polled_at", BigInteger),  # wall clock of the last poll that reached the node
    Column("reorgs", Integer, nullable=False, default=0),
    # rows in `events` (kept with every chunk: counting a large table per status is slow)
    Column("events", BigInteger, nullable=False, default=0, server_default="0"),
    Column("last_reorg", Text),  # one sentence: when, how deep, from which block
    Column("node_error", Text),  # the last failure to reach the node (cleared on success)
)

blocks = Table(
    "blocks",
    metadata,
    Column("number", BigInteger, primary_key=True),
    Column("hash", HASH, nullable=False),
    Column("time", BigInteger, nullable=False),
)

undo = Table(
    "undo",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _block(),
    Column("table_name", String(64), nullable=False),
    Column("key", Text, nullable=False),  # JSON of the primary key
    Column("previous", Text),  # JSON of the row before the write; NULL: the write inserted it
)

# ------------------------------------------------------------------ the audit trail

events = Table(
    "events",
    metadata,
    *_log_position(),
    Column("time", BigInteger, nullable=False),
    Column("tx_hash", HASH, nullable=False),
    Column("contract", String(64), nullable=False),
    Column("event", String(64), nullable=False),
    Column("actor", ADDRESS, nullable=False),
    Column("ref", String(80), nullable=False),  # the event's first argument: the object's id
    Column("args", Text, nullable=False),  # JSON
    Index("ix_events_contract_event", "contract", "event"),
    Index("ix_events_contract_ref", "contract", "ref"),
    Index("ix_events_time", "time"),
)

# ------------------------------------------------------------------ identity and records

identities = _projection(
    "identities",
    Column("subject", HASH, primary_key=True),
    Column("kind", Integer, nullable=False),
    Column("status", Integer, nullable=False),
    Column("controller", ADDRESS, nullable=False),
    Column("registered_at", BigInteger, nullable=False),
)

schemas = _projection(
    "schemas",
    Column("schema_id", BigInteger, primary_key=True),
    Column("name", Text, nullable=False),
    Column("field_layout", Text, nullable=False),
    Column("issuer_role", BigInteger, nullable=False),
    Column("revocable", Boolean, nullable=False),
    Column("adverse", Boolean, nullable=False),
    Column("default_validity", TIME64, nullable=False),
    Column("dispute_stay", TIME64, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("certificate", Boolean, nullable=False),
)

records = _projection(
    "records",
    Column("record_id", HASH, primary_key=True),
    Column("subject", HASH, nullable=False, index=True),
    Column("schema_id", BigInteger, nullable=False, index=True),
    Column("issuer", ADDRESS, nullable=False),
    Column("evidence_hash", HASH, nullable=False),
    Column("data", Text, nullable=False),  # 0x-hex, one ABI word per schema field
    Column("issued_at", BigInteger, nullable=False),
    Column("issued_tx", HASH, nullable=False),
    Column("expires_at", TIME64, nullable=False),  # 0 = never
    Column("supersedes", HASH, nullable=False),
    Column("superseded_by", HASH),
    Column("revoked_at", BigInteger, nullable=False, default=0),
    Column("revoke_code", Integer),
    Column("revoke_reason_hash", HASH),
    Column("revoke_tx", HASH),
    Column("certificate_reason", Integer, nullable=False, default=0),  # as the contract keeps it
    Column("dispute", Integer, nullable=False, default=0),  # IRecordRegistry.DisputeStatus
    Column("stay_until", TIME64, nullable=False, default=0),
    Column("decided_tx", HASH, nullable=False),  # the transaction that last changed its status
)

disputes = _projection(
    "disputes",
    Column("record_id", HASH, primary_key=True),
    Column("subject", HASH, nullable=False, index=True),
    Column("raised_by", ADDRESS, nullable=False),
    Column("opened_at", BigInteger, nullable=False),
    Column("evidence_hash", HASH, nullable=False),
    Column("status", Integer, nullable=False),
    Column("resolved_by", ADDRESS),
    Column("resolved_at", BigInteger),
    Column("ruling_hash", HASH),
)

# ------------------------------------------------------------------ property

parcels = _projection(
    "parcels",
    Column("parcel_id", ID256, primary_key=True),
    Column("owner", HASH, nullable=False),  # the owner's identity commitment
    Column("holder", ADDRESS),  # the title token's holder (the owner's controller)
    Column("data_hash", HASH, nullable=False),
    Column("area", AMOUNT, nullable=False),
    Column("land_use", BigInteger, nullable=False),
    Column("registered_at", BigInteger, nullable=False),
    Column("retired", Boolean, nullable=False, default=False),  # split or merged away
)

title_history = Table(
    "title_history",
    metadata,
    *_log_position(),
    Column("parcel_id", ID256, nullable=False, index=True),
    Column("time", BigInteger, nullable=False),
    Column("tx_hash", HASH, nullable=False),
    Column("event", String(64), nullable=False),
    Column("owner", HASH),  # the owner after this step
    Column("detail", Text, nullable=False),  # JSON (sale id, price, parents, children ...)
)

sales = _projection(
    "sales",
    Column("sale_id", ID256, primary_key=True),
    Column("parcel_id", ID256, nullable=False, index=True),
    Column("seller", HASH, nullable=False),
    Column("buyer", HASH, nullable=False),
    Column("price", AMOUNT, nullable=False),
    Column("deed_hash", HASH, nullable=False),
    Column("status", String(16), nullable=False),
)

liens = _projection(
    "liens",
    Column("lien_id", ID256, primary_key=True),
    Column("parcel_id", ID256, nullable=False, index=True),
    Column("holder", HASH, nullable=False),
    Column("amount", AMOUNT, nullable=False),
    Column("status", String(16), nullable=False),
    Column("by_order", Boolean, nullable=False, default=False),
    Column("evidence_hash", HASH),
)

tax_years = _projection(
    "tax_years",
    Column("parcel_id", ID256, primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("amount", AMOUNT, nullable=False),
    Column("due_date", TIME64, nullable=False),
    Column("status", String(16), nullable=False),  # assessed | paid | voided
    Column("paid_at", BigInteger),
)

# ------------------------------------------------------------------ fund

rounds = _projection(
    "rounds",
    Column("round_id", ID256, primary_key=True),
    Column("kind", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("policy_id", ID256, nullable=False),
    Column("budget", AMOUNT, nullable=False),
    Column("funded", AMOUNT, nullable=False),
    Column("awarded", AMOUNT, nullable=False),
    Column("paid", AMOUNT, nullable=False),
    Column("returned", AMOUNT, nullable=False),
    Column("opens_at", TIME64, nullable=False),
    Column("closes_at", TIME64, nullable=False),
    Column("decision_deadline", TIME64, nullable=False),
    Column("closed", Boolean, nullable=False, default=False),
)

applications = _projection(
    "applications",
    Column("app_id", ID256, primary_key=True),
    Column("round_id", ID256, nullable=False, index=True),
    Column("subject", HASH, nullable=False, index=True),
    Column("amount", AMOUNT, nullable=False),
    Column("status", String(16), nullable=False),
    Column("paid", AMOUNT, nullable=False),
)

payouts = Table(
    "payouts",
    metadata,
    *_log_position(),
    Column("app_id", ID256, nullable=False, index=True),
    Column("round_id", ID256, nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # milestone | rent | clawback
    Column("payee", ADDRESS),
    Column("amount", AMOUNT, nullable=False),
    Column("time", BigInteger, nullable=False, index=True),
    Column("tx_hash", HASH, nullable=False),
)

# ------------------------------------------------------------------ data exchange

data_resources = _projection(
    "data_resources",
    Column("resource_id", BigInteger, primary_key=True),
    Column("owner_role", BigInteger, nullable=False),
    Column("sharing", Integer, nullable=False),
    Column("personal", Boolean, nullable=False),
    Column("deletion_period", TIME64, nullable=False),
    Column("mandate_hash", HASH, nullable=False),
    Column("description_hash", HASH, nullable=False),
    Column("versions", Integer, nullable=False, default=0),
    Column("retired", Boolean, nullable=False, default=False),
)

data_requests = _projection(
    "data_requests",
    Column("request_id", BigInteger, primary_key=True),  # a granted request's grant id
    Column("resource_id", BigInteger, nullable=False, index=True),
    Column("recipient_role", BigInteger, nullable=False),
    Column("subject", HASH, nullable=False, index=True),  # zero: not about one subject
    Column("purpose", Integer, nullable=False),
    Column("basis", Integer, nullable=False),
    Column("legal_basis_hash", HASH, nullable=False),
    Column("requested_by", ADDRESS, nullable=False),
    Column("requested_at", BigInteger, nullable=False),
    Column("status", String(24), nullable=False),
    Column("expires_at", TIME64),
    Column("deletion_due", TIME64),
    Column("deletion_overdue", Boolean),
)

receipt_batches = _projection(
    "receipt_batches",
    Column("root", HASH, primary_key=True),
    Column("agency_role", BigInteger, nullable=False),
    Column("operator", ADDRESS, nullable=False),
    Column("leaf_count", BigInteger, nullable=False),
    Column("time", BigInteger, nullable=False),
    Column("tx_hash", HASH, nullable=False),
)

# ------------------------------------------------------------------ published receipts

#: Access receipts an anchoring agency published to the gateway (`POST /api/v1/receipts/
#: batches/{root}`), each checked against its indexed batch's root when it was stored and
#: again whenever it is shown. Not a projection: written by the API, not by the indexer, and
#: not rolled back by a fork (a receipt whose batch a fork removed shows as unverified). No
#: personal data: a grant id, the grant's subject commitment, a payload hash, a time and the
#: Merkle proof (JSON list of 0x-hex siblings).
access_receipts = Table(
    "access_receipts",
    metadata,
    Column("leaf", HASH, primary_key=True),
    Column("root", HASH, nullable=False, index=True),
    Column("grant_id", BigInteger, nullable=False, index=True),
    Column("subject", HASH, nullable=False, index=True),
    Column("payload_hash", HASH, nullable=False),
    Column("delivered_at", TIME64, nullable=False),
    Column("proof", Text, nullable=False),
    Column("published_by", ADDRESS, nullable=False),
    Column("published_at", BigInteger, nullable=False),
)

#: Tables a fork rolls back through the undo log (every projection; `events`, `blocks` and the
#: append-only histories are cut by block number instead).
BY_BLOCK = (events, blocks, title_history, payouts)
PROJECTIONS = (
    identities, schemas, records, disputes, parcels, sales, liens, tax_years, rounds,
    applications, data_resources, data_requests, receipt_batches,
)  # fmt: skip
