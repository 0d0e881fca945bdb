"""Reads of the RecordRegistry as plain values: schemas, records (their data decoded from the
`RecordIssued` log, the registry stores no copy), a subject's records, disputes and the reasons
behind a policy check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import keccak

from civic_ledger.chain.logs import Log, LogReader, ape_log_reader
from civic_ledger.core.encoding import to_bytes32
from civic_ledger.core.structs import from_struct
from civic_ledger.identity.enums import DisputeStatus
from civic_ledger.identity.layouts import decode_data


@dataclass(frozen=True)
class SchemaView:
    schema_id: int
    name: str
    field_layout: str
    issuer_role: int
    revocable: bool
    adverse: bool
    active: bool
    default_validity: int
    dispute_stay: int


@dataclass(frozen=True)
class DisputeView:
    status: DisputeStatus
    raised_by: str
    opened_at: int
    evidence_hash: bytes
    resolved_by: str
    resolved_at: int
    ruling_hash: bytes


@dataclass(frozen=True)
class RecordView:
    record_id: bytes
    schema: SchemaView
    subject: bytes
    issuer: str
    issued_at: int
    expires_at: int
    revoked_at: int
    stay_until: int
    evidence_hash: bytes
    data: bytes
    supersedes: bytes
    superseded_by: bytes
    dispute: DisputeView
    valid: bool
    checked_at: int = 0  # block time `valid` and `state` refer to
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def state(self) -> str:
        """revoked / expired / stayed (an open dispute suspends it) / disputed (open dispute,
        stay over or none: it counts) / valid, at `checked_at`."""
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.checked_at >= self.expires_at:
            return "expired"
        if self.stay_until > self.checked_at:
            return "stayed"
        return "disputed" if self.dispute.status == DisputeStatus.OPEN else "valid"


def get_schema(registry: Any, schema_id: int) -> SchemaView:
    s = registry.getSchema(schema_id)
    if int(s.issuerRole) == 0:
        raise LookupError(f"schema {schema_id} does not exist")
    return from_struct(SchemaView, s, schema_id=schema_id)


def resolve_schema(registry: Any, name_or_id: str | int) -> int:
    """Schema id from an id or a schema name."""
    if isinstance(name_or_id, int) or str(name_or_id).isdigit():
        return int(name_or_id)
    schema_id = int(registry.schemaIdByName(name_or_id))
    if schema_id == 0:
        raise LookupError(f"no schema named {name_or_id!r}")
    return schema_id


# RecordIssued(bytes32 indexed recordId, bytes32 indexed subject, address indexed operator,
#   uint64 schemaId, address issuer, bytes32 evidenceHash, uint64 expiresAt, bytes32 supersedes,
#   bytes data): the data (typed, checked on chain against the schema) is logged, not stored.
RECORD_ISSUED_TOPIC = keccak(
    text="RecordIssued(bytes32,bytes32,address,uint64,address,bytes32,uint64,bytes32,bytes)"
)
_RECORD_ISSUED_DATA = ["uint64", "address", "bytes32", "uint64", "bytes32", "bytes"]


def _issued_logs(
    registry: Any,
    *,
    record_id: bytes | None = None,
    subject: bytes | None = None,
    logs: LogReader | None = None,
) -> list[Log]:
    """`RecordIssued` logs of `registry`, oldest first, by record id and/or subject topic
    (through the one log reader, `logs` or one on Ape's provider: nodes answer topic filters
    from their bloom index, in chunks the node accepts)."""
    topics: list[Any] = [
        "0x" + RECORD_ISSUED_TOPIC.hex(),
        "0x" + record_id.hex() if record_id else None,
        "0x" + subject.hex() if subject else None,
    ]
    return (logs or ape_log_reader()).logs([registry.address], topics)


def issued_data(registry: Any, record_id: bytes | str, *, logs: LogReader | None = None) -> bytes:
    """The data of a record, read from its `RecordIssued` event (the registry checked it
    against the schema's layout on issuance; it stores no copy)."""
    rid = to_bytes32(record_id)
    issued = _issued_logs(registry, record_id=rid, logs=logs)
    if not issued:
        raise LookupError(f"no RecordIssued event for record 0x{rid.hex()}")
    values = abi_decode(_RECORD_ISSUED_DATA, issued[-1].data)
    return bytes(values[5])


@dataclass(frozen=True)
class IssuedRecord:
    """A record as its `RecordIssued` event tells it (what was issued, not its state now)."""

    record_id: bytes
    schema_id: int
    issuer: str
    evidence_hash: bytes
    expires_at: int
    supersedes: bytes
    data: bytes


def issued_records(
    registry: Any, subject: bytes, *, logs: LogReader | None = None
) -> list[IssuedRecord]:
    """Every record ever issued about `subject`, oldest first, from its `RecordIssued`
    events."""
    from eth_utils import to_checksum_address

    issued = []
    for log in _issued_logs(registry, subject=to_bytes32(subject), logs=logs):
        schema_id, issuer, evidence, expires, supersedes, data = abi_decode(
            _RECORD_ISSUED_DATA, log.data
        )
        record = IssuedRecord(
            log.topics[1], int(schema_id), to_checksum_address(issuer),
            bytes(evidence), int(expires), bytes(supersedes), bytes(data),
        )  # fmt: skip
        issued.append(record)
    return issued


def get_record(
    registry: Any, record_id: bytes | str, *, logs: LogReader | None = None
) -> RecordView:
    from ape import chain

    rid = to_bytes32(record_id)
    r = registry.getRecord(rid)
    if int(r.issuedAt) == 0:
        raise LookupError(f"record 0x{rid.hex()} does not exist")
    schema = get_schema(registry, int(r.schemaId))
    d = registry.getDispute(rid)
    data = issued_data(registry, rid, logs=logs)
    try:
        fields = decode_data(schema.field_layout, data)
    except Exception:  # data that does not match the layout is shown raw only
        fields = {}
    return from_struct(
        RecordView, r, record_id=rid, schema=schema, data=data,
        dispute=from_struct(DisputeView, d, status=DisputeStatus(int(r.dispute))),
        valid=bool(registry.isValid(rid)), checked_at=int(chain.blocks.head.timestamp),
        fields=fields,
    )  # fmt: skip


def records_of(registry: Any, subject: bytes, *, logs: LogReader | None = None) -> list[bytes]:
    """Every record id ever issued about `subject`, in issue order (from the `RecordIssued`
    events: the registry keeps no per-subject list, only the live set per schema)."""
    return [log.topics[1] for log in _issued_logs(registry, subject=to_bytes32(subject), logs=logs)]


@dataclass(frozen=True)
class PolicyCheck:
    """Why a subject does or does not meet a policy (schema id -> holds a valid record)."""

    policy_id: int
    name: str
    subject_active: bool
    required: dict[int, bool]
    """Each required schema id -> whether the subject holds a valid record of it."""
    disqualifying: dict[int, bool]
    """Each disqualifying schema id -> whether the subject holds a valid record of it."""
    meets: bool

    @property
    def missing(self) -> list[int]:
        return [s for s, ok in self.required.items() if not ok]

    @property
    def disqualified_by(self) -> list[int]:
        return [s for s, present in self.disqualifying.items() if present]


def check_policy(registry: Any, identity: Any, subject: bytes, policy_id: int) -> PolicyCheck:
    """`meetsPolicy` plus the per-schema reasons behind the answer."""
    policy = registry.getPolicy(policy_id)
    if not policy.exists:
        raise LookupError(f"policy {policy_id} is not defined")
    s = to_bytes32(subject)
    required = {int(x): bool(registry.hasValidRecord(s, int(x))) for x in policy.required}
    disqualifying = {int(x): bool(registry.hasValidRecord(s, int(x))) for x in policy.disqualifying}
    return PolicyCheck(
        policy_id=policy_id,
        name=policy.name,
        subject_active=bool(identity.isActive(s)),
        required=required,
        disqualifying=disqualifying,
        meets=bool(registry.meetsPolicy(s, policy_id)),
    )
