"""The pause story (issue #12 finding 12) for the identity domain: the guardian's pause and the
AccessManager's `setTargetClosed` stop IdentityRegistry and RecordRegistry (before the
conversion neither could be paused, and both ignored a closed target), with the exceptions
their rules blocks name: `cancelRecovery` (a victim can always stop a recovery) and
`dispute` / `lapseStay` (due process: a record still counts during a pause) continue during a
pause; closing stops everything. Views always answer."""

from __future__ import annotations

import ape
import pytest
from reverts import reverts
from shared_fixtures import set_target_closed

from civic_ledger.identity.client import Kind
from civic_ledger.identity.records import RecordRequest, sign_issue

from .helpers import DAY, evidence, subject_for, word


@pytest.fixture
def penalties(records, schemas, alice, issue):
    """Two adverse records about alice: one to dispute, one disputed whose stay has ended."""
    fresh = issue(schemas.tax_penalty, alice.subject)
    stayed = issue(schemas.tax_penalty, alice.subject, evidence_hash=evidence("second"))
    records.dispute(stayed, evidence("appeal"), sender=alice.account)
    return fresh, stayed


def _past_the_stay(records, record_id) -> None:
    ape.chain.mine(timestamp=int(records.getRecord(record_id).stayUntil) + 1)


# ------------------------------------------------------------------------------ IdentityRegistry


def _identity_cases(identity, office, alice, bob, citizens):
    """A proposal to accept, a proposal to cancel and a ready recovery to complete."""
    identity.proposeController(citizens[3], sender=alice.account)
    identity.proposeController(_fresh(), sender=bob.account)
    identity.initiateRecovery(bob.subject, _fresh(), sender=office)
    ape.chain.mine(timestamp=ape.chain.pending_timestamp + 3 * DAY)


def _fresh() -> str:
    return ape.accounts.test_accounts.generate_test_account().address


def _self_checked_identity_calls(identity, alice, bob, citizens):
    return {
        "acceptController": lambda: identity.acceptController(alice.subject, sender=citizens[3]),
        "proposeController": lambda: identity.proposeController(_fresh(), sender=alice.account),
        "cancelControllerProposal": lambda: identity.cancelControllerProposal(sender=bob.account),
        "completeRecovery": lambda: identity.completeRecovery(bob.subject, sender=alice.account),
    }


def test_closing_the_identity_registry_stops_it(
    identity, manager, admin, office, guardian, alice, bob, citizens
):
    _identity_cases(identity, office, alice, bob, citizens)
    set_target_closed(manager, admin, identity)

    for name, call in _self_checked_identity_calls(identity, alice, bob, citizens).items():
        with reverts("CityContractStopped", target=identity.address):
            call()
        print(f"closed: {name} refused")
    # closing stops cancelRecovery too (nothing can complete a recovery either)
    with reverts("CityContractStopped", target=identity.address):
        identity.cancelRecovery(bob.subject, sender=guardian)
    # restricted functions: the manager refuses calls to a closed target
    with reverts("AccessManagedUnauthorized", caller=office.address):
        identity.register(subject_for("closed"), _fresh(), Kind.PERSON, sender=office)
    # views answer (other contracts keep reading identities)
    assert identity.activeControllerOf(alice.subject) == alice.account.address
    assert not identity.isOpen()

    set_target_closed(manager, admin, identity, False)
    identity.acceptController(alice.subject, sender=citizens[3])
    assert identity.controllerOf(alice.subject) == citizens[3].address


def test_pausing_the_identity_registry_stops_it_except_cancel_recovery(
    identity, admin, office, guardian, alice, bob, citizens
):
    _identity_cases(identity, office, alice, bob, citizens)
    identity.pause(sender=guardian)
    assert not identity.isOpen()

    for call in _self_checked_identity_calls(identity, alice, bob, citizens).values():
        with reverts("CityContractStopped", target=identity.address):
            call()
    with reverts("EnforcedPause"):
        identity.register(subject_for("paused"), _fresh(), Kind.PERSON, sender=office)
    with reverts("EnforcedPause"):
        identity.setStatus(alice.subject, 2, b"X".ljust(32, b"\x00"), sender=office)
    assert identity.activeControllerOf(bob.subject) == bob.account.address

    # the victim (the Active controller) stops the recovery while the registry is paused
    receipt = identity.cancelRecovery(bob.subject, sender=bob.account)
    [cancelled] = identity.RecoveryCancelled.from_receipt(receipt)
    assert (cancelled.subject, cancelled.operator) == (bob.subject, bob.account.address)
    assert identity.pendingRecovery(bob.subject).readyAt == 0

    # the guardian stops, only the admin resumes
    with reverts("AccessManagedUnauthorized"):
        identity.unpause(sender=guardian)
    identity.unpause(sender=admin)
    assert identity.isOpen()
    identity.acceptController(alice.subject, sender=citizens[3])


