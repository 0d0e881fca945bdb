"""Client helpers for the RecordRegistry (the credit platform): build record requests, encode
record data from a schema's field layout (static types only, as the registry enforces), sign
delegated issuance (EIP-712), revoke with a reason code, manage dispute stays, and read records,
disputes and policies back as plain Python values.

Every function takes the deployed contract instance (and, for transactions, the Ape account that
signs) and returns plain values; the click commands in `civic_ledger.cli.identity` are a thin
layer over this module.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address

from civic_ledger.access.roles import role as role_by_name
from civic_ledger.core.encoding import ZERO32, format_time, to_bytes32

DOMAIN_NAME = "CivicLedger RecordRegistry"
DOMAIN_VERSION = "1"
MAX_FIELDS = 16  # RecordRegistry.MAX_FIELDS
MAX_LAYOUT_LENGTH = 256  # RecordRegistry.MAX_STRING_LENGTH
MAX_SIGNATURE_LIFETIME = 30 * 24 * 3600  # RecordRegistry.MAX_SIGNATURE_LIFETIME
MAX_NONCE_STEP = 256  # RecordRegistry.MAX_NONCE_STEP
MAX_DISPUTE_STAY = 90 * 24 * 3600  # RecordRegistry.MAX_DISPUTE_STAY
MAX_DEFAULT_VALIDITY = 100 * 365 * 24 * 3600  # RecordRegistry.MAX_DEFAULT_VALIDITY

ISSUE_RECORD_FIELDS: list[dict[str, str]] = [
    {"name": "schemaId", "type": "uint64"},
    {"name": "subject", "type": "bytes32"},
    {"name": "evidenceHash", "type": "bytes32"},
    {"name": "data", "type": "bytes"},
    {"name": "expiresAt", "type": "uint64"},
    {"name": "supersedes", "type": "bytes32"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]


class DisputeStatus(IntEnum):
    """Mirror of RecordRegistry.DisputeStatus."""

    NONE = 0
    OPEN = 1
    UPHELD = 2
    OVERTURNED = 3
    WITHDRAWN = 4


class RevocationReason(IntEnum):
    """The revocation reason codes of RecordRegistry (its NatSpec rule 3). Issuers use
    ISSUED_IN_ERROR, REMEDIED and OTHER (OTHER needs the reason document's hash); the registry
    itself uses SUPERSEDED (hash = the replacing record's id) and OVERTURNED (hash = the
    arbiter's ruling)."""

    ISSUED_IN_ERROR = 1
    REMEDIED = 2
    SUPERSEDED = 3
    OVERTURNED = 4
    OTHER = 5

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", "-")

    @classmethod
    def parse(cls, text: str | int) -> RevocationReason:
        """A code from its number or name ("error", "remedied", "paid", "other")."""
        value = str(text).strip().lower().replace("_", "-")
        aliases = {
            "error": cls.ISSUED_IN_ERROR,
            "issued-in-error": cls.ISSUED_IN_ERROR,
            "remedied": cls.REMEDIED,
            "paid": cls.REMEDIED,
            "other": cls.OTHER,
        }
        if value in aliases:
            return aliases[value]
        if value.isdigit() and int(value) in ISSUER_REASONS:
            return cls(int(value))
        raise ValueError(
            f"{text!r} is not a revocation reason an issuer may give: error (1), "
            "remedied/paid (2) or other (5)"
        )


ISSUER_REASONS = {1, 2, 5}


# ---------------------------------------------------------------------------------------------
# Requests and data layouts
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordRequest:
    """What an issuer asks the registry to record (RecordRegistry.RecordInput)."""

    schema_id: int
    subject: bytes
    evidence_hash: bytes = ZERO32
    data: bytes = b""
    expires_at: int = 0
    supersedes: bytes = ZERO32

    def as_tuple(self) -> tuple[int, bytes, bytes, bytes, int, bytes]:
        """The ABI tuple `(schemaId, subject, evidenceHash, data, expiresAt, supersedes)`."""
        return (
            self.schema_id,
            to_bytes32(self.subject),
            to_bytes32(self.evidence_hash),
            bytes(self.data),
            self.expires_at,
            to_bytes32(self.supersedes),
        )


_STATIC_TYPE = re.compile(r"(u?int)([1-9][0-9]{0,2})|bool|bytes([1-9][0-9]?)")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _static_type_ok(abi_type: str) -> bool:
    """uint8..uint256 / int8..int256 in steps of 8, bool, bytes1..bytes32 (what the registry
    accepts: one 32-byte word per field, nothing free-text)."""
    match = _STATIC_TYPE.fullmatch(abi_type)
    if not match:
        return False
    if match.group(2):
        bits = int(match.group(2))
        return bits % 8 == 0 and 8 <= bits <= 256
    if match.group(3):
        return 1 <= int(match.group(3)) <= 32
    return True


def parse_layout(layout: str) -> list[tuple[str, str]]:
    """`"uint16 year,bool compliant"` -> `[("uint16", "year"), ("bool", "compliant")]`, checked
    as RecordRegistry.registerSchema checks it: static types only (uint8..uint256,
    int8..int256, bool, bytes1..bytes32), identifier names, distinct, at most 16 fields;
    fields separated by commas, spaces allowed around them. Raises ValueError naming the
    problem."""
    if len(layout.encode("utf-8")) > MAX_LAYOUT_LENGTH:
        raise ValueError(f"a layout is at most {MAX_LAYOUT_LENGTH} bytes")
    if not layout.strip(" "):
        if layout:
            raise ValueError("a layout holding only spaces is not empty: give none")
        return []
    fields: list[tuple[str, str]] = []
    for part in layout.split(","):
        pieces = part.strip(" ").split(" ")
        pieces = [p for p in pieces if p]
        if len(pieces) != 2 or "\t" in part or "\n" in part:
            raise ValueError(f"layout field {part.strip()!r} is not '<type> <name>'")
        abi_type, name = pieces
        if not _static_type_ok(abi_type):
            raise ValueError(
                f"{abi_type!r} is not a field type the registry accepts: uint8..uint256, "
                "int8..int256 (multiples of 8), bool or bytes1..bytes32 (no string, bytes, "
                "address or arrays: no free text on chain)"
            )
        if not _IDENTIFIER.fullmatch(name):
            raise ValueError(f"field name {name!r} is not an identifier (letters, digits, _)")
        if name in {n for _, n in fields}:
            raise ValueError(f"field {name!r} appears twice")
        fields.append((abi_type, name))
    if len(fields) > MAX_FIELDS:
        raise ValueError(f"a layout has at most {MAX_FIELDS} fields ({len(fields)} given)")
    return fields


def _convert(abi_type: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = value.strip()
    if abi_type.startswith(("uint", "int")):
        return int(text, 0)
    if abi_type == "bool":
        lowered = text.lower()
        if lowered in {"true", "yes", "1"}:
            return True
        if lowered in {"false", "no", "0"}:
            return False
        raise ValueError(f"{value!r} is not a boolean (true/false)")
    if abi_type.startswith("bytes"):
        raw = bytes.fromhex(text.removeprefix("0x"))
        if len(raw) > int(abi_type[5:]):
            raise ValueError(f"{value!r} is longer than {abi_type}")
        return raw
    return text


def encode_data(layout: str, values: Mapping[str, Any]) -> bytes:
    """ABI-encode `values` (name -> value; strings are converted by type) in layout order.
    Every field of the layout must be given, and nothing else."""
    fields = parse_layout(layout)
    names = [name for _, name in fields]
    missing = [name for name in names if name not in values]
    unknown = [name for name in values if name not in names]
    if missing or unknown:
        raise ValueError(
            f"record data for layout '{layout}': missing {missing or 'none'}, "
            f"unknown {unknown or 'none'}"
        )
    return abi_encode([t for t, _ in fields], [_convert(t, values[name]) for t, name in fields])


def check_data(layout: str, data: bytes) -> None:
    """Refuse (ValueError) data the registry would refuse for this layout: anything but one
    32-byte word per field, each in range for its type (RecordDataMismatch on chain)."""
    fields = parse_layout(layout)
    if len(data) != 32 * len(fields):
        raise ValueError(
            f"record data is {len(data)} bytes; layout '{layout}' takes {32 * len(fields)} "
            f"({len(fields)} field(s) of 32 bytes)"
        )
    for index, (abi_type, name) in enumerate(fields):
        word = int.from_bytes(data[32 * index : 32 * index + 32], "big")
        if abi_type == "bool":
            ok = word <= 1
        elif abi_type.startswith("uint"):
            ok = word < 2 ** int(abi_type[4:])
        elif abi_type.startswith("int"):
            bits = int(abi_type[3:])
            high = word >> (bits - 1)
            ok = high in (0, (2 ** (257 - bits)) - 1)
        else:
            size = int(abi_type[5:])
            ok = word % (2 ** (8 * (32 - size))) == 0
        if not ok:
            raise ValueError(f"record data field {index} ({abi_type} {name}) is out of range")


def decode_data(layout: str, data: bytes) -> dict[str, Any]:
    """Decode record data with its schema's layout (empty dict for an empty layout or data)."""
    fields = parse_layout(layout)
    if not fields or not data:
        return {}
    values = abi_decode([t for t, _ in fields], bytes(data))
    return {name: value for (_, name), value in zip(fields, values, strict=True)}


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}


def parse_duration(text: str) -> int:
    """Seconds from "90", "12h", "30d", "2w", "3y" (a year is 365 days); "0" means none."""
    value = text.strip().lower()
    if value.isdigit():
        return int(value)
    number, unit = value[:-1], value[-1:]
    if unit not in _UNITS or not number.isdigit():
        raise ValueError(f"{text!r} is not a duration (e.g. 3600, 12h, 30d, 2w, 3y)")
    return int(number) * _UNITS[unit]


def parse_expiry(text: str | None, now: int) -> int:
    """Unix time from "+30d" (relative to `now`), "2027-12-31" (end of that day, UTC), an
    ISO date-time, or a unix timestamp. None/"" -> 0 (the schema's default validity)."""
    if not text:
        return 0
    value = text.strip()
    if value.startswith("+"):
        return now + parse_duration(value[1:])
    if value.isdigit():
        return int(value)
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            end = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.UTC)
            return int(end.timestamp())
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{text!r} is not an expiry (+30d, 2027-12-31, 2027-12-31T12:00:00Z or unix time)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp())


