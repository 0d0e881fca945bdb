"""The DataExchange client: resources, requests and grants, consents, exemptions, deletions.

Every transaction function follows the clients' calling convention (docs/architecture.md,
`civic_ledger.core.transact`): `fn(exchange, ..., *, sender, transact=direct)`, returning the id
the call created, else the receipt. Consents are signed off-line by the subject's controller
(`sign_consent`, EIP-712) and relayed by the requesting agency (`request_with_consent`).
Receipt batches live in `civic_ledger.data.receipts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_account.messages import encode_typed_data
from eth_utils import to_checksum_address

from civic_ledger.core.encoding import ZERO32, to_bytes32
from civic_ledger.core.exceptions import InputError
from civic_ledger.core.structs import from_struct
from civic_ledger.core.transact import Transact, direct, required_event

DOMAIN_NAME = "CivicLedger DataExchange"
DOMAIN_VERSION = "1"
DAY = 24 * 60 * 60
MAX_GRANT_DURATION = 365 * DAY  # DataExchange.MAX_GRANT_DURATION
MAX_BASIS_LIFETIME = 365 * DAY  # DataExchange.MAX_BASIS_LIFETIME
MAX_DELETION_PERIOD = 90 * DAY  # DataExchange.MAX_DELETION_PERIOD
UINT16 = 2**16 - 1
UINT64 = 2**64 - 1


class Sharing(IntEnum):
    """IDataExchange.SharingClass."""

    OPEN = 0
    CONDITIONAL = 1
    NOT_SHAREABLE = 2


class RequestStatus(IntEnum):
    """IDataExchange.RequestStatus."""

    NONE = 0
    PENDING = 1
    GRANTED = 2
    DENIED = 3


class Basis(IntEnum):
    """IDataExchange.Basis."""

    NONE = 0
    CONSENT = 1
    EXEMPTION = 2


class ExemptionStatus(IntEnum):
    """IDataExchange.ExemptionStatus."""

    NONE = 0
    ACTIVE = 1
    DISPUTED = 2
    UPHELD = 3
    OVERTURNED = 4


def _role(value: int, what: str) -> int:
    if not 0 < value < UINT64:
        raise InputError(f"{what} {value} is not an agency role (ADMIN and PUBLIC are not)")
    return value


def _within(value: int, low: int, high: int, what: str) -> int:
    if not low <= value <= high:
        raise InputError(f"{what} {value} is out of range ({low}..{high})")
    return value


def _hash(value: bytes | str | None, what: str, *, required: bool = True) -> bytes:
    try:
        raw = to_bytes32(value, empty_is_zero=True)
    except ValueError as exc:
        raise InputError(f"{what}: {exc}") from None
    if required and raw == ZERO32:
        raise InputError(f"{what} is required (a document hash, not zero)")
    return raw


@dataclass(frozen=True)
class ResourceInput:
    """IDataExchange.ResourceInput, checked as the contract checks it."""

    owner_role: int
    sharing: Sharing
    personal: bool
    deletion_period: int
    mandate_hash: bytes
    description_hash: bytes
    content_hash: bytes
    schema_hash: bytes

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            _role(self.owner_role, "owner role"),
            int(Sharing(self.sharing)),
            bool(self.personal),
            _within(self.deletion_period, 1, MAX_DELETION_PERIOD, "deletion period (seconds)"),
            _hash(self.mandate_hash, "mandate hash"),
            _hash(self.description_hash, "description hash"),
            _hash(self.content_hash, "content hash", required=False),
            _hash(self.schema_hash, "schema hash"),
        )


@dataclass(frozen=True)
class DataRequest:
    """IDataExchange.RequestInput. `subject` is zero for a request about no one."""

    resource_id: int
    recipient_role: int
    purpose: int
    duration: int
    legal_basis_hash: bytes
    fields_hash: bytes
    subject: bytes = ZERO32
    exemption_id: int = 0

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            _within(self.resource_id, 1, UINT64, "resource id"),
            _role(self.recipient_role, "recipient role"),
            _hash(self.subject, "subject", required=False),
            _within(self.purpose, 1, UINT16, "purpose code"),
            _within(self.duration, 1, MAX_GRANT_DURATION, "duration (seconds)"),
            _hash(self.legal_basis_hash, "legal-basis hash", required=False),
            _hash(self.fields_hash, "fields hash", required=False),
            _within(self.exemption_id, 0, UINT64, "exemption id"),
        )


@dataclass(frozen=True)
class Consent:
    """IDataExchange.Consent: what the subject's controller signs."""

    subject: bytes
    resource_id: int
    recipient_role: int
    purpose: int
    expires_at: int
    salt: bytes = ZERO32

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            _hash(self.subject, "subject"),
            _within(self.resource_id, 1, UINT64, "resource id"),
            _role(self.recipient_role, "recipient role"),
            _within(self.purpose, 1, UINT16, "purpose code"),
            _within(self.expires_at, 1, UINT64, "expiry"),
            _hash(self.salt, "salt", required=False),
        )

    def typed_data(self, *, exchange_address: str, chain_id: int) -> dict[str, Any]:
        """The full EIP-712 message (domain "CivicLedger DataExchange", version "1")."""
        subject, resource_id, recipient_role, purpose, expires_at, salt = self.as_tuple()
        return {
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                "Consent": [
                    {"name": "subject", "type": "bytes32"},
                    {"name": "resourceId", "type": "uint64"},
                    {"name": "recipientRole", "type": "uint64"},
                    {"name": "purpose", "type": "uint16"},
                    {"name": "expiresAt", "type": "uint64"},
                    {"name": "salt", "type": "bytes32"},
                ],
            },
            "primaryType": "Consent",
            "domain": {
                "name": DOMAIN_NAME,
                "version": DOMAIN_VERSION,
                "chainId": chain_id,
                "verifyingContract": to_checksum_address(exchange_address),
            },
            "message": {
                "subject": subject,
                "resourceId": resource_id,
                "recipientRole": recipient_role,
                "purpose": purpose,
                "expiresAt": expires_at,
                "salt": salt,
            },
        }


