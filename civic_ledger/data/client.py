"""The DataExchange client: resources, requests and grants, consents, exemptions, deletions.

Every transaction function follows the clients' calling convention (docs/architecture.md,
`civic_ledger.core.transact`): `fn(exchange, ..., *, sender, transact=direct)`, returning the id
the call created, else the receipt. Consents are signed off-line by the subject's controller
(`sign_consent`, EIP-712) and relayed by the requesting agency (`request_with_consent`).
What callers submit is in `civic_ledger.data.inputs`, enumerations in `enums`, struct views in
`views` (all re-exported here); receipt batches in `civic_ledger.data.receipts`.
"""

from __future__ import annotations

from typing import Any

from civic_ledger.core.exceptions import InputError
from civic_ledger.core.transact import Transact, direct, required_event
from civic_ledger.data.enums import Basis, ExemptionStatus, RequestStatus, Sharing
from civic_ledger.data.inputs import (
    DOMAIN_NAME,
    DOMAIN_VERSION,
    UINT16,
    Consent,
    DataRequest,
    ExemptionInput,
    ResourceInput,
    checked_hash,
    in_range,
    sign_consent,
)
from civic_ledger.data.views import GrantView, ResourceView, grant, resource

__all__ = [
    "DOMAIN_NAME",
    "DOMAIN_VERSION",
    "Basis",
    "Consent",
    "DataRequest",
    "ExemptionInput",
    "ExemptionStatus",
    "GrantView",
    "InputError",
    "RequestStatus",
    "ResourceInput",
    "ResourceView",
    "Sharing",
    "add_version",
    "confirm_deletion",
    "decide",
    "dispute_exemption",
    "grant",
    "record_exemption",
    "register_resource",
    "request_data",
    "request_deletion",
    "request_with_consent",
    "resolve_exemption_dispute",
    "resource",
    "retire_resource",
    "revoke_consent",
    "revoke_grant",
    "sign_consent",
]


#: The event field each DataExchange function's result is read from (the others return the
#: receipt).
_RESULTS = {
    "registerResource": "ResourceRegistered.resourceId",
    "addVersion": "ResourceVersionAdded.version",
    "request": "DataRequested.requestId",
    "requestWithConsent": "DataRequested.requestId",
    "revokeConsent": "ConsentRevoked.consentId",
    "recordExemption": "ExemptionRecorded.exemptionId",
    "requestDeletion": "DeletionRequested.dueAt",
    "confirmDeletion": "DeletionConfirmed.overdue",
}


def _send(exchange: Any, transact: Transact, label: str, function: str, *args: Any,
          sender: Any) -> Any:  # fmt: skip
    """Send `exchange.<function>(*args)`; returns its result (`_RESULTS`), else the receipt."""
    receipt = transact(label, getattr(exchange, function), *args, sender=sender)
    if function not in _RESULTS:
        return receipt
    event, name = _RESULTS[function].split(".")
    return getattr(required_event(exchange, event, receipt), name)


def _with_document(
    exchange: Any, transact: Transact, action: str, function: str, item_id: int,
    document_hash: bytes, what: str, *, sender: Any,
) -> Any:  # fmt: skip
    """Send `function(item_id, document)`, described as "<action> <item_id>": an act on one id
    with an optional document hash (zero: none), `what` naming it in errors."""
    document = checked_hash(document_hash, f"{what} hash", required=False)
    label = f"{action} {item_id}"
    return _send(exchange, transact, label, function, item_id, document, sender=sender)


# ------------------------------------------------------------------------------ resources


def register_resource(
    exchange: Any, resource: ResourceInput, *, sender: Any, transact: Transact = direct
) -> int:
    """Register a resource of the steward's agency; returns its id."""
    label = f"register data resource of role {resource.owner_role}"
    return int(_send(exchange, transact, label, "registerResource", resource.as_tuple(),
                     sender=sender))  # fmt: skip


def add_version(
    exchange: Any, resource_id: int, content_hash: bytes, schema_hash: bytes, *, sender: Any,
    transact: Transact = direct,
) -> int:  # fmt: skip
    """Add the next version of a resource; returns its number."""
    content = checked_hash(content_hash, "content hash", required=False)
    schema = checked_hash(schema_hash, "schema hash")
    label = f"add version to data resource {resource_id}"
    return int(_send(exchange, transact, label, "addVersion", resource_id, content, schema,
                     sender=sender))  # fmt: skip


def retire_resource(
    exchange: Any, resource_id: int, reason_hash: bytes, *, sender: Any, transact: Transact = direct
) -> Any:
    """Retire a resource (its grants stop being live)."""
    return _with_document(exchange, transact, "retire data resource", "retireResource",
                          resource_id, reason_hash, "reason", sender=sender)  # fmt: skip


# ------------------------------------------------------------------------------ requests


