"""IdentityRegistry: registration (single and batch), status lifecycle, key rotation and
delayed recovery — every rule and every unauthorised caller."""

from __future__ import annotations

from typing import Any

import ape
import pytest
from eth_utils import to_checksum_address
from reverts import reverts

from civic_ledger.core.encoding import ZERO32
from civic_ledger.identity.client import Kind, Status

from .helpers import DAY, Party, callers, subject_for

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
REASON = b"FRAUD-INQUIRY".ljust(32, b"\x00")


# --------------------------------------------------------------------------------------------
# register / registerBatch
# --------------------------------------------------------------------------------------------


def test_register_stores_identity_and_names_the_office(identity, office, citizens):
    subject = subject_for("dora")
    before = identity.identityCount()
    receipt = identity.register(subject, citizens[3], Kind.PERSON, sender=office)

    assert identity.controllerOf(subject) == citizens[3].address
    assert identity.subjectOf(citizens[3]) == subject
    assert identity.kindOf(subject) == Kind.PERSON
    assert identity.statusOf(subject) == Status.ACTIVE
    assert identity.isActive(subject)
    assert identity.identityCount() == before + 1
    stored = identity.identityOf(subject)
    assert stored.registeredAt == ape.chain.blocks.head.timestamp
    [event] = identity.IdentityRegistered.from_receipt(receipt)
    assert event.subject == subject
    assert event.controller == citizens[3].address
    assert event.kind == Kind.PERSON
    assert event.operator == office.address


def test_unknown_subject_reads_as_empty(identity, outsider):
    subject = subject_for("nobody")
    assert identity.controllerOf(subject) == ZERO_ADDRESS
    assert identity.kindOf(subject) == 0
    assert identity.statusOf(subject) == 0
    assert not identity.isActive(subject)
    assert identity.subjectOf(outsider) == ZERO32


def test_register_is_identity_office_only(identity, agency, outsider, citizens):
    not_office = "tax_bureau data_bureau emergency_guardian deployer"
    for caller in callers(agency, not_office, outsider, citizens[0]):
        with reverts("AccessManagedUnauthorized", caller=caller.address):
            identity.register(subject_for("x"), citizens[0], Kind.PERSON, sender=caller)
        with reverts("AccessManagedUnauthorized", caller=caller.address):
            identity.registerBatch([(subject_for("y"), citizens[1], Kind.PERSON)], sender=caller)
    assert identity.identityCount() == 0


def test_register_rejects_bad_input(identity, office, citizens, alice):
    before = identity.identityCount()
    with reverts("IdentityZeroSubject"):
        identity.register(ZERO32, citizens[3], Kind.PERSON, sender=office)
    with reverts("IdentityZeroController"):
        identity.register(subject_for("z"), ZERO_ADDRESS, Kind.PERSON, sender=office)
    with reverts("IdentityInvalidKind"):
        identity.register(subject_for("z"), citizens[3], 0, sender=office)
    with reverts("IdentityAlreadyRegistered"):
        identity.register(alice.subject, citizens[3], Kind.PERSON, sender=office)
    with reverts("IdentityControllerInUse"):
        identity.register(subject_for("z"), alice.account, Kind.PERSON, sender=office)
    assert identity.identityCount() == before


def test_register_rejects_out_of_range_kind(identity, office, citizens):
    # Kind 4 is outside the enum: the ABI decoder refuses it before any state changes.
    before = identity.identityCount()
    with ape.reverts():
        identity.register(subject_for("z"), citizens[3], 4, sender=office)
    assert identity.identityCount() == before


def fresh_wallet(i: int) -> str:
    """An address no test account uses (batch entries need distinct unused controllers)."""
    return to_checksum_address(f"0x{0xC0FFEE00 + i:040x}")


def test_register_batch_registers_every_entry(identity, office):
    entries = [
        (
            subject_for(f"batch-{i}"),
            fresh_wallet(i),
            (Kind.PERSON, Kind.ENTERPRISE, Kind.AGENCY)[i % 3],
        )
        for i in range(4)
    ]
    before = identity.identityCount()
    receipt = identity.registerBatch(entries, sender=office)

    assert identity.identityCount() == before + 4
    for subject, controller, kind in entries:
        assert identity.controllerOf(subject) == controller
        assert identity.subjectOf(controller) == subject
        assert identity.kindOf(subject) == kind
        assert identity.isActive(subject)
    events = identity.IdentityRegistered.from_receipt(receipt)
    assert [e.subject for e in events] == [e[0] for e in entries]
    assert all(e.operator == office.address for e in events)