# ------------------------------------------------------------------------------ RecordRegistry


def _self_checked_record_calls(records, schemas, alice, tax_bureau, outsider, fresh):
    compliant = RecordRequest(schemas.tax_ok, alice.subject, data=word(2026))
    request = compliant.as_tuple()
    signed = sign_issue(
        records,
        compliant,
        tax_bureau,
        deadline=ape.chain.pending_timestamp + DAY,
    )
    return {
        "issue": lambda: records.issue(request, sender=tax_bureau),
        "issueBatch": lambda: records.issueBatch([request], sender=tax_bureau),
        "issueWithSignature": lambda: records.issueWithSignature(
            signed.request.as_tuple(),
            signed.signer,
            signed.deadline,
            signed.signature,
            sender=outsider,
        ),
        "revoke": lambda: records.revoke(fresh, 1, b"\x00" * 32, sender=tax_bureau),
        "revokeBatch": lambda: records.revokeBatch([fresh], 1, b"\x00" * 32, sender=tax_bureau),
        "invalidateNonces": lambda: records.invalidateNonces(1, sender=tax_bureau),
    }


def test_closing_the_record_registry_stops_it(
    records, manager, admin, schemas, alice, tax_bureau, data_bureau, outsider, penalties
):
    fresh, stayed = penalties
    _past_the_stay(records, stayed)
    calls = _self_checked_record_calls(records, schemas, alice, tax_bureau, outsider, fresh)
    set_target_closed(manager, admin, records)

    for name, call in calls.items():
        with reverts("CityContractStopped", target=records.address):
            call()
        print(f"closed: {name} refused")
    # closing stops due process too (the pause exceptions do not survive a closure)
    with reverts("CityContractStopped", target=records.address):
        records.dispute(fresh, evidence("appeal"), sender=alice.account)
    with reverts("CityContractStopped", target=records.address):
        records.lapseStay(stayed, sender=outsider)
    with reverts("AccessManagedUnauthorized", caller=data_bureau.address):
        records.setSchemaActive(schemas.tax_ok, False, sender=data_bureau)
    assert records.isValid(fresh)
    assert not records.isOpen()


def test_pausing_the_record_registry_stops_issuers_but_not_due_process(
    records, admin, guardian, schemas, alice, tax_bureau, data_bureau, arbiter, outsider, penalties
):
    fresh, stayed = penalties
    records.setPolicy(7, "no-penalty", [], [schemas.tax_penalty], sender=data_bureau)
    calls = _self_checked_record_calls(records, schemas, alice, tax_bureau, outsider, fresh)
    records.pause(sender=guardian)
    assert not records.isOpen()

    for call in calls.values():
        with reverts("CityContractStopped", target=records.address):
            call()
    with reverts("EnforcedPause"):
        records.setSchemaActive(schemas.tax_ok, False, sender=data_bureau)
    with reverts("EnforcedPause"):
        records.resolveDispute(stayed, True, evidence("ruling"), sender=arbiter)

    # due process continues: the subject disputes (the record stops counting during its stay)
    assert not records.meetsPolicy(alice.subject, 7)
    receipt = records.dispute(fresh, evidence("appeal"), sender=alice.account)
    assert records.RecordDisputed.from_receipt(receipt)[0].operator == alice.account.address
    assert not records.isValid(fresh)
    assert records.meetsPolicy(alice.subject, 7)
    # ...and anyone reports a lapsed stay
    _past_the_stay(records, stayed)
    receipt = records.lapseStay(stayed, sender=outsider)
    assert records.DisputeStayLapsed.from_receipt(receipt)[0].recordId == stayed

    records.unpause(sender=admin)
    calls["issue"]()