def request_data(
    exchange: Any, request: DataRequest, *, sender: Any, transact: Transact = direct
) -> int:
    """Request a resource (granted at once when open); returns the request (grant) id."""
    label = f"request data resource {request.resource_id} for role {request.recipient_role}"
    return int(_send(exchange, transact, label, "request", request.as_tuple(), sender=sender))


def request_with_consent(
    exchange: Any, request: DataRequest, consent: Consent, signature: bytes, *, sender: Any,
    transact: Transact = direct,
) -> int:  # fmt: skip
    """Request personal data with the subject's signed consent; returns the request id."""
    label = f"request data resource {request.resource_id} with the subject's consent"
    args = (request.as_tuple(), consent.as_tuple(), bytes(signature))
    return int(_send(exchange, transact, label, "requestWithConsent", *args, sender=sender))


def decide(
    exchange: Any, request_id: int, approve: bool, reason_code: int = 0, *, sender: Any,
    transact: Transact = direct,
) -> bool:  # fmt: skip
    """Approve or deny (reason code required) a pending request; returns `approve`."""
    if not approve and not 0 < reason_code <= UINT16:
        raise InputError("a denial needs a reason code (1..65535)")
    label = f"{'approve' if approve else 'deny'} data request {request_id}"
    _send(exchange, transact, label, "decide", request_id, approve, reason_code, sender=sender)
    return approve


def revoke_grant(
    exchange: Any, grant_id: int, reason_code: int, *, sender: Any, transact: Transact = direct
) -> Any:
    """End a grant before its expiry (owner's steward)."""
    in_range(reason_code, 1, UINT16, "reason code")
    label = f"revoke data grant {grant_id}"
    return _send(exchange, transact, label, "revokeGrant", grant_id, reason_code, sender=sender)


# ------------------------------------------------------------------------------ subjects


def revoke_consent(
    exchange: Any, consent: Consent, *, sender: Any, transact: Transact = direct
) -> bytes:
    """The subject's controller revokes a consent; returns its id (the EIP-712 digest)."""
    return bytes(_send(exchange, transact, "revoke consent", "revokeConsent", consent.as_tuple(),
                       sender=sender))  # fmt: skip


def record_exemption(
    exchange: Any, exemption: ExemptionInput, *, sender: Any, transact: Transact = direct
) -> int:
    """Record a legal-basis exemption for the officer's agency (`exemption.recipient_role`,
    which the officer must hold) on a personal-data resource: that agency's requests about the
    subject may cite it instead of the subject's consent until it expires or is overturned on
    the subject's dispute. Returns its id."""
    label = f"record exemption on data resource {exemption.resource_id}"
    return int(_send(exchange, transact, label, "recordExemption", exemption.as_tuple(),
                     sender=sender))  # fmt: skip


def dispute_exemption(
    exchange: Any, exemption_id: int, evidence_hash: bytes, *, sender: Any,
    transact: Transact = direct,
) -> Any:  # fmt: skip
    """The subject's controller disputes an exemption."""
    return _with_document(exchange, transact, "dispute exemption", "disputeExemption",
                          exemption_id, evidence_hash, "evidence", sender=sender)  # fmt: skip


def resolve_exemption_dispute(
    exchange: Any, exemption_id: int, uphold: bool, ruling_hash: bytes, *, sender: Any,
    transact: Transact = direct,
) -> ExemptionStatus:  # fmt: skip
    """The arbiter upholds or overturns a disputed exemption; returns the outcome."""
    ruling = checked_hash(ruling_hash, "ruling hash")
    _send(exchange, transact, f"rule on exemption {exemption_id}", "resolveExemptionDispute",
          exemption_id, uphold, ruling, sender=sender)  # fmt: skip
    return ExemptionStatus.UPHELD if uphold else ExemptionStatus.OVERTURNED


# ------------------------------------------------------------------------------ deletion


def request_deletion(
    exchange: Any, grant_id: int, reason_hash: bytes, *, sender: Any, transact: Transact = direct
) -> int:
    """Ask the recipient to delete what it received under a grant, within the resource's
    deletion period; ends the grant. The owner's data steward, or the subject's active
    controller for a consent-based grant. Returns the due time."""
    return int(_with_document(exchange, transact, "request deletion under grant",
                              "requestDeletion", grant_id, reason_hash, "reason",
                              sender=sender))  # fmt: skip


def confirm_deletion(
    exchange: Any, grant_id: int, evidence_hash: bytes, *, sender: Any, transact: Transact = direct
) -> bool:
    """The recipient's data requester confirms a deletion (a late one is accepted and reported
    as overdue); returns whether it came late."""
    return bool(_with_document(exchange, transact, "confirm deletion under grant",
                               "confirmDeletion", grant_id, evidence_hash, "evidence",
                               sender=sender))  # fmt: skip