# ---------------------------------------------------------------------------------------------
# Delegated issuance (EIP-712)
# ---------------------------------------------------------------------------------------------


def issue_typed_data(
    request: RecordRequest, *, registry_address: str, chain_id: int, nonce: int, deadline: int
) -> dict[str, Any]:
    """The full EIP-712 message an agency signs to have `request` issued by a relayer."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "IssueRecord": ISSUE_RECORD_FIELDS,
        },
        "primaryType": "IssueRecord",
        "domain": {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": chain_id,
            "verifyingContract": to_checksum_address(registry_address),
        },
        "message": {
            "schemaId": request.schema_id,
            "subject": to_bytes32(request.subject),
            "evidenceHash": to_bytes32(request.evidence_hash),
            "data": bytes(request.data),
            "expiresAt": request.expires_at,
            "supersedes": to_bytes32(request.supersedes),
            "nonce": nonce,
            "deadline": deadline,
        },
    }


@dataclass(frozen=True)
class SignedIssue:
    """A signed issuance anyone can relay with `relay_signed_issue`. Serialisable to JSON."""

    request: RecordRequest
    signer: str
    nonce: int
    deadline: int
    signature: bytes

    def to_json(self) -> str:
        r = self.request
        return json.dumps(
            {
                "schemaId": r.schema_id,
                "subject": "0x" + to_bytes32(r.subject).hex(),
                "evidenceHash": "0x" + to_bytes32(r.evidence_hash).hex(),
                "data": "0x" + bytes(r.data).hex(),
                "expiresAt": r.expires_at,
                "supersedes": "0x" + to_bytes32(r.supersedes).hex(),
                "signer": self.signer,
                "nonce": self.nonce,
                "deadline": self.deadline,
                "signature": "0x" + self.signature.hex(),
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> SignedIssue:
        d = json.loads(text)
        request = RecordRequest(
            schema_id=int(d["schemaId"]),
            subject=to_bytes32(d["subject"]),
            evidence_hash=to_bytes32(d["evidenceHash"]),
            data=bytes.fromhex(d.get("data", "0x").removeprefix("0x")),
            expires_at=int(d.get("expiresAt", 0)),
            supersedes=to_bytes32(d.get("supersedes"), empty_is_zero=True),
        )
        return cls(
            request=request,
            signer=to_checksum_address(d["signer"]),
            nonce=int(d["nonce"]),
            deadline=int(d["deadline"]),
            signature=bytes.fromhex(d["signature"].removeprefix("0x")),
        )


def sign_issue(
    registry: Any,
    request: RecordRequest,
    signer: Any,
    *,
    deadline: int,
    nonce: int | None = None,
    chain_id: int | None = None,
    now: int | None = None,
) -> SignedIssue:
    """Sign `request` off-line as `signer` (an Ape account). The nonce defaults to the
    registry's current `nonces(signer)`: signatures are consumed in nonce order. A deadline
    more than MAX_SIGNATURE_LIFETIME (30 days) after `now` (default: the chain's pending block
    time) is refused, as the registry would refuse it."""
    if now is None:
        from ape import chain

        now = int(chain.pending_timestamp)
    if deadline > now + MAX_SIGNATURE_LIFETIME:
        raise ValueError(
            f"deadline {format_time(deadline)} is more than 30 days ahead: the registry refuses "
            "signatures valid that long (sign closer to the relay)"
        )
    if deadline < now:
        raise ValueError(f"deadline {format_time(deadline)} has already passed")
    if nonce is None:
        nonce = int(registry.nonces(signer.address))
    if chain_id is None:
        chain_id = int(registry.provider.chain_id)
    message = encode_typed_data(
        full_message=issue_typed_data(
            request,
            registry_address=registry.address,
            chain_id=chain_id,
            nonce=nonce,
            deadline=deadline,
        )
    )
    signature = signer.sign_message(message)
    if signature is None:
        raise RuntimeError(f"account {signer.address} cannot sign EIP-712 messages")
    return SignedIssue(request, signer.address, nonce, deadline, bytes(signature.encode_rsv()))


# ---------------------------------------------------------------------------------------------
# Transactions
# ---------------------------------------------------------------------------------------------


def _events(contract: Any, event_name: str, receipt: Any) -> list[Any]:
    return list(getattr(contract, event_name).from_receipt(receipt))


def _plain(label: str, method: Any, *args: Any, sender: Any) -> Any:
    """Default `transact`: just send. The CLI passes `civic_ledger.cli.common.send`, which has
    the same signature and prints actor, transaction and gas."""
    return method(*args, sender=sender)


def register_schema(
    registry: Any,
    *,
    name: str,
    field_layout: str,
    issuer_role: int | str,
    revocable: bool,
    adverse: bool,
    default_validity: int,
    sender: Any,
    transact: Any = _plain,
) -> tuple[int, Any]:
    """Register a schema; returns (schema id, receipt). `issuer_role` is an id or a role name."""
    role_id = issuer_role if isinstance(issuer_role, int) else role_by_name(issuer_role).id
    receipt = transact(
        f"schema {name!r} registered",
        registry.registerSchema,
        name,
        field_layout,
        role_id,
        revocable,
        adverse,
        default_validity,
        sender=sender,
    )
    return int(_events(registry, "SchemaRegistered", receipt)[0].schemaId), receipt


def set_policy(
    registry: Any,
    *,
    policy_id: int,
    name: str,
    required: Sequence[int],
    disqualifying: Sequence[int],
    sender: Any,
    transact: Any = _plain,
) -> Any:
    """Define or replace a standing policy; returns the receipt."""
    return transact(
        f"policy {policy_id} ({name}) set",
        registry.setPolicy,
        policy_id,
        name,
        list(required),
        list(disqualifying),
        sender=sender,
    )


def issued_record_ids(registry: Any, receipt: Any) -> list[bytes]:
    """Ids of the records a transaction issued, in order."""
    return [bytes(log.recordId) for log in _events(registry, "RecordIssued", receipt)]


def issue(
    registry: Any, request: RecordRequest, *, sender: Any, transact: Any = _plain
) -> tuple[bytes, Any]:
    """Issue one record; returns (record id, receipt)."""
    receipt = transact("record issued", registry.issue, request.as_tuple(), sender=sender)
    return issued_record_ids(registry, receipt)[0], receipt


def issue_batch(
    registry: Any, requests: Sequence[RecordRequest], *, sender: Any, transact: Any = _plain
) -> tuple[list[bytes], Any]:
    """Issue several records in one transaction (at most MAX_BATCH_SIZE)."""
    receipt = transact(
        f"{len(requests)} records issued",
        registry.issueBatch,
        [r.as_tuple() for r in requests],
        sender=sender,
    )
    return issued_record_ids(registry, receipt), receipt


def relay_signed_issue(
    registry: Any, signed: SignedIssue, *, sender: Any, transact: Any = _plain
) -> tuple[bytes, Any]:
    """Submit an agency's signed issuance as relayer `sender`; returns (record id, receipt)."""
    receipt = transact(
        f"record signed by {signed.signer} relayed",
        registry.issueWithSignature,
        signed.request.as_tuple(),
        signed.signer,
        signed.deadline,
        signed.signature,
        sender=sender,
    )
    return issued_record_ids(registry, receipt)[0], receipt