def test_register_batch_is_all_or_nothing(identity, office):
    entries = [
        (subject_for("ok-1"), fresh_wallet(1), Kind.PERSON),
        (subject_for("ok-2"), fresh_wallet(1), Kind.PERSON),  # same controller twice
    ]
    before = identity.identityCount()
    with reverts("IdentityControllerInUse"):
        identity.registerBatch(entries, sender=office)
    assert identity.identityCount() == before
    assert not identity.isActive(subject_for("ok-1"))


def test_register_batch_size_limits(identity, office):
    with reverts("CityInvalidBatchSize"):
        identity.registerBatch([], sender=office)
    limit = identity.MAX_BATCH_SIZE()
    too_many = [(subject_for(f"n{i}"), fresh_wallet(i), Kind.PERSON) for i in range(limit + 1)]
    with reverts("CityInvalidBatchSize", size=limit + 1, min=1, max=limit):
        identity.registerBatch(too_many, sender=office)


# --------------------------------------------------------------------------------------------
# status lifecycle
# --------------------------------------------------------------------------------------------


ALLOWED = {
    (Status.ACTIVE, Status.SUSPENDED),
    (Status.ACTIVE, Status.CLOSED),
    (Status.SUSPENDED, Status.ACTIVE),
    (Status.SUSPENDED, Status.CLOSED),
}


def _bring_to(identity: Any, office: Any, subject: bytes, status: int) -> None:
    if status == Status.SUSPENDED:
        identity.setStatus(subject, Status.SUSPENDED, REASON, sender=office)
    elif status == Status.CLOSED:
        identity.setStatus(subject, Status.CLOSED, REASON, sender=office)


@pytest.mark.parametrize("start", [Status.ACTIVE, Status.SUSPENDED, Status.CLOSED])
@pytest.mark.parametrize("target", [0, Status.ACTIVE, Status.SUSPENDED, Status.CLOSED])
def test_status_transitions(identity, office, alice, start, target):
    _bring_to(identity, office, alice.subject, start)
    if (start, target) in ALLOWED:
        receipt = identity.setStatus(alice.subject, target, REASON, sender=office)
        assert identity.statusOf(alice.subject) == target
        assert identity.isActive(alice.subject) == (target == Status.ACTIVE)
        [event] = identity.IdentityStatusChanged.from_receipt(receipt)
        assert (event.subject, event.to, event.reasonCode) == (alice.subject, target, REASON)
        assert getattr(event, "from") == start
        assert event.operator == office.address
    else:
        with reverts("IdentityInvalidStatusTransition"):
            identity.setStatus(alice.subject, target, REASON, sender=office)
        assert identity.statusOf(alice.subject) == start


def test_status_needs_reason_and_known_subject(identity, office, alice):
    with reverts("IdentityMissingReason"):
        identity.setStatus(alice.subject, Status.SUSPENDED, ZERO32, sender=office)
    with reverts("IdentityUnknownSubject"):
        identity.setStatus(subject_for("ghost"), Status.SUSPENDED, REASON, sender=office)


def test_status_is_identity_office_only(identity, alice, agency, outsider):
    for caller in (outsider, alice.account, agency["arbitration_office"], agency["deployer"]):
        with reverts("AccessManagedUnauthorized"):
            identity.setStatus(alice.subject, Status.SUSPENDED, REASON, sender=caller)
    assert identity.isActive(alice.subject)


# --------------------------------------------------------------------------------------------
# rotation
# --------------------------------------------------------------------------------------------


def test_controller_rotates_own_key_in_two_steps(identity, alice, citizens):
    new = citizens[3]
    receipt = identity.proposeController(new, sender=alice.account)
    [proposed] = identity.ControllerProposed.from_receipt(receipt)
    assert (proposed.subject, proposed.operator, proposed.newController) == (
        alice.subject,
        alice.account.address,
        new.address,
    )
    assert identity.proposedControllerOf(alice.subject) == new.address
    assert identity.controllerOf(alice.subject) == alice.account.address  # nothing moved yet

    receipt = identity.acceptController(alice.subject, sender=new)
    assert identity.controllerOf(alice.subject) == new.address
    assert identity.subjectOf(new) == alice.subject
    assert identity.subjectOf(alice.account) == ZERO32
    assert identity.proposedControllerOf(alice.subject) == ZERO_ADDRESS
    [event] = identity.ControllerRotated.from_receipt(receipt)
    assert event.previousController == alice.account.address
    assert event.newController == new.address
    assert event.operator == new.address
    # the old wallet lost control
    with reverts("IdentityNotController"):
        identity.proposeController(alice.account, sender=alice.account)


