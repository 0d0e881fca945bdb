"""Due process: subjects dispute adverse records, disputed records stop counting, the arbiter
upholds or overturns — every transition names its actor, every outsider is refused."""

from __future__ import annotations

import ape
import pytest
from emitted import assert_event
from reverts import reverts

from civic_ledger.core.encoding import ZERO32
from civic_ledger.identity.client import Status
from civic_ledger.identity.records import DisputeStatus, RecordRequest, RevocationReason

from .helpers import DAY, callers, evidence

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
    stay_until = ape.chain.blocks.head.timestamp + records.DEFAULT_DISPUTE_STAY()
    assert records.getRecord(penalty).stayUntil == stay_until
    [event] = records.RecordDisputed.from_receipt(receipt)
    assert_event(
        event,
        recordId=penalty,
        subject=alice.subject,
        evidenceHash=evidence("receipt"),
        operator=alice.account.address,
        stayUntil=stay_until,
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
    with reverts("RecordAlreadyDisputed"):
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
    assert (revoked.reasonCode, revoked.reasonHash, revoked.operator) == (
        RevocationReason.OVERTURNED,
        evidence("ruling"),
        arbiter.address,
    )
    with reverts("RecordNoOpenDispute"):
        records.resolveDispute(record_id, True, ZERO32, sender=arbiter)


def test_issuer_revoking_a_disputed_record_withdraws_the_dispute(
    records, schemas, alice, tax_bureau, arbiter, issue
):
    penalty = issue(schemas.tax_penalty, alice.subject)
    records.dispute(penalty, evidence("proof"), sender=alice.account)
    receipt = records.revoke(
        penalty, RevocationReason.ISSUED_IN_ERROR, evidence("concession"), sender=tax_bureau
    )
    assert records.getRecord(penalty).dispute == WITHDRAWN
    [resolved] = records.DisputeResolved.from_receipt(receipt)
    assert (resolved.outcome, resolved.operator) == (WITHDRAWN, tax_bureau.address)
    assert records.getDispute(penalty).resolvedBy == tax_bureau.address
    with reverts("RecordNoOpenDispute"):
        records.resolveDispute(penalty, True, ZERO32, sender=arbiter)


def test_disputed_record_cannot_be_superseded(records, schemas, alice, tax_bureau, issue):
    penalty = issue(schemas.tax_penalty, alice.subject)
    records.dispute(penalty, evidence("proof"), sender=alice.account)
    request = RecordRequest(
        schema_id=schemas.tax_penalty,
        subject=alice.subject,
        evidence_hash=evidence("again"),
        data=bytes(32),
        supersedes=penalty,
    )
    with reverts("RecordUnderDispute"):
        records.issue(request.as_tuple(), sender=tax_bureau)


def test_dispute_rules(records, schemas, alice, bob, tax_bureau, issue):
    ok = issue(schemas.tax_ok, alice.subject)
    with reverts("RecordNotAdverse"):
        records.dispute(ok, evidence("e"), sender=alice.account)
    with reverts("RecordUnknown"):
        records.dispute(evidence("ghost"), evidence("e"), sender=alice.account)
    penalty = issue(schemas.tax_penalty, alice.subject)
    with reverts("RecordMissingEvidence"):
        records.dispute(penalty, ZERO32, sender=alice.account)
    records.dispute(penalty, evidence("e"), sender=alice.account)
    with reverts("RecordAlreadyDisputed"):
        records.dispute(penalty, evidence("e2"), sender=alice.account)
    paid = issue(schemas.tax_penalty, alice.subject)
    records.revoke(paid, RevocationReason.REMEDIED, ZERO32, sender=tax_bureau)
    with reverts("RecordAlreadyRevoked"):
        records.dispute(paid, evidence("e"), sender=alice.account)


def test_expired_record_cannot_be_disputed(records, schemas, alice, issue):
    now = ape.chain.pending_timestamp
    penalty = issue(schemas.tax_penalty, alice.subject, expires_at=now + DAY)
    ape.chain.pending_timestamp = now + DAY
    with reverts("RecordExpired"):
        records.dispute(penalty, evidence("e"), sender=alice.account)


def test_only_the_subjects_controller_may_dispute(
    records, schemas, alice, bob, agency, outsider, issue
):
    penalty = issue(schemas.tax_penalty, alice.subject)
    others = (bob.account, outsider)
    for caller in callers(agency, "tax_bureau identity_office arbitration_office", *others):
        with reverts("RecordNotSubjectController", account=caller.address):
            records.dispute(penalty, evidence("e"), sender=caller)
    assert records.isValid(penalty)


def test_rotated_controller_disputes_old_wallet_cannot(
    records, identity, schemas, alice, citizens, issue
):
    penalty = issue(schemas.tax_penalty, alice.subject)
    identity.proposeController(citizens[3], sender=alice.account)
    identity.acceptController(alice.subject, sender=citizens[3])
    with reverts("RecordNotSubjectController"):
        records.dispute(penalty, evidence("e"), sender=alice.account)
    records.dispute(penalty, evidence("e"), sender=citizens[3])


@pytest.mark.parametrize("status", [Status.SUSPENDED, Status.CLOSED])
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
    not_arbiters = "tax_bureau data_bureau court identity_office emergency_guardian deployer"
    for caller in callers(agency, not_arbiters, outsider, alice.account):
        for upheld in (True, False):
            with reverts("AccessManagedUnauthorized", caller=caller.address):
                records.resolveDispute(penalty, upheld, ZERO32, sender=caller)
    assert records.getRecord(penalty).dispute == OPEN


def test_resolve_needs_an_open_dispute(records, schemas, alice, arbiter, issue):
    penalty = issue(schemas.tax_penalty, alice.subject)
    with reverts("RecordNoOpenDispute"):
        records.resolveDispute(penalty, True, ZERO32, sender=arbiter)
    with reverts("RecordUnknown"):
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


# --------------------------------------------------------------------------------------------
# dispute stays (review finding 3)
# --------------------------------------------------------------------------------------------

STAY = 14 * DAY  # RecordRegistry.DEFAULT_DISPUTE_STAY


def test_exploit_a_junk_dispute_suspends_only_for_the_stay(
    records, schemas, acme, arbiter, outsider, issue, no_penalty_policy
):
    """Finding 3: a penalised firm disputes with a junk hash and the record stops counting -
    only until the schema's stay lapses. Then it counts again WITHOUT anyone calling
    lapseStay; the arbiter may grant a longer stay; resolving still works after a lapse."""
    penalty = issue(schemas.tax_penalty, acme.subject)
    expires = records.getRecord(penalty).expiresAt
    assert not records.meetsPolicy(acme.subject, no_penalty_policy)

    records.dispute(penalty, b"\x01" * 32, sender=acme.account)  # junk evidence
    disputed_at = ape.chain.blocks.head.timestamp
    assert records.meetsPolicy(acme.subject, no_penalty_policy)  # suspended during the stay
    assert not records.isValid(penalty)

    ape.chain.mine(timestamp=disputed_at + STAY)  # the stay lapses; nobody calls lapseStay
    assert records.isValid(penalty)
    assert records.hasValidRecord(acme.subject, schemas.tax_penalty)
    assert records.validUntil(acme.subject, schemas.tax_penalty) == expires
    assert not records.meetsPolicy(acme.subject, no_penalty_policy)
    assert records.getRecord(penalty).dispute == OPEN  # still awaiting the arbiter

    # the arbiter may grant a (longer) stay, with a reason
    until = ape.chain.pending_timestamp + 30 * DAY
    receipt = records.grantStay(penalty, until, evidence("stay order"), sender=arbiter)
    [granted] = records.DisputeStayGranted.from_receipt(receipt)
    assert (granted.recordId, granted.operator, granted.until, granted.reasonHash) == (
        penalty,
        arbiter.address,
        until,
        evidence("stay order"),
    )
    assert records.meetsPolicy(acme.subject, no_penalty_policy)
    assert not records.isValid(penalty)

    ape.chain.mine(timestamp=until)
    assert records.isValid(penalty) and not records.meetsPolicy(acme.subject, no_penalty_policy)
    receipt = records.lapseStay(penalty, sender=outsider)  # anyone may record the lapse
    [lapsed] = records.DisputeStayLapsed.from_receipt(receipt)
    assert (lapsed.recordId, lapsed.operator, lapsed.stayUntil) == (
        penalty,
        outsider.address,
        until,
    )
    assert records.validUntil(acme.subject, schemas.tax_penalty) == expires

    receipt = records.resolveDispute(penalty, False, evidence("ruling"), sender=arbiter)
    assert records.getRecord(penalty).dispute == OVERTURNED
    assert records.meetsPolicy(acme.subject, no_penalty_policy)


def test_stay_rules(records, schemas, alice, agency, arbiter, outsider, issue):
    penalty = issue(schemas.tax_penalty, alice.subject)
    now = ape.chain.pending_timestamp
    with reverts("RecordNoOpenDispute"):  # no dispute, no stay
        records.grantStay(penalty, now + DAY, evidence("o"), sender=arbiter)
    with reverts("RecordStayNotLapsed"):
        records.lapseStay(penalty, sender=outsider)
    records.dispute(penalty, evidence("e"), sender=alice.account)
    stay_until = records.getRecord(penalty).stayUntil
    for caller in [outsider, alice.account] + [
        agency[n] for n in ("tax_bureau", "data_bureau", "court", "emergency_guardian", "deployer")
    ]:
        with reverts("AccessManagedUnauthorized", caller=caller.address):
            records.grantStay(penalty, stay_until + DAY, evidence("o"), sender=caller)
    with reverts("RecordMissingEvidence"):
        records.grantStay(penalty, stay_until + DAY, ZERO32, sender=arbiter)
    with reverts("RecordInvalidStay"):  # not longer than the running stay
        records.grantStay(penalty, stay_until, evidence("o"), sender=arbiter)
    head = ape.chain.pending_timestamp
    with reverts("RecordInvalidStay"):  # beyond MAX_DISPUTE_STAY
        records.grantStay(penalty, head + 90 * DAY + 1, evidence("o"), sender=arbiter)
    with reverts("RecordStayNotLapsed"):  # still running
        records.lapseStay(penalty, sender=outsider)
    with reverts("RecordUnknown"):
        records.lapseStay(evidence("ghost"), sender=outsider)
    ape.chain.mine(timestamp=stay_until)
    records.lapseStay(penalty, sender=outsider)
    assert records.getRecord(penalty).stayUntil == 0
    with reverts("RecordStayNotLapsed"):  # reported once
        records.lapseStay(penalty, sender=outsider)
    with reverts("RecordInvalidStay"):  # a stay ends in the future
        records.grantStay(penalty, ape.chain.blocks.head.timestamp, evidence("o"), sender=arbiter)
    # a stay may be granted again after a lapse, up to 90 days ahead (renewable)
    records.grantStay(
        penalty, ape.chain.pending_timestamp + 90 * DAY, evidence("o"), sender=arbiter
    )
    assert not records.isValid(penalty)


def test_schema_without_automatic_stay(
    records, schemas, alice, data_bureau, arbiter, issue, no_penalty_policy
):
    """Stay 0: a dispute alone never suspends; the arbiter may still grant a stay."""
    records.setDisputeStay(schemas.tax_penalty, 0, sender=data_bureau)
    penalty = issue(schemas.tax_penalty, alice.subject)
    receipt = records.dispute(penalty, evidence("e"), sender=alice.account)
    assert records.RecordDisputed.from_receipt(receipt)[0].stayUntil == 0
    assert records.isValid(penalty)
    assert not records.meetsPolicy(alice.subject, no_penalty_policy)
    until = ape.chain.pending_timestamp + 5 * DAY
    records.grantStay(penalty, until, evidence("order"), sender=arbiter)
    assert records.meetsPolicy(alice.subject, no_penalty_policy)
    ape.chain.mine(timestamp=until)
    assert not records.meetsPolicy(alice.subject, no_penalty_policy)


def test_new_stay_length_applies_to_later_disputes(records, schemas, alice, data_bureau, issue):
    first = issue(schemas.tax_penalty, alice.subject)
    records.dispute(first, evidence("a"), sender=alice.account)
    first_until = records.getRecord(first).stayUntil
    records.setDisputeStay(schemas.tax_penalty, 3 * DAY, sender=data_bureau)
    assert records.getRecord(first).stayUntil == first_until  # running stays keep their end
    second = issue(schemas.tax_penalty, alice.subject)
    records.dispute(second, evidence("b"), sender=alice.account)
    assert records.getRecord(second).stayUntil == ape.chain.blocks.head.timestamp + 3 * DAY


def test_upholding_or_withdrawing_ends_the_stay(
    records, schemas, alice, tax_bureau, arbiter, issue, no_penalty_policy
):
    upheld = issue(schemas.tax_penalty, alice.subject)
    withdrawn = issue(schemas.tax_penalty, alice.subject)
    records.dispute(upheld, evidence("a"), sender=alice.account)
    records.dispute(withdrawn, evidence("b"), sender=alice.account)
    assert records.meetsPolicy(alice.subject, no_penalty_policy)
    records.resolveDispute(upheld, True, evidence("ruling"), sender=arbiter)
    assert records.getRecord(upheld).stayUntil == 0
    assert records.isValid(upheld) and not records.meetsPolicy(alice.subject, no_penalty_policy)
    records.revoke(withdrawn, RevocationReason.ISSUED_IN_ERROR, ZERO32, sender=tax_bureau)
    assert records.getRecord(withdrawn).stayUntil == 0
    assert records.getRecord(withdrawn).dispute == WITHDRAWN


def test_standing_follows_several_stays_without_lapse_calls(
    records, schemas, alice, arbiter, data_bureau, issue, no_penalty_policy
):
    """The cached summary keeps the earliest running stay end; views fall back to an exact
    scan once it has passed, whoever calls lapseStay or not."""
    short = issue(schemas.tax_penalty, alice.subject)
    records.dispute(short, evidence("s"), sender=alice.account)
    records.setDisputeStay(schemas.tax_penalty, 30 * DAY, sender=data_bureau)
    long = issue(schemas.tax_penalty, alice.subject)
    records.dispute(long, evidence("l"), sender=alice.account)
    start = ape.chain.blocks.head.timestamp
    assert records.meetsPolicy(alice.subject, no_penalty_policy)
    assert records.validUntil(alice.subject, schemas.tax_penalty) == 0
    ape.chain.mine(timestamp=start + 15 * DAY)  # the short stay lapsed
    assert records.isValid(short) and not records.isValid(long)
    assert not records.meetsPolicy(alice.subject, no_penalty_policy)
    assert (
        records.validUntil(alice.subject, schemas.tax_penalty) == records.getRecord(short).expiresAt
    )
    records.resolveDispute(short, False, evidence("r"), sender=arbiter)  # overturned
    assert records.meetsPolicy(alice.subject, no_penalty_policy)  # long is still stayed
    ape.chain.mine(timestamp=start + 31 * DAY)
    assert not records.meetsPolicy(alice.subject, no_penalty_policy)
    assert records.hasValidRecord(alice.subject, schemas.tax_penalty)