def revoke(
    registry: Any,
    record_id: bytes,
    reason: RevocationReason | int,
    reason_hash: bytes = ZERO32,
    *,
    sender: Any,
    transact: Any = _plain,
) -> Any:
    """Revoke one record with a reason code and the hash of the reason document."""
    code = RevocationReason(int(reason))
    return transact(
        f"record 0x{to_bytes32(record_id).hex()} revoked ({code.label})",
        registry.revoke,
        to_bytes32(record_id),
        int(code),
        to_bytes32(reason_hash),
        sender=sender,
    )


def revoke_batch(
    registry: Any,
    record_ids: Sequence[bytes],
    reason: RevocationReason | int,
    reason_hash: bytes = ZERO32,
    *,
    sender: Any,
    transact: Any = _plain,
) -> Any:
    """Revoke several records with one reason code and document hash."""
    code = RevocationReason(int(reason))
    return transact(
        f"{len(record_ids)} records revoked ({code.label})",
        registry.revokeBatch,
        [to_bytes32(r) for r in record_ids],
        int(code),
        to_bytes32(reason_hash),
        sender=sender,
    )


def invalidate_nonces(registry: Any, new_nonce: int, *, sender: Any, transact: Any = _plain) -> Any:
    """Cancel `sender`'s signed issuances with a nonce below `new_nonce` (at most 256 ahead)."""
    return transact(
        f"signatures of {sender.address} below nonce {new_nonce} cancelled",
        registry.invalidateNonces,
        new_nonce,
        sender=sender,
    )


