"""Client helpers for the RecordRegistry (the credit platform): register schemas and policies,
issue records (directly, in batches, or relayed with an agency's EIP-712 signature), revoke with
a reason code, and manage disputes and their stays.

The rest of the records client lives next to this module and is re-exported here, where the
CLI, the demo and the tests read it: the request (`requests`), data layouts (`layouts`),
signed issuance (`signing`), the registries' enums (`enums`) and the reads (`record_views`).

Transactions take the signing account as `sender` and the `transact` keyword
(`civic_ledger.core.transact`); they return what they created (a schema id, record ids), else
the receipt.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# The `name as name` imports re-export what moved out of this module: the CLI, the demo and
# the tests import it from here.
from civic_ledger.access.roles import role as role_by_name
from civic_ledger.core.encoding import ZERO32, format_time, to_bytes32
from civic_ledger.core.times import parse_duration as parse_duration
from civic_ledger.core.transact import Transact, direct, events, required_event
from civic_ledger.identity.enums import ISSUER_REASONS as ISSUER_REASONS
from civic_ledger.identity.enums import DisputeStatus as DisputeStatus
from civic_ledger.identity.enums import RevocationReason as RevocationReason
from civic_ledger.identity.layouts import MAX_FIELDS as MAX_FIELDS
from civic_ledger.identity.layouts import MAX_LAYOUT_LENGTH as MAX_LAYOUT_LENGTH
from civic_ledger.identity.layouts import check_data as check_data
from civic_ledger.identity.layouts import decode_data as decode_data
from civic_ledger.identity.layouts import encode_data as encode_data
from civic_ledger.identity.layouts import parse_layout as parse_layout
from civic_ledger.identity.record_views import RECORD_ISSUED_TOPIC as RECORD_ISSUED_TOPIC
from civic_ledger.identity.record_views import DisputeView as DisputeView
from civic_ledger.identity.record_views import PolicyCheck as PolicyCheck
from civic_ledger.identity.record_views import RecordView as RecordView
from civic_ledger.identity.record_views import SchemaView as SchemaView
from civic_ledger.identity.record_views import check_policy as check_policy
from civic_ledger.identity.record_views import get_record as get_record
from civic_ledger.identity.record_views import get_schema as get_schema
from civic_ledger.identity.record_views import issued_data as issued_data
from civic_ledger.identity.record_views import records_of as records_of
from civic_ledger.identity.record_views import resolve_schema as resolve_schema
from civic_ledger.identity.requests import RecordRequest as RecordRequest
from civic_ledger.identity.requests import parse_expiry as parse_expiry
from civic_ledger.identity.signing import DOMAIN_NAME as DOMAIN_NAME
from civic_ledger.identity.signing import DOMAIN_VERSION as DOMAIN_VERSION
from civic_ledger.identity.signing import ISSUE_RECORD_FIELDS as ISSUE_RECORD_FIELDS
from civic_ledger.identity.signing import MAX_SIGNATURE_LIFETIME as MAX_SIGNATURE_LIFETIME
from civic_ledger.identity.signing import SignedIssue as SignedIssue
from civic_ledger.identity.signing import issue_typed_data as issue_typed_data
from civic_ledger.identity.signing import sign_issue as sign_issue

MAX_NONCE_STEP = 256  # RecordRegistry.MAX_NONCE_STEP
MAX_DISPUTE_STAY = 90 * 24 * 3600  # RecordRegistry.MAX_DISPUTE_STAY
MAX_DEFAULT_VALIDITY = 100 * 365 * 24 * 3600  # RecordRegistry.MAX_DEFAULT_VALIDITY


# ---------------------------------------------------------------------------------------------
# Schemas and policies (records administrator)
# ---------------------------------------------------------------------------------------------


def register_schema(
    registry: Any, *, name: str, field_layout: str, issuer_role: int | str, revocable: bool,
    adverse: bool, default_validity: int, sender: Any, transact: Transact = direct,
) -> int:  # fmt: skip
    """Register a schema; returns its id. `issuer_role` is an id or a role name."""
    role_id = issuer_role if isinstance(issuer_role, int) else role_by_name(issuer_role).id
    receipt = transact(
        f"schema {name!r} registered", registry.registerSchema,
        (name, field_layout, role_id, revocable, adverse, default_validity), sender=sender,
    )  # fmt: skip
    return int(required_event(registry, "SchemaRegistered", receipt).schemaId)


def set_policy(
    registry: Any, *, policy_id: int, name: str, required: Sequence[int],
    disqualifying: Sequence[int], sender: Any, transact: Transact = direct,
) -> Any:  # fmt: skip
    """Define or replace a standing policy; returns the receipt."""
    return transact(
        f"policy {policy_id} ({name}) set", registry.setPolicy,
        policy_id, name, list(required), list(disqualifying), sender=sender,
    )  # fmt: skip


def set_dispute_stay(
    registry: Any, schema_id: int, seconds: int, *, sender: Any, transact: Transact = direct
) -> Any:
    """Set how long a dispute suspends records of a schema (records administrator)."""
    label = f"schema {schema_id}: disputes suspend for {seconds // 86400}d {seconds % 86400}s"
    return transact(label, registry.setDisputeStay, schema_id, seconds, sender=sender)


# ---------------------------------------------------------------------------------------------
# Issuing and revoking (issuers)
# ---------------------------------------------------------------------------------------------


def issued_record_ids(registry: Any, receipt: Any) -> list[bytes]:
    """Ids of the records a transaction issued, in order."""
    return [bytes(log.recordId) for log in events(registry, "RecordIssued", receipt)]


def issue(
    registry: Any, request: RecordRequest, *, sender: Any, transact: Transact = direct
) -> bytes:
    """Issue one record; returns its id."""
    receipt = transact("record issued", registry.issue, request.as_tuple(), sender=sender)
    return issued_record_ids(registry, receipt)[0]


def issue_batch(
    registry: Any, requests: Sequence[RecordRequest], *, sender: Any, transact: Transact = direct
) -> list[bytes]:
    """Issue several records in one transaction (at most MAX_BATCH_SIZE); returns their ids,
    in order."""
    label = f"{len(requests)} records issued"
    batch = [r.as_tuple() for r in requests]
    receipt = transact(label, registry.issueBatch, batch, sender=sender)
    return issued_record_ids(registry, receipt)


def relay_signed_issue(
    registry: Any, signed: SignedIssue, *, sender: Any, transact: Transact = direct
) -> bytes:
    """Submit an agency's signed issuance as relayer `sender`; returns the record id."""
    receipt = transact(
        f"record signed by {signed.signer} relayed", registry.issueWithSignature,
        signed.request.as_tuple(), signed.signer, signed.deadline, signed.signature,
        sender=sender,
    )  # fmt: skip
    return issued_record_ids(registry, receipt)[0]


