"""Milestones of research/project awards: only the grantee submits (Allo #685), rejected evidence
never comes back unchanged (Allo #71), M-of-N approval pays the grantee's current controller
once, payment is deferred while paused or while the grantee is ineligible."""

from __future__ import annotations

from typing import Any

import pytest
from reverts import reverts

from civic_ledger.fund.client import AwardStatus, MilestoneStatus, RoundKind

from .fund_world import UNIT, FundWorld, h


@pytest.fixture(scope="module")
def grant(world: FundWorld) -> int:
    """An active research award to ent_a: milestones of 100 (due in 60 days) and 200 (120 days)."""
    round_id = world.create_round(kind=RoundKind.RESEARCH, budget=1_000 * UNIT)
    return world.awarded(world.apply_grant(round_id, "ent_a", amounts=(100 * UNIT, 200 * UNIT)))


def submit(world: FundWorld, app_id: int, index: int, evidence: str, who: str = "ent_a") -> Any:
    return world.gf.submitMilestone(
        app_id, index, h(evidence), sender=world.enterprises[who].account
    )


def test_grantee_submits_and_m_of_n_approval_pays(world: FundWorld, grant: int) -> None:
    ent = world.enterprises["ent_a"]
    receipt = submit(world, grant, 0, "report-1")
    (event,) = world.gf.MilestoneSubmitted.from_receipt(receipt)
    assert (event.operator, bytes(event.evidenceHash), event.submission) == (
        ent.account.address,
        h("report-1"),
        1,
    )
    milestone = world.gf.getMilestone(grant, 0)
    assert milestone.status == MilestoneStatus.SUBMITTED and bytes(milestone.evidenceHash) == h(
        "report-1"
    )

    before = world.balance(ent.account)
    first, second = world.approve_milestone(grant, 0)
    assert not world.gf.MilestonePaid.from_receipt(first)
    (approved,) = world.gf.MilestoneApproved.from_receipt(second)
    assert list(approved.approvers) == [m.address for m in world.committee[:2]]
    (paid,) = world.gf.MilestonePaid.from_receipt(second)
    assert (paid.payee, paid.amount, paid.operator) == (
        ent.account.address,
        100 * UNIT,
        world.committee[1].address,
    )
    assert world.balance(ent.account) - before == 100 * UNIT
    assert world.gf.getMilestone(grant, 0).status == MilestoneStatus.PAID
    assert world.gf.getAward(grant).paid == 100 * UNIT
    assert world.conserved()


@pytest.mark.parametrize("who", ["outsider", "committee", "other_enterprise", "fund_manager"])
def test_only_the_grantee_submits(world: FundWorld, grant: int, outsider: Any, who: str) -> None:
    caller = {
        "outsider": outsider,
        "committee": world.committee[0],
        "other_enterprise": world.enterprises["ent_b"].account,
        "fund_manager": world.fund_manager,
    }[who]
    with reverts("GrantFundNotGrantee", account=caller.address):
        world.gf.submitMilestone(grant, 0, h("fake"), sender=caller)
    assert world.gf.getMilestone(grant, 0).status == MilestoneStatus.PENDING


def test_grantee_is_the_current_controller(world: FundWorld, grant: int) -> None:
    old = world.enterprises["ent_a"].account
    spare = world.agency["court"]  # a wallet controlling no identity
    world.identities.proposeController(spare, sender=old)
    world.identities.acceptController(world.enterprises["ent_a"].subject, sender=spare)
    with reverts("GrantFundNotGrantee", account=old.address):
        world.gf.submitMilestone(grant, 0, h("r"), sender=old)
    world.gf.submitMilestone(grant, 0, h("r"), sender=spare)
    before = world.balance(spare)
    world.approve_milestone(grant, 0)
    assert world.balance(spare) - before == 100 * UNIT  # paid to the current controller