def set_dispute_stay(
    registry: Any, schema_id: int, seconds: int, *, sender: Any, transact: Any = _plain
) -> Any:
    """Set how long a dispute suspends records of a schema (records administrator)."""
    return transact(
        f"schema {schema_id}: disputes suspend for {seconds // 86400}d {seconds % 86400}s",
        registry.setDisputeStay,
        schema_id,
        seconds,
        sender=sender,
    )


def grant_stay(
    registry: Any,
    record_id: bytes,
    until: int,
    reason_hash: bytes,
    *,
    sender: Any,
    transact: Any = _plain,
) -> Any:
    """Suspend a disputed record until `until` (arbiter)."""
    return transact(
        f"record 0x{to_bytes32(record_id).hex()} stayed until {format_time(until)}",
        registry.grantStay,
        to_bytes32(record_id),
        until,
        to_bytes32(reason_hash),
        sender=sender,
    )


def lapse_stay(registry: Any, record_id: bytes, *, sender: Any, transact: Any = _plain) -> Any:
    """Report a lapsed dispute stay (anyone; the record counts again without it)."""
    return transact(
        f"stay of record 0x{to_bytes32(record_id).hex()} lapsed",
        registry.lapseStay,
        to_bytes32(record_id),
        sender=sender,
    )


def dispute(
    registry: Any, record_id: bytes, evidence_hash: bytes, *, sender: Any, transact: Any = _plain
) -> Any:
    """Dispute an adverse record as its subject's controller; returns the receipt."""
    return transact(
        f"record 0x{to_bytes32(record_id).hex()} disputed",
        registry.dispute,
        to_bytes32(record_id),
        to_bytes32(evidence_hash),
        sender=sender,
    )