def test_rotation_rules(identity, office, alice, bob, citizens, outsider):
    with reverts("IdentityNotController"):
        identity.proposeController(outsider, sender=outsider)
    with reverts("IdentityControllerInUse"):
        identity.proposeController(bob.account, sender=alice.account)
    with reverts("IdentityZeroController"):
        identity.proposeController(ZERO_ADDRESS, sender=alice.account)
    # only the proposed wallet accepts, and only for the identity that proposed it
    identity.proposeController(citizens[3], sender=alice.account)
    for caller in (outsider, bob.account, alice.account, office):
        with reverts("IdentityNotProposedController"):
            identity.acceptController(alice.subject, sender=caller)
    with reverts("IdentityNotProposedController"):
        identity.acceptController(bob.subject, sender=citizens[3])
    # a suspension (e.g. of a stolen key) clears the proposal; a suspended identity cannot
    # propose, and after reinstatement the old proposal cannot be accepted
    receipt = identity.setStatus(alice.subject, Status.SUSPENDED, REASON, sender=office)
    [cleared] = identity.ControllerProposalCancelled.from_receipt(receipt)
    assert (cleared.operator, cleared.newController) == (office.address, citizens[3].address)
    with reverts("IdentityNotActive"):
        identity.proposeController(outsider, sender=alice.account)
    with reverts("IdentityNotProposedController"):
        identity.acceptController(alice.subject, sender=citizens[3])
    identity.setStatus(alice.subject, Status.ACTIVE, REASON, sender=office)
    with reverts("IdentityNotProposedController"):
        identity.acceptController(alice.subject, sender=citizens[3])
    identity.proposeController(citizens[3], sender=alice.account)
    identity.acceptController(alice.subject, sender=citizens[3])
    assert identity.controllerOf(alice.subject) == citizens[3].address


def test_rotation_proposal_is_replaced_and_cancelled(identity, alice, citizens, outsider):
    identity.proposeController(citizens[3], sender=alice.account)
    receipt = identity.proposeController(outsider, sender=alice.account)
    [replaced] = identity.ControllerProposalCancelled.from_receipt(receipt)
    assert (replaced.subject, replaced.operator, replaced.newController) == (
        alice.subject,
        alice.account.address,
        citizens[3].address,
    )
    with reverts("IdentityNotProposedController"):
        identity.acceptController(alice.subject, sender=citizens[3])
    receipt = identity.cancelControllerProposal(sender=alice.account)
    [cancelled] = identity.ControllerProposalCancelled.from_receipt(receipt)
    assert cancelled.newController == outsider.address
    assert identity.proposedControllerOf(alice.subject) == ZERO_ADDRESS
    with reverts("IdentityNotProposedController"):
        identity.acceptController(alice.subject, sender=outsider)
    with reverts("IdentityNoControllerProposal"):
        identity.cancelControllerProposal(sender=alice.account)
    with reverts("IdentityNotController"):
        identity.cancelControllerProposal(sender=outsider)


def test_a_completed_recovery_clears_a_pending_rotation(
    identity, office, alice, citizens, outsider
):
    identity.proposeController(outsider, sender=alice.account)
    identity.initiateRecovery(alice.subject, citizens[3], sender=office)
    ape.chain.pending_timestamp += identity.recoveryDelay()
    receipt = identity.completeRecovery(alice.subject, sender=office)
    [cleared] = identity.ControllerProposalCancelled.from_receipt(receipt)
    assert (cleared.subject, cleared.newController) == (alice.subject, outsider.address)
    with reverts("IdentityNotProposedController"):
        identity.acceptController(alice.subject, sender=outsider)
    assert identity.controllerOf(alice.subject) == citizens[3].address


def test_exploit_rotation_cannot_squat_a_pending_recovery_target(
    identity, office, alice, bob, citizens
):
    """Finding 6: bob's controller pushes bob's identity onto the wallet alice's recovery is
    about to hand control to. Without that wallet's acceptance nothing moves, and the
    recovery completes."""
    target = citizens[3]
    identity.initiateRecovery(alice.subject, target, sender=office)
    identity.proposeController(target, sender=bob.account)  # the squatting attempt
    assert identity.subjectOf(target) == ZERO32
    ape.chain.pending_timestamp += identity.recoveryDelay()
    identity.completeRecovery(alice.subject, sender=office)
    assert identity.controllerOf(alice.subject) == target.address
    with reverts("IdentityControllerInUse"):  # too late to accept for bob
        identity.acceptController(bob.subject, sender=target)
    assert identity.controllerOf(bob.subject) == bob.account.address


