"""Due process: subjects dispute adverse records, disputed records stop counting, the arbiter
upholds or overturns — every transition names its actor, every outsider is refused."""

from __future__ import annotations

import ape
import pytest

from civic_ledger.clients.records import DisputeStatus, RecordRequest

from .helpers import CLOSED, DAY, SUSPENDED, ZERO32, evidence

REASON = b"CASE".ljust(32, b"\x00")
OPEN, UPHELD, OVERTURNED, WITHDRAWN = (
    DisputeStatus.OPEN,
    DisputeStatus.UPHELD,
    DisputeStatus.OVERTURNED,
    DisputeStatus.WITHDRAWN,
)


@pytest.fixture
def no_penalty_policy(records, data_bureau, schemas) -> int:
    records.setPolicy(
        1, "no-penalty", [], [schemas.tax_penalty, schemas.judgment], sender=data_bureau
    )
    return 1


def test_dispute_suspends_the_record(records, schemas, alice, issue, no_penalty_policy):
    penalty = issue(schemas.tax_penalty, alice.subject)
    assert not records.meetsPolicy(alice.subject, no_penalty_policy)

    receipt = records.dispute(penalty, evidence("receipt"), sender=alice.account)
    assert records.getRecord(penalty).dispute == OPEN
    assert not records.isValid(penalty)
    assert records.meetsPolicy(alice.subject, no_penalty_policy)
    d = records.getDispute(penalty)
    assert (d.raisedBy, d.evidenceHash, d.openedAt) == (
        alice.account.address,
        evidence("receipt"),
        ape.chain.blocks.head.timestamp,
    )
    [event] = records.RecordDisputed.from_receipt(receipt)
    assert (event.recordId, event.subject, event.evidenceHash, event.operator) == (
        penalty,
        alice.subject,
        evidence("receipt"),
        alice.account.address,
    )


def test_upheld_record_counts_again(records, schemas, alice, arbiter, issue, no_penalty_policy):
    penalty = issue(schemas.tax_penalty, alice.subject)
    records.dispute(penalty, evidence("receipt"), sender=alice.account)
    receipt = records.resolveDispute(penalty, True, evidence("ruling"), sender=arbiter)

    assert records.getRecord(penalty).dispute == UPHELD
    assert records.isValid(penalty)
    assert not records.meetsPolicy(alice.subject, no_penalty_policy)
    d = records.getDispute(penalty)
    assert (d.resolvedBy, d.rulingHash) == (arbiter.address, evidence("ruling"))
    [event] = records.DisputeResolved.from_receipt(receipt)
    assert (event.outcome, event.rulingHash, event.operator) == (
        UPHELD,
        evidence("ruling"),
        arbiter.address,
    )
    # one dispute per record: an upheld decision is final
    with ape.reverts(records.RecordAlreadyDisputed):
        records.dispute(penalty, evidence("more"), sender=alice.account)


@pytest.mark.parametrize("schema", ["tax_penalty", "judgment"])
def test_overturned_record_is_revoked(
    records, schemas, alice, arbiter, issue, no_penalty_policy, schema
):
    # a judgment schema is not revocable by its issuer, yet the arbiter can overturn it
    record_id = issue(getattr(schemas, schema), alice.subject)
    records.dispute(record_id, evidence("proof"), sender=alice.account)
    receipt = records.resolveDispute(record_id, False, evidence("ruling"), sender=arbiter)

    r = records.getRecord(record_id)
    assert r.dispute == OVERTURNED
    assert r.revokedAt == ape.chain.blocks.head.timestamp
    assert not records.isValid(record_id)
    assert records.meetsPolicy(alice.subject, no_penalty_policy)
    [resolved] = records.DisputeResolved.from_receipt(receipt)
    [revoked] = records.RecordRevoked.from_receipt(receipt)
    assert (resolved.outcome, resolved.operator) == (OVERTURNED, arbiter.address)
    assert (revoked.reason, revoked.operator) == ("overturned", arbiter.address)
    with ape.reverts(records.RecordNoOpenDispute):
        records.resolveDispute(record_id, True, ZERO32, sender=arbiter)


def test_issuer_revoking_a_disputed_record_withdraws_the_dispute(
    records, schemas, alice, tax_bureau, arbiter, issue
):
    penalty = issue(schemas.tax_penalty, alice.subject)
    records.dispute(penalty, evidence("proof"), sender=alice.account)
    receipt = records.revoke(penalty, "conceded", sender=tax_bureau)
    assert records.getRecord(penalty).dispute == WITHDRAWN
    [resolved] = records.DisputeResolved.from_receipt(receipt)
    assert (resolved.outcome, resolved.operator) == (WITHDRAWN, tax_bureau.address)
    assert records.getDispute(penalty).resolvedBy == tax_bureau.address
    with ape.reverts(records.RecordNoOpenDispute):
        records.resolveDispute(penalty, True, ZERO32, sender=arbiter)


def test_disputed_record_cannot_be_superseded(records, schemas, alice, tax_bureau, issue):
    penalty = issue(schemas.tax_penalty, alice.subject)
    records.dispute(penalty, evidence("proof"), sender=alice.account)
    request = RecordRequest(
        schema_id=schemas.tax_penalty,
        subject=alice.subject,
        evidence_hash=evidence("again"),
        supersedes=penalty,
    )
    with ape.reverts(records.RecordUnderDispute):
        records.issue(request.as_tuple(), sender=tax_bureau)