def resolve(
    registry: Any,
    record_id: bytes,
    *,
    upheld: bool,
    ruling_hash: bytes,
    sender: Any,
    transact: Any = _plain,
) -> Any:
    """Decide an open dispute as arbiter; returns the receipt."""
    outcome = "upheld" if upheld else "overturned"
    return transact(
        f"record 0x{to_bytes32(record_id).hex()} {outcome}",
        registry.resolveDispute,
        to_bytes32(record_id),
        upheld,
        to_bytes32(ruling_hash),
        sender=sender,
    )


# ---------------------------------------------------------------------------------------------
# Reads
# ---------------------------------------------------------------------------------------------


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
    return SchemaView(
        schema_id=schema_id,
        name=s.name,
        field_layout=s.fieldLayout,
        issuer_role=int(s.issuerRole),
        revocable=bool(s.revocable),
        adverse=bool(s.adverse),
        active=bool(s.active),
        default_validity=int(s.defaultValidity),
        dispute_stay=int(s.disputeStay),
    )


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
    registry: Any, *, record_id: bytes | None = None, subject: bytes | None = None
) -> list[Any]:
    """`RecordIssued` logs of `registry`, oldest first, by record id and/or subject topic (one
    `eth_getLogs` call: nodes answer topic filters from their bloom index)."""
    from ape import chain

    topics: list[Any] = [
        "0x" + RECORD_ISSUED_TOPIC.hex(),
        "0x" + record_id.hex() if record_id else None,
        "0x" + subject.hex() if subject else None,
    ]
    logs = chain.provider.web3.eth.get_logs(
        {"address": registry.address, "topics": topics, "fromBlock": 0, "toBlock": "latest"}
    )
    return sorted(logs, key=lambda log: (log["blockNumber"], log["logIndex"]))