def test_exploit_rotation_cannot_squat_a_wallet_about_to_be_registered(
    identity, office, bob, citizens
):
    """Finding 6: a wallet the identity office is about to register stays free."""
    wallet = citizens[3]
    identity.proposeController(wallet, sender=bob.account)
    carol = subject_for("carol")
    identity.register(carol, wallet, Kind.PERSON, sender=office)
    assert identity.controllerOf(carol) == wallet.address


# --------------------------------------------------------------------------------------------
# recovery
# --------------------------------------------------------------------------------------------


def test_recovery_takes_effect_only_after_the_delay(identity, office, alice, citizens, outsider):
    new = citizens[3]
    delay = identity.recoveryDelay()
    assert delay == 2 * DAY
    receipt = identity.initiateRecovery(alice.subject, new, sender=office)
    started = ape.chain.blocks.head.timestamp
    [event] = identity.RecoveryInitiated.from_receipt(receipt)
    assert (event.newController, event.readyAt, event.operator) == (
        new.address,
        started + delay,
        office.address,
    )
    assert identity.pendingRecovery(alice.subject).newController == new.address

    with reverts("IdentityRecoveryNotReady"):
        identity.completeRecovery(alice.subject, sender=outsider)
    ape.chain.pending_timestamp = started + delay - 2
    with reverts("IdentityRecoveryNotReady"):
        identity.completeRecovery(alice.subject, sender=outsider)
    assert identity.controllerOf(alice.subject) == alice.account.address

    ape.chain.pending_timestamp = started + delay
    receipt = identity.completeRecovery(alice.subject, sender=outsider)
    assert identity.controllerOf(alice.subject) == new.address
    assert identity.subjectOf(new) == alice.subject
    assert identity.subjectOf(alice.account) == ZERO32
    assert identity.pendingRecovery(alice.subject).readyAt == 0
    [done] = identity.RecoveryCompleted.from_receipt(receipt)
    assert (done.previousController, done.newController, done.operator) == (
        alice.account.address,
        new.address,
        outsider.address,
    )
    with reverts("IdentityNoPendingRecovery"):
        identity.completeRecovery(alice.subject, sender=outsider)


def test_recovery_of_a_suspended_identity_and_reactivation(identity, office, alice, citizens):
    """The stolen-key flow: suspend (the thief can no longer cancel or rotate), recover,
    reactivate."""
    thief_wallet = alice.account
    identity.setStatus(alice.subject, Status.SUSPENDED, REASON, sender=office)
    identity.initiateRecovery(alice.subject, citizens[3], sender=office)
    with reverts("IdentityUnauthorizedCancel"):
        identity.cancelRecovery(alice.subject, sender=thief_wallet)
    ape.chain.pending_timestamp += identity.recoveryDelay()
    identity.completeRecovery(alice.subject, sender=citizens[3])
    identity.setStatus(alice.subject, Status.ACTIVE, REASON, sender=office)
    assert identity.controllerOf(alice.subject) == citizens[3].address
    assert identity.isActive(alice.subject)


def test_recovery_initiation_rules(identity, office, alice, bob, citizens, agency, outsider):
    for caller in (outsider, alice.account, agency["emergency_guardian"], agency["deployer"]):
        with reverts("AccessManagedUnauthorized"):
            identity.initiateRecovery(alice.subject, citizens[3], sender=caller)
    with reverts("IdentityUnknownSubject"):
        identity.initiateRecovery(subject_for("ghost"), citizens[3], sender=office)
    with reverts("IdentityControllerInUse"):
        identity.initiateRecovery(alice.subject, bob.account, sender=office)
    with reverts("IdentityZeroController"):
        identity.initiateRecovery(alice.subject, ZERO_ADDRESS, sender=office)
    identity.setStatus(alice.subject, Status.CLOSED, REASON, sender=office)
    with reverts("IdentityNotActive"):
        identity.initiateRecovery(alice.subject, citizens[3], sender=office)


def test_reinitiating_replaces_and_restarts(identity, office, alice, citizens, outsider):
    identity.initiateRecovery(alice.subject, citizens[3], sender=office)
    ape.chain.pending_timestamp += DAY
    identity.initiateRecovery(alice.subject, outsider, sender=office)
    ape.chain.pending_timestamp += DAY + 60
    with reverts("IdentityRecoveryNotReady"):
        identity.completeRecovery(alice.subject, sender=office)
    ape.chain.pending_timestamp += DAY
    identity.completeRecovery(alice.subject, sender=office)
    assert identity.controllerOf(alice.subject) == outsider.address