def test_dispute_rules(records, schemas, alice, bob, tax_bureau, issue):
    ok = issue(schemas.tax_ok, alice.subject)
    with ape.reverts(records.RecordNotAdverse):
        records.dispute(ok, evidence("e"), sender=alice.account)
    with ape.reverts(records.RecordUnknown):
        records.dispute(evidence("ghost"), evidence("e"), sender=alice.account)
    penalty = issue(schemas.tax_penalty, alice.subject)
    with ape.reverts(records.RecordMissingEvidence):
        records.dispute(penalty, ZERO32, sender=alice.account)
    records.dispute(penalty, evidence("e"), sender=alice.account)
    with ape.reverts(records.RecordAlreadyDisputed):
        records.dispute(penalty, evidence("e2"), sender=alice.account)
    paid = issue(schemas.tax_penalty, alice.subject)
    records.revoke(paid, "paid", sender=tax_bureau)
    with ape.reverts(records.RecordAlreadyRevoked):
        records.dispute(paid, evidence("e"), sender=alice.account)


def test_expired_record_cannot_be_disputed(records, schemas, alice, issue):
    now = ape.chain.pending_timestamp
    penalty = issue(schemas.tax_penalty, alice.subject, expires_at=now + DAY)
    ape.chain.pending_timestamp = now + DAY
    with ape.reverts(records.RecordExpired):
        records.dispute(penalty, evidence("e"), sender=alice.account)


def test_only_the_subjects_controller_may_dispute(
    records, schemas, alice, bob, agency, outsider, issue
):
    penalty = issue(schemas.tax_penalty, alice.subject)
    callers = [bob.account, outsider] + [
        agency[name] for name in ("tax_bureau", "identity_office", "arbitration_office")
    ]
    for caller in callers:
        with ape.reverts(records.RecordNotSubjectController, account=caller.address):
            records.dispute(penalty, evidence("e"), sender=caller)
    assert records.isValid(penalty)


def test_rotated_controller_disputes_old_wallet_cannot(
    records, identity, schemas, alice, citizens, issue
):
    penalty = issue(schemas.tax_penalty, alice.subject)
    identity.rotateController(citizens[3], sender=alice.account)
    with ape.reverts(records.RecordNotSubjectController):
        records.dispute(penalty, evidence("e"), sender=alice.account)
    records.dispute(penalty, evidence("e"), sender=citizens[3])


@pytest.mark.parametrize("status", [SUSPENDED, CLOSED])
def test_inactive_subject_keeps_the_right_to_dispute(
    records, identity, office, schemas, alice, issue, status
):
    penalty = issue(schemas.tax_penalty, alice.subject)
    identity.setStatus(alice.subject, status, REASON, sender=office)
    records.dispute(penalty, evidence("e"), sender=alice.account)
    assert records.getRecord(penalty).dispute == OPEN


def test_resolve_is_arbiter_only(records, schemas, alice, agency, outsider, issue):
    penalty = issue(schemas.tax_penalty, alice.subject)
    records.dispute(penalty, evidence("e"), sender=alice.account)
    callers = [outsider, alice.account] + [
        agency[name]
        for name in (
            "tax_bureau",
            "data_bureau",
            "court",
            "identity_office",
            "emergency_guardian",
            "deployer",
        )
    ]
    for caller in callers:
        for upheld in (True, False):
            with ape.reverts(records.AccessManagedUnauthorized, caller=caller.address):
                records.resolveDispute(penalty, upheld, ZERO32, sender=caller)
    assert records.getRecord(penalty).dispute == OPEN


def test_resolve_needs_an_open_dispute(records, schemas, alice, arbiter, issue):
    penalty = issue(schemas.tax_penalty, alice.subject)
    with ape.reverts(records.RecordNoOpenDispute):
        records.resolveDispute(penalty, True, ZERO32, sender=arbiter)
    with ape.reverts(records.RecordUnknown):
        records.resolveDispute(evidence("ghost"), True, ZERO32, sender=arbiter)


def test_dispute_on_one_of_several_records(
    records, schemas, alice, arbiter, issue, no_penalty_policy
):
    """The standing summary only drops when every live adverse record is disputed."""
    first = issue(schemas.tax_penalty, alice.subject)
    second = issue(schemas.tax_penalty, alice.subject)
    records.dispute(first, evidence("a"), sender=alice.account)
    assert not records.meetsPolicy(alice.subject, no_penalty_policy)
    records.dispute(second, evidence("b"), sender=alice.account)
    assert records.meetsPolicy(alice.subject, no_penalty_policy)
    records.resolveDispute(first, True, ZERO32, sender=arbiter)
    assert not records.meetsPolicy(alice.subject, no_penalty_policy)
    records.resolveDispute(second, False, ZERO32, sender=arbiter)
    assert not records.meetsPolicy(alice.subject, no_penalty_policy)  # `first` still counts
    assert list(records.liveRecordsOf(alice.subject, schemas.tax_penalty)) == [first]
