"""Delegated issuance (EIP-712): the `IssueRecord` message an agency signs off-line so that a
relayer can have a record issued in its name, the signed issuance as JSON, and its signature."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address

from civic_ledger.core.eip712 import sign_typed, struct_fields, typed_message
from civic_ledger.core.encoding import format_time, to_bytes32
from civic_ledger.identity.requests import RecordRequest

DOMAIN_NAME = "CivicLedger RecordRegistry"
DOMAIN_VERSION = "1"
MAX_SIGNATURE_LIFETIME = 30 * 24 * 3600  # RecordRegistry.MAX_SIGNATURE_LIFETIME

#: The IssueRecord message as EIP-712 types it (RecordRegistry.ISSUE_TYPEHASH hashes this text)
ISSUE_RECORD_TYPE = (
    "IssueRecord(uint64 schemaId,bytes32 subject,bytes32 evidenceHash,bytes data,"
    "uint64 expiresAt,bytes32 supersedes,uint256 nonce,uint256 deadline)"
)
ISSUE_RECORD_FIELDS = struct_fields(ISSUE_RECORD_TYPE)[1]


def issue_typed_data(
    request: RecordRequest, *, registry_address: str, chain_id: int, nonce: int, deadline: int
) -> dict[str, Any]:
    """The full EIP-712 message an agency signs to have `request` issued by a relayer."""
    values = (
        request.schema_id, to_bytes32(request.subject), to_bytes32(request.evidence_hash),
        bytes(request.data), request.expires_at, to_bytes32(request.supersedes), nonce, deadline,
    )  # fmt: skip
    return typed_message(
        ISSUE_RECORD_TYPE, values, chain_id=chain_id, contract=registry_address,
        domain_name=DOMAIN_NAME, version=DOMAIN_VERSION,
    )  # fmt: skip


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
    typed = issue_typed_data(request, registry_address=registry.address, chain_id=chain_id,
                             nonce=nonce, deadline=deadline)  # fmt: skip
    signature = bytes(sign_typed(signer, typed).encode_rsv())
    return SignedIssue(request, signer.address, nonce, deadline, signature)
