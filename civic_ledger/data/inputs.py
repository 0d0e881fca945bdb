"""What DataExchange's callers submit, checked as the contract checks it: resources, requests,
exemptions and the subject's consent (its EIP-712 message and signature). A bad field raises
InputError naming it, before anything is sent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from civic_ledger.core.eip712 import sign_typed, typed_message
from civic_ledger.core.encoding import UINT64_MAX, ZERO32, to_bytes32
from civic_ledger.core.exceptions import InputError
from civic_ledger.core.times import DAY
from civic_ledger.data.enums import Sharing

DOMAIN_NAME = "CivicLedger DataExchange"
DOMAIN_VERSION = "1"
MAX_GRANT_DURATION = 365 * DAY  # DataExchange.MAX_GRANT_DURATION
MAX_BASIS_LIFETIME = 365 * DAY  # DataExchange.MAX_BASIS_LIFETIME
MAX_DELETION_PERIOD = 90 * DAY  # DataExchange.MAX_DELETION_PERIOD
UINT16 = 2**16 - 1


def agency_role(value: int, what: str) -> int:
    """`value` as an agency role id (ADMIN 0 and PUBLIC 2**64-1 identify no agency)."""
    if not 0 < value < UINT64_MAX:
        raise InputError(f"{what} {value} is not an agency role (ADMIN and PUBLIC are not)")
    return value


def in_range(value: int, low: int, high: int, what: str) -> int:
    """`value` when low <= value <= high; else InputError naming `what`."""
    if not low <= value <= high:
        raise InputError(f"{what} {value} is out of range ({low}..{high})")
    return value


def checked_hash(value: bytes | str | None, what: str, *, required: bool = True) -> bytes:
    """A bytes32 hash (raw or 0x-hex); zero only when not `required`."""
    try:
        raw = to_bytes32(value, empty_is_zero=True)
    except ValueError as exc:
        raise InputError(f"{what}: {exc}") from None
    if required and raw == ZERO32:
        raise InputError(f"{what} is required (a document hash, not zero)")
    return raw


#: IDataExchange.Consent as EIP-712 types it (DataExchange.CONSENT_TYPEHASH hashes this text)
CONSENT_TYPE = (
    "Consent(bytes32 subject,uint64 resourceId,uint64 recipientRole,uint16 purpose,"
    "uint64 expiresAt,bytes32 salt)"
)


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
            agency_role(self.owner_role, "owner role"),
            int(Sharing(self.sharing)),
            bool(self.personal),
            in_range(self.deletion_period, 1, MAX_DELETION_PERIOD, "deletion period (seconds)"),
            checked_hash(self.mandate_hash, "mandate hash"),
            checked_hash(self.description_hash, "description hash"),
            checked_hash(self.content_hash, "content hash", required=False),
            checked_hash(self.schema_hash, "schema hash"),
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
            in_range(self.resource_id, 1, UINT64_MAX, "resource id"),
            agency_role(self.recipient_role, "recipient role"),
            checked_hash(self.subject, "subject", required=False),
            in_range(self.purpose, 1, UINT16, "purpose code"),
            in_range(self.duration, 1, MAX_GRANT_DURATION, "duration (seconds)"),
            checked_hash(self.legal_basis_hash, "legal-basis hash", required=False),
            checked_hash(self.fields_hash, "fields hash", required=False),
            in_range(self.exemption_id, 0, UINT64_MAX, "exemption id"),
        )


@dataclass(frozen=True)
class _SubjectPurpose:
    """What a consent and an exemption share: a subject's data of a resource, for a recipient
    agency and a purpose, until a time."""

    subject: bytes
    resource_id: int
    recipient_role: int
    purpose: int
    expires_at: int

    def _checked(self) -> tuple[bytes, int, int, int, int]:
        """The fields both structs begin with, checked, in their order."""
        return (
            checked_hash(self.subject, "subject"),
            in_range(self.resource_id, 1, UINT64_MAX, "resource id"),
            agency_role(self.recipient_role, "recipient role"),
            in_range(self.purpose, 1, UINT16, "purpose code"),
            in_range(self.expires_at, 1, UINT64_MAX, "expiry"),
        )


@dataclass(frozen=True)
class Consent(_SubjectPurpose):
    """IDataExchange.Consent: what the subject's controller signs."""

    salt: bytes = ZERO32

    def as_tuple(self) -> tuple[Any, ...]:
        return (*self._checked(), checked_hash(self.salt, "salt", required=False))

    def typed_data(self, *, exchange_address: str, chain_id: int) -> dict[str, Any]:
        """The full EIP-712 message (domain "CivicLedger DataExchange", version "1")."""
        return typed_message(
            CONSENT_TYPE, self.as_tuple(), chain_id=chain_id, contract=exchange_address,
            domain_name=DOMAIN_NAME, version=DOMAIN_VERSION,
        )  # fmt: skip


@dataclass(frozen=True)
class ExemptionInput(_SubjectPurpose):
    """IDataExchange.ExemptionInput."""

    legal_basis_hash: bytes

    def as_tuple(self) -> tuple[Any, ...]:
        return (*self._checked(), checked_hash(self.legal_basis_hash, "legal-basis hash"))


def sign_consent(
    exchange: Any, consent: Consent, signer: Any, *, chain_id: int | None = None
) -> bytes:
    """The subject's controller `signer` (an Ape account) signs `consent` off-line."""
    if chain_id is None:
        chain_id = int(exchange.provider.chain_id)
    typed = consent.typed_data(exchange_address=exchange.address, chain_id=chain_id)
    return bytes(sign_typed(signer, typed).encode_rsv())