def invalidate_nonces(
    registry: Any, new_nonce: int, *, sender: Any, transact: Transact = direct
) -> Any:
    """Cancel `sender`'s signed issuances with a nonce below `new_nonce` (at most 256 ahead)."""
    return transact(
        f"signatures of {sender.address} below nonce {new_nonce} cancelled",
        registry.invalidateNonces,
        new_nonce,
        sender=sender,
    )


def _revocation(
    label: str, method: Any, ids: Any, reason: RevocationReason | int, reason_hash: bytes,
    sender: Any, transact: Transact,
) -> Any:  # fmt: skip
    """Send `method(ids, code, reason hash)`; `label` is completed with the code's name."""
    code = RevocationReason(int(reason))
    return transact(
        f"{label} ({code.label})", method, ids, int(code), to_bytes32(reason_hash), sender=sender
    )


def revoke(
    registry: Any, record_id: bytes, reason: RevocationReason | int, reason_hash: bytes = ZERO32,
    *, sender: Any, transact: Transact = direct,
) -> Any:  # fmt: skip
    """Revoke one record with a reason code and the hash of the reason document."""
    rid = to_bytes32(record_id)
    label = f"record 0x{rid.hex()} revoked"
    return _revocation(label, registry.revoke, rid, reason, reason_hash, sender, transact)


def revoke_batch(
    registry: Any, record_ids: Sequence[bytes], reason: RevocationReason | int,
    reason_hash: bytes = ZERO32, *, sender: Any, transact: Transact = direct,
) -> Any:  # fmt: skip
    """Revoke several records with one reason code and document hash."""
    ids = [to_bytes32(r) for r in record_ids]
    label = f"{len(record_ids)} records revoked"
    return _revocation(label, registry.revokeBatch, ids, reason, reason_hash, sender, transact)


# ---------------------------------------------------------------------------------------------
# Disputes and stays (subjects, arbiters)
# ---------------------------------------------------------------------------------------------


def dispute(
    registry: Any, record_id: bytes, evidence_hash: bytes, *, sender: Any,
    transact: Transact = direct,
) -> Any:  # fmt: skip
    """Dispute an adverse record as its subject's controller; returns the receipt."""
    rid, evidence = to_bytes32(record_id), to_bytes32(evidence_hash)
    return transact(
        f"record 0x{rid.hex()} disputed", registry.dispute, rid, evidence, sender=sender
    )


def resolve(
    registry: Any, record_id: bytes, *, upheld: bool, ruling_hash: bytes, sender: Any,
    transact: Transact = direct,
) -> Any:  # fmt: skip
    """Decide an open dispute as arbiter; returns the receipt."""
    rid, ruling = to_bytes32(record_id), to_bytes32(ruling_hash)
    label = f"record 0x{rid.hex()} {'upheld' if upheld else 'overturned'}"
    return transact(label, registry.resolveDispute, rid, upheld, ruling, sender=sender)


def grant_stay(
    registry: Any, record_id: bytes, until: int, reason_hash: bytes, *, sender: Any,
    transact: Transact = direct,
) -> Any:  # fmt: skip
    """Suspend a disputed record until `until` (arbiter)."""
    rid, reason = to_bytes32(record_id), to_bytes32(reason_hash)
    label = f"record 0x{rid.hex()} stayed until {format_time(until)}"
    return transact(label, registry.grantStay, rid, until, reason, sender=sender)


def lapse_stay(registry: Any, record_id: bytes, *, sender: Any, transact: Transact = direct) -> Any:
    """Report a lapsed dispute stay (anyone; the record counts again without it)."""
    rid = to_bytes32(record_id)
    return transact(f"stay of record 0x{rid.hex()} lapsed", registry.lapseStay, rid, sender=sender)