@dataclass(frozen=True)
class ExemptionInput:
    """IDataExchange.ExemptionInput."""

    subject: bytes
    resource_id: int
    recipient_role: int
    purpose: int
    expires_at: int
    legal_basis_hash: bytes

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            _hash(self.subject, "subject"),
            _within(self.resource_id, 1, UINT64, "resource id"),
            _role(self.recipient_role, "recipient role"),
            _within(self.purpose, 1, UINT16, "purpose code"),
            _within(self.expires_at, 1, UINT64, "expiry"),
            _hash(self.legal_basis_hash, "legal-basis hash"),
        )


def sign_consent(
    exchange: Any, consent: Consent, signer: Any, *, chain_id: int | None = None
) -> bytes:
    """The subject's controller `signer` (an Ape account) signs `consent` off-line."""
    if chain_id is None:
        chain_id = int(exchange.provider.chain_id)
    message = encode_typed_data(
        full_message=consent.typed_data(exchange_address=exchange.address, chain_id=chain_id)
    )
    signature = signer.sign_message(message)
    if signature is None:
        raise InputError(f"account {signer.address} cannot sign EIP-712 messages")
    return bytes(signature.encode_rsv())


# ------------------------------------------------------------------------------ resources


def register_resource(
    exchange: Any, resource: ResourceInput, *, sender: Any, transact: Transact = direct
) -> int:
    """Register a resource of the steward's agency; returns its id."""
    label = f"register data resource of role {resource.owner_role}"
    receipt = transact(label, exchange.registerResource, resource.as_tuple(), sender=sender)
    return int(required_event(exchange, "ResourceRegistered", receipt).resourceId)


def add_version(
    exchange: Any,
    resource_id: int,
    content_hash: bytes,
    schema_hash: bytes,
    *,
    sender: Any,
    transact: Transact = direct,
) -> int:
    """Add the next version of a resource; returns its number."""
    args = (_hash(content_hash, "content hash", required=False), _hash(schema_hash, "schema hash"))
    receipt = transact(
        f"add version to data resource {resource_id}",
        exchange.addVersion,
        resource_id,
        *args,
        sender=sender,
    )
    return int(required_event(exchange, "ResourceVersionAdded", receipt).version)


def retire_resource(
    exchange: Any, resource_id: int, reason_hash: bytes, *, sender: Any, transact: Transact = direct
) -> Any:
    """Retire a resource (its grants stop being live)."""
    reason = _hash(reason_hash, "reason hash", required=False)
    return transact(
        f"retire data resource {resource_id}",
        exchange.retireResource,
        resource_id,
        reason,
        sender=sender,
    )


# ------------------------------------------------------------------------------ requests


def request_data(
    exchange: Any, request: DataRequest, *, sender: Any, transact: Transact = direct
) -> int:
    """Request a resource (granted at once when open); returns the request (grant) id."""
    label = f"request data resource {request.resource_id} for role {request.recipient_role}"
    receipt = transact(label, exchange.request, request.as_tuple(), sender=sender)
    return int(required_event(exchange, "DataRequested", receipt).requestId)


def request_with_consent(
    exchange: Any,
    request: DataRequest,
    consent: Consent,
    signature: bytes,
    *,
    sender: Any,
    transact: Transact = direct,
) -> int:
    """Request personal data with the subject's signed consent; returns the request id."""
    label = f"request data resource {request.resource_id} with the subject's consent"
    receipt = transact(
        label,
        exchange.requestWithConsent,
        request.as_tuple(),
        consent.as_tuple(),
        bytes(signature),
        sender=sender,
    )
    return int(required_event(exchange, "DataRequested", receipt).requestId)