def issued_data(registry: Any, record_id: bytes | str) -> bytes:
    """The data of a record, read from its `RecordIssued` event (the registry checked it
    against the schema's layout on issuance; it stores no copy)."""
    rid = to_bytes32(record_id)
    logs = _issued_logs(registry, record_id=rid)
    if not logs:
        raise LookupError(f"no RecordIssued event for record 0x{rid.hex()}")
    values = abi_decode(_RECORD_ISSUED_DATA, bytes(logs[-1]["data"]))
    return bytes(values[5])


def get_record(registry: Any, record_id: bytes | str) -> RecordView:
    from ape import chain

    rid = to_bytes32(record_id)
    r = registry.getRecord(rid)
    if int(r.issuedAt) == 0:
        raise LookupError(f"record 0x{rid.hex()} does not exist")
    schema = get_schema(registry, int(r.schemaId))
    d = registry.getDispute(rid)
    data = issued_data(registry, rid)
    try:
        fields = decode_data(schema.field_layout, data)
    except Exception:  # data that does not match the layout is shown raw only
        fields = {}
    return RecordView(
        record_id=rid,
        schema=schema,
        subject=bytes(r.subject),
        issuer=r.issuer,
        issued_at=int(r.issuedAt),
        expires_at=int(r.expiresAt),
        revoked_at=int(r.revokedAt),
        stay_until=int(r.stayUntil),
        evidence_hash=bytes(r.evidenceHash),
        data=data,
        supersedes=bytes(r.supersedes),
        superseded_by=bytes(r.supersededBy),
        dispute=DisputeView(
            status=DisputeStatus(int(r.dispute)),
            raised_by=d.raisedBy,
            opened_at=int(d.openedAt),
            evidence_hash=bytes(d.evidenceHash),
            resolved_by=d.resolvedBy,
            resolved_at=int(d.resolvedAt),
            ruling_hash=bytes(d.rulingHash),
        ),
        valid=bool(registry.isValid(rid)),
        checked_at=int(chain.blocks.head.timestamp),
        fields=fields,
    )


def records_of(registry: Any, subject: bytes) -> list[bytes]:
    """Every record id ever issued about `subject`, in issue order (from the `RecordIssued`
    events: the registry keeps no per-subject list, only the live set per schema)."""
    return [bytes(log["topics"][1]) for log in _issued_logs(registry, subject=to_bytes32(subject))]


@dataclass(frozen=True)
class PolicyCheck:
    """Why a subject does or does not meet a policy (schema id -> holds a valid record)."""

    policy_id: int
    name: str
    subject_active: bool
    required: dict[int, bool]
    disqualifying: dict[int, bool]
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