def test_suspended_grantee_cannot_submit(world: FundWorld, grant: int) -> None:
    """A suspended enterprise's wallet (e.g. a reported stolen key) cannot act for it."""
    ent = world.enterprises["ent_a"]
    office = world.agency["identity_office"]
    world.identities.setStatus(ent.subject, 2, h("stolen key"), sender=office)
    with reverts("GrantFundNotGrantee", account=ent.account.address):
        world.gf.submitMilestone(grant, 0, h("r"), sender=ent.account)
    world.identities.setStatus(ent.subject, 1, h("reinstated"), sender=office)
    world.gf.submitMilestone(grant, 0, h("r"), sender=ent.account)
    assert world.gf.getMilestone(grant, 0).status != MilestoneStatus.PENDING


def test_rejected_evidence_cannot_be_resubmitted_unchanged(world: FundWorld, grant: int):
    submit(world, grant, 0, "draft")
    m1, m2, m3 = world.committee
    world.gf.voteOnMilestone(grant, 0, False, sender=m1)
    receipt = world.gf.voteOnMilestone(grant, 0, False, sender=m2)
    (rejected,) = world.gf.MilestoneRejected.from_receipt(receipt)
    assert bytes(rejected.evidenceHash) == h("draft")
    assert list(rejected.rejecters) == [m1.address, m2.address]
    assert world.gf.getMilestone(grant, 0).status == MilestoneStatus.REJECTED
    assert world.gf.isEvidenceRejected(grant, 0, h("draft"))

    with reverts("GrantFundEvidenceRejected", evidenceHash=h("draft")):
        submit(world, grant, 0, "draft")
    submit(world, grant, 0, "final")
    # a fresh ballot: the members who rejected the draft vote again on the new evidence
    world.gf.voteOnMilestone(grant, 0, True, sender=m1)
    world.gf.voteOnMilestone(grant, 0, True, sender=m3)
    assert world.gf.getMilestone(grant, 0).status == MilestoneStatus.PAID
    assert world.gf.getMilestone(grant, 0).submissions == 2

    # and an earlier rejected hash stays refused forever, not only the last one
    submit(world, grant, 1, "a")
    world.reject_milestone(grant, 1)
    submit(world, grant, 1, "b")
    world.reject_milestone(grant, 1)
    with reverts("GrantFundEvidenceRejected", evidenceHash=h("a")):
        submit(world, grant, 1, "a")


def test_submitted_or_paid_milestones_cannot_be_resubmitted(world: FundWorld, grant: int):
    submit(world, grant, 0, "r1")
    with reverts("GrantFundWrongMilestoneStatus", status=MilestoneStatus.SUBMITTED):
        submit(world, grant, 0, "r2")
    world.approve_milestone(grant, 0)
    with reverts("GrantFundWrongMilestoneStatus", status=MilestoneStatus.PAID):
        submit(world, grant, 0, "r3")


def test_milestone_votes(world: FundWorld, grant: int, outsider: Any) -> None:
    with reverts("GrantFundWrongMilestoneStatus", status=MilestoneStatus.PENDING):
        world.gf.voteOnMilestone(grant, 0, True, sender=world.committee[0])
    submit(world, grant, 0, "r")
    with reverts("GrantFundNotCommitteeMember"):
        world.gf.voteOnMilestone(grant, 0, True, sender=outsider)
    world.gf.voteOnMilestone(grant, 0, True, sender=world.committee[0])
    with reverts("GrantFundAlreadyVoted"):
        world.gf.voteOnMilestone(grant, 0, False, sender=world.committee[0])
    yes, no = world.gf.milestoneVotes(grant, 0)
    assert list(yes) == [world.committee[0].address] and list(no) == []
    with reverts("GrantFundUnknownMilestone", index=2):
        world.gf.voteOnMilestone(grant, 2, True, sender=world.committee[0])


def test_evidence_hash_is_required_and_due_date_enforced(world: FundWorld, grant: int) -> None:
    with reverts("GrantFundZeroHash"):
        world.gf.submitMilestone(grant, 0, b"\x00" * 32, sender=world.enterprises["ent_a"].account)
    due = world.gf.getMilestone(grant, 0).dueDate
    world.chain.pending_timestamp = due + 1
    with reverts("GrantFundMilestoneOverdue", dueDate=due):
        submit(world, grant, 0, "late")
    submit(world, grant, 1, "on time")  # milestone 1 is due later