def decide(
    exchange: Any,
    request_id: int,
    approve: bool,
    reason_code: int = 0,
    *,
    sender: Any,
    transact: Transact = direct,
) -> bool:
    """Approve or deny (reason code required) a pending request; returns `approve`."""
    if not approve and not 0 < reason_code <= UINT16:
        raise InputError("a denial needs a reason code (1..65535)")
    verb = "approve" if approve else "deny"
    transact(
        f"{verb} data request {request_id}",
        exchange.decide,
        request_id,
        approve,
        reason_code,
        sender=sender,
    )
    return approve


def revoke_grant(
    exchange: Any, grant_id: int, reason_code: int, *, sender: Any, transact: Transact = direct
) -> Any:
    """End a grant before its expiry (owner's steward)."""
    _within(reason_code, 1, UINT16, "reason code")
    return transact(
        f"revoke data grant {grant_id}", exchange.revokeGrant, grant_id, reason_code, sender=sender
    )


# ------------------------------------------------------------------------------ subjects


def revoke_consent(
    exchange: Any, consent: Consent, *, sender: Any, transact: Transact = direct
) -> bytes:
    """The subject's controller revokes a consent; returns its id (the EIP-712 digest)."""
    receipt = transact("revoke consent", exchange.revokeConsent, consent.as_tuple(), sender=sender)
    return bytes(required_event(exchange, "ConsentRevoked", receipt).consentId)


def record_exemption(
    exchange: Any, exemption: ExemptionInput, *, sender: Any, transact: Transact = direct
) -> int:
    """Record a legal-basis exemption for the officer's agency; returns its id."""
    label = f"record exemption on data resource {exemption.resource_id}"
    receipt = transact(label, exchange.recordExemption, exemption.as_tuple(), sender=sender)
    return int(required_event(exchange, "ExemptionRecorded", receipt).exemptionId)


def dispute_exemption(
    exchange: Any,
    exemption_id: int,
    evidence_hash: bytes,
    *,
    sender: Any,
    transact: Transact = direct,
) -> Any:
    """The subject's controller disputes an exemption."""
    evidence = _hash(evidence_hash, "evidence hash", required=False)
    return transact(
        f"dispute exemption {exemption_id}",
        exchange.disputeExemption,
        exemption_id,
        evidence,
        sender=sender,
    )


def resolve_exemption_dispute(
    exchange: Any,
    exemption_id: int,
    uphold: bool,
    ruling_hash: bytes,
    *,
    sender: Any,
    transact: Transact = direct,
) -> ExemptionStatus:
    """The arbiter upholds or overturns a disputed exemption; returns the outcome."""
    ruling = _hash(ruling_hash, "ruling hash")
    transact(
        f"rule on exemption {exemption_id}",
        exchange.resolveExemptionDispute,
        exemption_id,
        uphold,
        ruling,
        sender=sender,
    )
    return ExemptionStatus.UPHELD if uphold else ExemptionStatus.OVERTURNED


# ------------------------------------------------------------------------------ deletion


def request_deletion(
    exchange: Any, grant_id: int, reason_hash: bytes, *, sender: Any, transact: Transact = direct
) -> int:
    """Ask the recipient to delete what it received under a grant; returns the due time."""
    reason = _hash(reason_hash, "reason hash", required=False)
    receipt = transact(
        f"request deletion under grant {grant_id}",
        exchange.requestDeletion,
        grant_id,
        reason,
        sender=sender,
    )
    return int(required_event(exchange, "DeletionRequested", receipt).dueAt)


def confirm_deletion(
    exchange: Any, grant_id: int, evidence_hash: bytes, *, sender: Any, transact: Transact = direct
) -> bool:
    """The recipient confirms a deletion; returns whether the confirmation came late."""
    evidence = _hash(evidence_hash, "evidence hash", required=False)
    receipt = transact(
        f"confirm deletion under grant {grant_id}",
        exchange.confirmDeletion,
        grant_id,
        evidence,
        sender=sender,
    )
    return bool(required_event(exchange, "DeletionConfirmed", receipt).overdue)


# ------------------------------------------------------------------------------ views


@dataclass(frozen=True)
class ResourceView:
    """IDataExchange.Resource."""

    owner_role: int
    registered_at: int
    deletion_period: int
    version_count: int
    sharing: Sharing
    personal: bool
    retired: bool
    mandate_hash: bytes
    description_hash: bytes


@dataclass(frozen=True)
class GrantView:
    """IDataExchange.Request (a request, and the grant it became), with its liveness now."""

    resource_id: int
    recipient_role: int
    requested_at: int
    duration: int
    purpose: int
    status: RequestStatus
    basis: Basis
    granted_at: int
    expires_at: int
    revoked_at: int
    basis_expires_at: int
    subject: bytes
    basis_id: bytes
    live: bool


def resource(exchange: Any, resource_id: int) -> ResourceView:
    return from_struct(ResourceView, exchange.resourceOf(resource_id))


def grant(exchange: Any, grant_id: int) -> GrantView:
    return from_struct(
        GrantView, exchange.requestOf(grant_id), live=bool(exchange.isGrantLive(grant_id))
    )
