"""E-certificates: records of schemas the records administrator marks as certificates
(licences, business registrations, qualifications), verified in one view call from the record
id and the hash of the presented document (RecordRegistry rule 10).

The verification payload is what a QR code on the printed certificate carries (specified in
docs/integration.md, "Certificate verification payload"):

    CIVIC:1:<chain id, decimal>:<registry, 40 hex>:<record id, 64 hex>:<document hash, 64 hex>

Upper-case hex without 0x, so the whole payload is in the QR alphanumeric set (5.5 bits a
character: 183 characters, a version 8 symbol at level M, for a 4-digit chain id);
`decode_payload` accepts any case. It is offline friendly: a verifier needs nothing but the
payload and a node of the chain. A verifier trusts
the registry of ITS OWN deployment, never the address in the payload (`check_payload`): a
forged payload naming another contract is refused, not asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils import keccak, to_checksum_address

from civic_ledger.core.exceptions import PayloadError
from civic_ledger.core.transact import Transact, direct
from civic_ledger.identity.enums import CertificateStatus as CertificateStatus

PAYLOAD_PREFIX = "CIVIC"
PAYLOAD_VERSION = 1
PAYLOAD_FORM = "CIVIC:1:<chain id>:<registry, 40 hex>:<record id, 64 hex>:<document hash, 64 hex>"
_PAYLOAD = re.compile(
    r"^CIVIC:(?P<version>[0-9]+):(?P<chain>[0-9]{1,20}):(?P<registry>[0-9A-F]{40}):"
    r"(?P<record>[0-9A-F]{64}):(?P<document>[0-9A-F]{64})$"
)
MAX_PAYLOAD_LENGTH = 256  # far above a valid payload (201 characters with a 20-digit chain id)

# ERC-7201 namespace of RecordRegistry and the slot of its `certificates` mapping (member 9 of
# the storage struct, whose first three members share slots 0 and 1). Members are only ever
# appended (civic_ledger/deploy/layout.py), so this slot holds for every implementation.
RECORD_REGISTRY_STORAGE = 0x5676E59DC9309EF2E784479C9579E8DF6D69B91357972F7F15EA46F7CA0FC400
CERTIFICATES_SLOT = RECORD_REGISTRY_STORAGE + 9


@dataclass(frozen=True)
class Payload:
    """What a certificate's QR code carries."""

    chain_id: int
    registry: str  # checksummed address
    record_id: bytes
    document_hash: bytes

    def encode(self) -> str:
        return encode_payload(self)


@dataclass(frozen=True)
class Verification:
    """`verifyCertificate`'s answer (issuer None, schema 0, expiry 0 when Unknown)."""

    status: CertificateStatus
    reason_code: int
    issuer: str | None
    schema_id: int
    expires_at: int  # 0 = never

    @property
    def valid(self) -> bool:
        return self.status is CertificateStatus.VALID


def encode_payload(payload: Payload) -> str:
    """The canonical (upper-case) payload text."""
    if not 0 < payload.chain_id < 2**64:
        raise PayloadError(f"chain id {payload.chain_id} out of range")
    if len(payload.record_id) != 32 or len(payload.document_hash) != 32:
        raise PayloadError("record id and document hash must be 32 bytes each")
    registry = to_checksum_address(payload.registry)[2:]
    fields = (
        PAYLOAD_PREFIX, str(PAYLOAD_VERSION), str(payload.chain_id), registry,
        payload.record_id.hex(), payload.document_hash.hex(),
    )  # fmt: skip
    return ":".join(fields).upper()