def test_pause_defers_payment_until_unpaused(world: FundWorld, grant: int, outsider: Any):
    submit(world, grant, 0, "r")
    world.gf.pause(sender=world.guardian)
    before = world.balance(world.gf)
    world.approve_milestone(grant, 0)  # votes continue, money does not move
    assert world.gf.getMilestone(grant, 0).status == MilestoneStatus.APPROVED
    assert world.balance(world.gf) == before
    with reverts("CityContractStopped", target=world.gf.address):
        world.gf.payMilestone(grant, 0, sender=outsider)
    world.gf.unpause(sender=world.agency["deployer"])
    receipt = world.gf.payMilestone(grant, 0, sender=outsider)
    (paid,) = world.gf.MilestonePaid.from_receipt(receipt)
    assert paid.operator == outsider.address and paid.amount == 100 * UNIT
    with reverts("GrantFundWrongMilestoneStatus", status=MilestoneStatus.PAID):
        world.gf.payMilestone(grant, 0, sender=outsider)  # no double payment


def test_ineligible_grantee_is_not_paid(world: FundWorld, grant: int, outsider: Any) -> None:
    ent = world.enterprises["ent_a"]
    submit(world, grant, 0, "r")
    world.make_ineligible("ent_a")
    before = world.balance(ent.account)
    world.approve_milestone(grant, 0)
    assert world.gf.getMilestone(grant, 0).status == MilestoneStatus.APPROVED
    with reverts("GrantFundIneligible", subject=ent.subject):
        world.gf.payMilestone(grant, 0, sender=outsider)
    assert world.balance(ent.account) == before
    world.make_eligible("ent_a")
    world.gf.payMilestone(grant, 0, sender=outsider)
    assert world.balance(ent.account) - before == 100 * UNIT


def test_unapproved_milestones_are_never_paid(world: FundWorld, grant: int, outsider: Any):
    with reverts("GrantFundWrongMilestoneStatus", status=MilestoneStatus.PENDING):
        world.gf.payMilestone(grant, 0, sender=outsider)
    submit(world, grant, 0, "r")
    world.gf.voteOnMilestone(grant, 0, True, sender=world.committee[0])  # 1 of 2
    with reverts("GrantFundWrongMilestoneStatus", status=MilestoneStatus.SUBMITTED):
        world.gf.payMilestone(grant, 0, sender=outsider)


def test_award_completes_when_every_milestone_is_paid(world: FundWorld, grant: int) -> None:
    submit(world, grant, 1, "second first")  # milestones may be delivered in any order
    world.approve_milestone(grant, 1)
    assert world.gf.getAward(grant).status == AwardStatus.ACTIVE
    submit(world, grant, 0, "first")
    receipts = world.approve_milestone(grant, 0)
    (completed,) = world.gf.AwardCompleted.from_receipt(receipts[-1])
    assert completed.appId == grant
    award = world.gf.getAward(grant)
    assert (award.status, award.paid) == (AwardStatus.COMPLETED, 300 * UNIT)
    with reverts("GrantFundAwardNotActive", status=AwardStatus.COMPLETED):
        submit(world, grant, 0, "again")


def test_rent_awards_have_no_milestones(world: FundWorld) -> None:
    round_id = world.create_round(kind=RoundKind.RENT)
    app_id = world.awarded(world.apply_rent(round_id, "ent_a"))
    with reverts("GrantFundUnknownMilestone"):
        submit(world, app_id, 0, "r")


def test_unawarded_applications_take_no_milestones(world: FundWorld) -> None:
    round_id = world.create_round(kind=RoundKind.RESEARCH)
    app_id = world.apply_grant(round_id, "ent_a")
    with reverts("GrantFundAwardNotActive"):
        submit(world, app_id, 0, "r")
    assert world.gf.getAward(app_id).status == 0
