"""Issue #12, finding 11: the vote threshold is snapshotted per question when voting opens
(applications at submission, each milestone submission at submission, clawbacks at the first
clawback vote), so changing the committee's threshold mid-ballot changes no decision."""

from __future__ import annotations

from typing import Any

from civic_ledger.fund.client import ApplicationStatus, AwardStatus, MilestoneStatus, RoundKind

from .fund_world import (
    FundWorld,
    h,
)


def _admin(world: FundWorld) -> Any:
    return world.agency["deployer"]


def test_lowering_the_threshold_mid_ballot_does_not_turn_a_no_into_an_approval(
    world: FundWorld,
) -> None:
    """The exploit: 3 members, threshold 3; two vote yes; the admin lowers the threshold to 2;
    the third member votes NO. Judged against the live threshold, yes = 2 >= 2 approved it."""
    gf = world.gf
    gf.setCommittee(3, 3, sender=_admin(world))
    round_id = world.create_round(kind=RoundKind.PROJECT)
    app_id = world.apply_grant(round_id, "ent_a")
    m1, m2, m3 = world.committee
    gf.voteOnApplication(app_id, True, sender=m1)
    gf.voteOnApplication(app_id, True, sender=m2)
    gf.setCommittee(2, 3, sender=_admin(world))
    receipt = gf.voteOnApplication(app_id, False, sender=m3)
    assert not gf.ApplicationApproved.from_receipt(receipt), "a no vote approved the application"
    assert gf.applicationStatus(app_id) == ApplicationStatus.PENDING
    assert gf.getApplication(app_id).threshold == 3  # the threshold it was submitted under


def test_raising_the_threshold_mid_ballot_does_not_block_a_decision(world: FundWorld) -> None:
    gf = world.gf
    round_id = world.create_round(kind=RoundKind.PROJECT)
    app_id = world.apply_grant(round_id, "ent_a")  # submitted at threshold 2
    gf.setCommittee(3, 3, sender=_admin(world))
    world.approve(app_id, voters=2)
    assert gf.applicationStatus(app_id) == ApplicationStatus.APPROVED
    later = world.apply_grant(round_id, "ent_b")  # submitted at threshold 3
    assert gf.getApplication(later).threshold == 3
    world.approve(later, voters=2)
    assert gf.applicationStatus(later) == ApplicationStatus.PENDING


def test_each_milestone_submission_keeps_the_threshold_of_its_submission(
    world: FundWorld,
) -> None:
    gf = world.gf
    round_id = world.create_round(kind=RoundKind.PROJECT)
    app_id = world.awarded(world.apply_grant(round_id, "ent_a"))
    gf.setCommittee(3, 3, sender=_admin(world))
    ent = world.enterprises["ent_a"].account
    gf.submitMilestone(app_id, 0, h("report"), sender=ent)  # ballot opens at threshold 3
    assert gf.getMilestone(app_id, 0).threshold == 3
    gf.setCommittee(2, 3, sender=_admin(world))
    world.approve_milestone(app_id, 0, voters=2)
    assert gf.getMilestone(app_id, 0).status == MilestoneStatus.SUBMITTED  # 2 yes < 3
    gf.voteOnMilestone(app_id, 0, True, sender=world.committee[2])
    assert gf.getMilestone(app_id, 0).status == MilestoneStatus.PAID
    gf.submitMilestone(app_id, 1, h("report 2"), sender=ent)  # a new ballot: threshold 2
    assert gf.getMilestone(app_id, 1).threshold == 2
    world.approve_milestone(app_id, 1, voters=2)
    assert gf.getMilestone(app_id, 1).status == MilestoneStatus.PAID


def test_clawback_threshold_is_fixed_at_the_first_clawback_vote(world: FundWorld) -> None:
    gf = world.gf
    round_id = world.create_round(kind=RoundKind.PROJECT)
    app_id = world.awarded(world.apply_grant(round_id, "ent_a"))
    m1, m2, _ = world.committee
    assert gf.getAward(app_id).clawbackThreshold == 0  # no clawback ballot yet
    gf.voteClawback(app_id, h("misuse"), sender=m1)  # opens the ballot at threshold 2
    assert gf.getAward(app_id).clawbackThreshold == 2
    gf.setCommittee(3, 3, sender=_admin(world))
    gf.voteClawback(app_id, h("misuse"), sender=m2)
    assert gf.getAward(app_id).status == AwardStatus.CLAWED_BACK

    other = world.apply_grant(round_id, "ent_b")  # submitted at threshold 3: needs 3 yes
    assert gf.getApplication(other).threshold == 3
    world.approve(other, voters=3)
    gf.award(other, sender=m1)
    gf.setCommittee(2, 3, sender=_admin(world))
    # the application was decided under 3; its clawback ballot opens now, at 2
    gf.voteClawback(other, h("misuse"), sender=m1)
    gf.voteClawback(other, h("misuse"), sender=m2)
    assert gf.getAward(other).status == AwardStatus.CLAWED_BACK
    assert gf.getAward(app_id).status != AwardStatus.ACTIVE