@pytest.mark.parametrize("who", ["controller", "guardian", "office"])
def test_recovery_can_be_cancelled(identity, office, alice, citizens, guardian, who):
    canceller = {"controller": alice.account, "guardian": guardian, "office": office}[who]
    identity.initiateRecovery(alice.subject, citizens[3], sender=office)
    receipt = identity.cancelRecovery(alice.subject, sender=canceller)
    [event] = identity.RecoveryCancelled.from_receipt(receipt)
    assert event.newController == citizens[3].address
    assert event.operator == canceller.address
    assert identity.pendingRecovery(alice.subject).readyAt == 0
    ape.chain.pending_timestamp += identity.recoveryDelay()
    with reverts("IdentityNoPendingRecovery"):
        identity.completeRecovery(alice.subject, sender=office)
    assert identity.controllerOf(alice.subject) == alice.account.address


def test_recovery_cancel_is_refused_to_others(
    identity, office, alice, bob, citizens, agency, outsider
):
    with reverts("IdentityNoPendingRecovery"):
        identity.cancelRecovery(alice.subject, sender=alice.account)
    identity.initiateRecovery(alice.subject, citizens[3], sender=office)
    for caller in (outsider, bob.account, citizens[3], agency["tax_bureau"], agency["deployer"]):
        with reverts("IdentityUnauthorizedCancel"):
            identity.cancelRecovery(alice.subject, sender=caller)
    assert identity.pendingRecovery(alice.subject).newController == citizens[3].address


def test_completion_fails_if_the_new_wallet_was_taken(identity, office, alice, citizens, register):
    identity.initiateRecovery(alice.subject, citizens[3], sender=office)
    register("carol", citizens[3])
    ape.chain.pending_timestamp += identity.recoveryDelay()
    with reverts("IdentityControllerInUse"):
        identity.completeRecovery(alice.subject, sender=office)


def test_completion_fails_once_closed(identity, office, alice, citizens):
    identity.initiateRecovery(alice.subject, citizens[3], sender=office)
    identity.setStatus(alice.subject, Status.CLOSED, REASON, sender=office)
    ape.chain.pending_timestamp += identity.recoveryDelay()
    with reverts("IdentityNotActive"):
        identity.completeRecovery(alice.subject, sender=office)


def test_recovery_delay_is_admin_only_and_bounded(identity, agency, office, alice, citizens):
    admin = agency["deployer"]
    for caller in (office, agency["emergency_guardian"], alice.account):
        with reverts("AccessManagedUnauthorized"):
            identity.setRecoveryDelay(3 * DAY, sender=caller)
    with reverts("IdentityRecoveryDelayOutOfRange"):
        identity.setRecoveryDelay(identity.MIN_RECOVERY_DELAY() - 1, sender=admin)
    with reverts("IdentityRecoveryDelayOutOfRange"):
        identity.setRecoveryDelay(identity.MAX_RECOVERY_DELAY() + 1, sender=admin)
    receipt = identity.setRecoveryDelay(3 * DAY, sender=admin)
    assert identity.recoveryDelay() == 3 * DAY
    [event] = identity.RecoveryDelaySet.from_receipt(receipt)
    assert (event.delay, event.operator) == (3 * DAY, admin.address)
    # new recoveries use the new delay
    identity.initiateRecovery(alice.subject, citizens[3], sender=office)
    ape.chain.pending_timestamp += 2 * DAY + 60
    with reverts("IdentityRecoveryNotReady"):
        identity.completeRecovery(alice.subject, sender=office)


def test_party_fixture_is_registered(identity, alice: Party, acme: Party):
    assert identity.kindOf(acme.subject) == Kind.ENTERPRISE
    assert identity.controllerOf(alice.subject) == alice.account.address


def test_exploit_replacing_a_recovery_emits_its_cancellation(
    identity, office, alice, citizens, outsider
):
    """Finding 12: a replaced pending recovery is reported as cancelled."""
    identity.initiateRecovery(alice.subject, citizens[3], sender=office)
    receipt = identity.initiateRecovery(alice.subject, outsider, sender=office)
    cancelled = [log for log in receipt.events if log.event_name == "RecoveryCancelled"]
    assert [(e.subject, e.newController, e.operator) for e in cancelled] == [
        (alice.subject, citizens[3].address, office.address)
    ]
    [started] = identity.RecoveryInitiated.from_receipt(receipt)
    assert started.newController == outsider.address
