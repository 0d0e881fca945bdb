"""Identifiers, encodings and the EIP-712 signed issuance, as docs/integration.md §2 specifies
them: pure functions of their inputs, checked against docs/integration-vectors.json."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import decode, encode
from eth_account.messages import encode_typed_data
from web3 import Web3

from .errors import ClientError

# Enumerations (docs/integration.md §2, "Enumerations"): Solidity enums travel as uint8.
KIND_PERSON, KIND_ENTERPRISE, KIND_AGENCY = 1, 2, 3
STATUS_ACTIVE, STATUS_SUSPENDED, STATUS_CLOSED = 1, 2, 3
DISPUTE_NONE, DISPUTE_OPEN, DISPUTE_UPHELD, DISPUTE_OVERTURNED, DISPUTE_WITHDRAWN = range(5)
SALE_PROPOSED, SALE_ACCEPTED, SALE_COMPLETED, SALE_CANCELLED, SALE_REJECTED = range(1, 6)
CONSENT_NONE, CONSENT_KEEP_LIEN, CONSENT_DISCHARGE = 0, 1, 2

ZERO32 = b"\x00" * 32
MAX_LAYOUT_FIELDS = 16
_STATIC_TYPE = re.compile(
    r"^(uint(8|[1-9][0-9]*)|int(8|[1-9][0-9]*)|bool|bytes([1-9]|[12][0-9]|3[0-2]))$"
)


# ------------------------------------------------------------------------------------------
# Identifiers and encodings (docs/integration.md §2)
# ------------------------------------------------------------------------------------------


def normalise_official_id(official_id: str) -> str:
    """upper(trim(NFKC(x))): full-width characters become ASCII, surrounding whitespace goes."""
    return unicodedata.normalize("NFKC", official_id).strip().upper()


def subject_commitment(salt: bytes, official_id: str) -> bytes:
    """keccak256(salt ‖ utf8(normalise(officialId))), salt being 32 bytes."""
    if len(salt) != 32:
        raise ClientError("the salt must be 32 bytes")
    return bytes(Web3.keccak(salt + normalise_official_id(official_id).encode("utf-8")))


def document_hash(document: bytes | str) -> bytes:
    """keccak256 of a file's bytes, or of the UTF-8 bytes of a textual reference."""
    data = document.encode("utf-8") if isinstance(document, str) else document
    return bytes(Web3.keccak(data))


def parcel_id(cadastral_code: str) -> int:
    """uint256(keccak256(utf8(cadastralCode)))."""
    return int.from_bytes(Web3.keccak(cadastral_code.encode("utf-8")), "big")


def parse_layout(layout: str) -> list[tuple[str, str]]:
    """`"<type> <name>,<type> <name>,…"` as (type, name) pairs; static types only, ≤ 16 fields."""
    if layout.strip() == "":
        return []
    fields: list[tuple[str, str]] = []
    for item in layout.split(","):
        parts = item.split()
        if len(parts) != 2 or not _STATIC_TYPE.match(parts[0]):
            raise ClientError(f"not a '<static type> <name>' field: {item!r}")
        bits = re.findall(r"\d+", parts[0])
        if parts[0].startswith(("uint", "int")) and (int(bits[0]) > 256 or int(bits[0]) % 8):
            raise ClientError(f"integer width must be 8..256 in steps of 8: {item!r}")
        fields.append((parts[0], parts[1]))
    if len(fields) > MAX_LAYOUT_FIELDS:
        raise ClientError(f"a layout has at most {MAX_LAYOUT_FIELDS} fields")
    return fields


def _field_value(solidity_type: str, value: Any) -> Any:
    if solidity_type == "bool":
        if not isinstance(value, bool):
            raise ClientError(f"bool field needs true/false, got {value!r}")
        return value
    if solidity_type.startswith("bytes"):
        raw = bytes.fromhex(value.removeprefix("0x")) if isinstance(value, str) else bytes(value)
        if len(raw) != int(solidity_type[5:]):
            raise ClientError(f"{solidity_type} field needs exactly {solidity_type[5:]} bytes")
        return raw
    return int(value, 0) if isinstance(value, str) else int(value)  # decimal or 0x strings


def record_data(layout: str, values: Mapping[str, Any]) -> bytes:
    """abi.encode of the schema's fields in layout order; empty layout → empty data."""
    fields = parse_layout(layout)
    missing = [name for _, name in fields if name not in values]
    if missing:
        raise ClientError(f"missing record fields: {', '.join(missing)}")
    if not fields:
        return b""
    types = [solidity_type for solidity_type, _ in fields]
    return encode(types, [_field_value(t, values[name]) for t, name in fields])


def decode_record_data(layout: str, data: bytes) -> dict[str, Any]:
    """The inverse of `record_data`: field name -> value (RecordIssued.data carries it)."""
    fields = parse_layout(layout)
    if not fields:
        return {}
    values = decode([t for t, _ in fields], data)
    return {name: value for (_, name), value in zip(fields, values, strict=True)}


def record_id(registry: str, record_number: int, subject: bytes, schema_id: int) -> bytes:
    """keccak256(abi.encode(address registry, uint256 recordNumber, bytes32 subject, uint64 schemaId))."""
    packed = encode(
        ["address", "uint256", "bytes32", "uint64"], [registry, record_number, subject, schema_id]
    )
    return bytes(Web3.keccak(packed))


@dataclass(frozen=True)
class LienAnswer:
    """One unreleased lien of a parcel as the buyer is shown it, with its answer to the sale."""

    lien_id: int
    holder: bytes
    amount: int
    consent: int


def sale_encumbrance_hash(sale_id: int, parcel: int, liens: Sequence[LienAnswer]) -> bytes:
    """keccak256(abi.encode(saleId, parcelId, lienIds[], holders[], amounts[], uint8 consents[]))
    over the liens in ascending id order."""
    ordered = sorted(liens, key=lambda lien: lien.lien_id)
    packed = encode(
        ["uint256", "uint256", "uint256[]", "bytes32[]", "uint256[]", "uint8[]"],
        [
            sale_id,
            parcel,
            [lien.lien_id for lien in ordered],
            [lien.holder for lien in ordered],
            [lien.amount for lien in ordered],
            [lien.consent for lien in ordered],
        ],
    )
    return bytes(Web3.keccak(packed))


ISSUE_RECORD_TYPE = [
    {"name": "schemaId", "type": "uint64"},
    {"name": "subject", "type": "bytes32"},
    {"name": "evidenceHash", "type": "bytes32"},
    {"name": "data", "type": "bytes"},
    {"name": "expiresAt", "type": "uint64"},
    {"name": "supersedes", "type": "bytes32"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]


def issue_domain(chain_id: int, registry: str) -> dict[str, Any]:
    """The EIP-712 domain of signed issuance."""
    return {
        "name": "CivicLedger RecordRegistry",
        "version": "1",
        "chainId": chain_id,
        "verifyingContract": registry,
    }


def issue_digest(domain: Mapping[str, Any], message: Mapping[str, Any]) -> bytes:
    """The EIP-712 digest an agency signs for `issueWithSignature` (hex strings or bytes)."""
    as_bytes = {"subject", "evidenceHash", "data", "supersedes"}
    typed = {
        key: (
            bytes.fromhex(value.removeprefix("0x"))
            if key in as_bytes and isinstance(value, str)
            else value
        )
        for key, value in message.items()
    }
    signable = encode_typed_data(dict(domain), {"IssueRecord": ISSUE_RECORD_TYPE}, typed)
    return bytes(Web3.keccak(b"\x19" + signable.version + signable.header + signable.body))
