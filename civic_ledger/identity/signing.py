"""Delegated issuance (EIP-712): the `IssueRecord` message an agency signs off-line so that a
relayer can have a record issued in its name, the signed issuance as JSON, and its signature."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from eth_account.messages import encode_typed_data
from eth_utils import to_checksum_address

from civic_ledger.core.eip712 import typed_message
from civic_ledger.core.encoding import format_time, to_bytes32
from civic_ledger.identity.requests import RecordRequest

DOMAIN_NAME = "CivicLedger RecordRegistry"
DOMAIN_VERSION = "1"
MAX_SIGNATURE_LIFETIME = 30 * 24 * 3600  # RecordRegistry.MAX_SIGNATURE_LIFETIME

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


def issue_typed_data(
    request: RecordRequest, *, registry_address: str, chain_id: int, nonce: int, deadline: int
) -> dict[str, Any]:
    """The full EIP-712 message an agency signs to have `request` issued by a relayer."""
    return typed_message(
        domain_name=DOMAIN_NAME, version=DOMAIN_VERSION, chain_id=chain_id,
        contract=registry_address, primary_type="IssueRecord", fields=ISSUE_RECORD_FIELDS,
        message={
            "schemaId": request.schema_id,
            "subject": to_bytes32(request.subject),
            "evidenceHash": to_bytes32(request.evidence_hash),
            "data": bytes(request.data),
            "expiresAt": request.expires_at,
            "supersedes": to_bytes32(request.supersedes),
            "nonce": nonce,
            "deadline": deadline,
        },
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