def decode_payload(text: str) -> Payload:
    """A payload from its text (any case, surrounding spaces ignored); PayloadError, one line,
    when it is not one."""
    if not isinstance(text, str):
        raise PayloadError("a payload is text")
    if len(text) > MAX_PAYLOAD_LENGTH:
        raise PayloadError(
            f"not a certificate payload: {len(text)} characters (expected {PAYLOAD_FORM})"
        )
    match = _PAYLOAD.match(text.strip().upper())
    if not match:
        shown = text.strip()[:40].encode("unicode_escape").decode("ascii")
        raise PayloadError(f"not a certificate payload {shown!r}: expected {PAYLOAD_FORM}")
    if int(match["version"]) != PAYLOAD_VERSION:
        raise PayloadError(f"payload version {match['version']} is not supported (only 1)")
    chain_id = int(match["chain"])
    if not 0 < chain_id < 2**64:
        raise PayloadError(f"payload chain id {chain_id} out of range")
    return Payload(
        chain_id=chain_id,
        registry=to_checksum_address("0x" + match["registry"].lower()),
        record_id=bytes.fromhex(match["record"]),
        document_hash=bytes.fromhex(match["document"]),
    )


def check_payload(payload: Payload, chain_id: int, registry: str) -> None:
    """Refuse a payload for another chain or another registry than the verifier's own."""
    if payload.chain_id != chain_id:
        raise PayloadError(
            f"the payload is for chain {payload.chain_id}, this deployment is on chain {chain_id}"
        )
    if payload.registry.lower() != str(registry).lower():
        raise PayloadError(
            f"the payload names registry {payload.registry}, not this deployment's RecordRegistry "
            f"{to_checksum_address(registry)}: refused (a forged or foreign certificate)"
        )


# ---------------------------------------------------------------------------------------------
# On chain
# ---------------------------------------------------------------------------------------------


def set_certificate(
    registry: Any, schema_id: int, certificate: bool, *, sender: Any, transact: Transact = direct
) -> Any:
    """Mark (or unmark) a schema as a certificate schema (records administrator); the receipt."""
    label = f"schema {schema_id} {'marked' if certificate else 'no longer'} a certificate"
    return transact(label, registry.setCertificate, schema_id, certificate, sender=sender)


def is_certificate(web3: Any, registry: str, schema_id: int) -> bool:
    """Whether schema `schema_id` is marked a certificate: the registry's `certificates` mapping
    read from its ERC-7201 namespace (the contract has no getter: its code is at the EIP-170
    limit)."""
    slot = keccak(schema_id.to_bytes(32, "big") + CERTIFICATES_SLOT.to_bytes(32, "big"))
    word = bytes(
        web3.eth.get_storage_at(to_checksum_address(registry), int.from_bytes(slot, "big"))
    )
    return int.from_bytes(word, "big") != 0


def verify(registry: Any, record_id: bytes, document_hash: bytes) -> Verification:
    """`verifyCertificate(record_id, document_hash)`, typed."""
    status, reason, issuer, schema_id, expires_at = registry.verifyCertificate(
        record_id, document_hash
    )
    known = CertificateStatus(int(status))
    return Verification(
        status=known,
        reason_code=int(reason),
        issuer=to_checksum_address(str(issuer)) if known else None,
        schema_id=int(schema_id),
        expires_at=int(expires_at),
    )


def payload_for(chain_id: int, registry: str, record_id: bytes, document_hash: bytes) -> str:
    """The payload text of a record and its document."""
    return encode_payload(
        Payload(chain_id, to_checksum_address(registry), record_id, document_hash)
    )


def describe(result: Verification) -> str:
    """One line: the status (and reason code when revoked)."""
    name = result.status.name.lower()
    if result.status is CertificateStatus.REVOKED:
        return f"{name} (reason code {result.reason_code})"
    return name


# ---------------------------------------------------------------------------------------------
# The QR code
# ---------------------------------------------------------------------------------------------


def qr_code(payload: str) -> Any:
    """The QR code (segno, error correction level M, never a Micro QR) of a payload."""
    import segno

    return segno.make_qr(payload, error="m")


def write_svg(symbol: Any, path: Path) -> None:
    """The symbol as an SVG file (a scale of 4 pixels a module, the standard 4-module border)."""
    symbol.save(str(path), kind="svg", scale=4, border=4, xmldecl=True)
