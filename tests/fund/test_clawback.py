"""Clawbacks: M distinct committee votes with a reason end an award; its unpaid remainder goes back
to the round (or, after close, to the treasury through `sweep`); paid money is untouched and
nothing more is paid."""

from __future__ import annotations

from typing import Any

import pytest
from reverts import reverts

from civic_ledger.fund.client import AwardStatus, MilestoneStatus, RoundKind

from .fund_world import DAY, UNIT, FundWorld, h


@pytest.fixture(scope="module")
def grant(world: FundWorld) -> tuple[int, int]:
    """(round, award): ent_a's research award of 100 + 200, milestone 0 paid."""
    round_id = world.create_round(kind=RoundKind.RESEARCH, budget=1_000 * UNIT)
    app_id = world.awarded(world.apply_grant(round_id, "ent_a", amounts=(100 * UNIT, 200 * UNIT)))
    world.gf.submitMilestone(app_id, 0, h("m0"), sender=world.enterprises["ent_a"].account)
    world.approve_milestone(app_id, 0)
    return round_id, app_id


def claw(world: FundWorld, app_id: int, voters: int = 2) -> list[Any]:
    return [
        world.gf.voteClawback(app_id, h("fraud finding"), sender=m)
        for m in world.committee[:voters]
    ]


def test_m_votes_release_the_unpaid_remainder(world: FundWorld, grant: tuple[int, int]) -> None:
    round_id, app_id = grant
    available = world.gf.availableOf(round_id)
    first, second = claw(world, app_id)
    (vote,) = world.gf.ClawbackVoted.from_receipt(first)
    assert (vote.operator, bytes(vote.reasonHash), vote.approvals) == (
        world.committee[0].address,
        h("fraud finding"),
        1,
    )
    assert not world.gf.AwardClawedBack.from_receipt(first)
    (event,) = world.gf.AwardClawedBack.from_receipt(second)
    assert (event.operator, event.released) == (world.committee[1].address, 200 * UNIT)
    assert list(event.approvers) == [m.address for m in world.committee[:2]]

    award = world.gf.getAward(app_id)
    assert (award.status, award.paid, award.released) == (
        AwardStatus.CLAWED_BACK,
        100 * UNIT,
        200 * UNIT,
    )
    assert world.gf.availableOf(round_id) == available + 200 * UNIT
    assert world.gf.owedOf(round_id) == 0
    assert world.conserved()


def test_nothing_is_paid_after_a_clawback(world: FundWorld, grant: tuple[int, int], outsider):
    _, app_id = grant
    ent = world.enterprises["ent_a"]
    world.gf.submitMilestone(app_id, 1, h("m1"), sender=ent.account)
    world.gf.pause(sender=world.guardian)
    world.approve_milestone(app_id, 1)  # approved while paused: payment deferred
    assert world.gf.getMilestone(app_id, 1).status == MilestoneStatus.APPROVED
    claw(world, app_id)  # clawback works while paused (it moves no tokens)
    world.gf.unpause(sender=world.agency["deployer"])
    with reverts("GrantFundAwardNotActive", status=AwardStatus.CLAWED_BACK):
        world.gf.payMilestone(app_id, 1, sender=outsider)
    with reverts("GrantFundAwardNotActive"):
        world.gf.voteClawback(app_id, h("again"), sender=world.committee[2])
    assert world.gf.getAward(app_id).released == 200 * UNIT


def test_released_budget_funds_another_award(world: FundWorld, grant: tuple[int, int]) -> None:
    round_id, app_id = grant
    big = world.apply_grant(round_id, "ent_b", amounts=(900 * UNIT,))
    world.approve(big)
    with reverts("GrantFundInsufficientBudget", available=700 * UNIT):
        world.gf.award(big, sender=world.committee[0])
    claw(world, app_id)
    world.gf.award(big, sender=world.committee[0])
    r = world.gf.getRound(round_id)
    assert r.committed == r.deposited == 1_000 * UNIT


def test_rent_clawback_stops_future_months(world: FundWorld, outsider: Any) -> None:
    round_id = world.create_round(kind=RoundKind.RENT, budget=100 * UNIT)
    app_id = world.awarded(world.apply_rent(round_id, "ent_c", monthly=10 * UNIT, months=6))
    world.gf.payRent(app_id, sender=outsider)
    claw(world, app_id)
    assert world.gf.getAward(app_id).released == 50 * UNIT
    world.chain.pending_timestamp += 65 * DAY
    with reverts("GrantFundAwardNotActive"):
        world.gf.payRent(app_id, sender=outsider)


def test_clawback_votes_need_members_reasons_and_distinct_voters(
    world: FundWorld, grant: tuple[int, int], outsider: Any
) -> None:
    _, app_id = grant
    for caller in (outsider, world.fund_manager, world.guardian):
        with reverts("GrantFundNotCommitteeMember"):
            world.gf.voteClawback(app_id, h("r"), sender=caller)
    with reverts("GrantFundZeroHash"):
        world.gf.voteClawback(app_id, b"\x00" * 32, sender=world.committee[0])
    world.gf.voteClawback(app_id, h("r"), sender=world.committee[0])
    with reverts("GrantFundAlreadyVoted"):
        world.gf.voteClawback(app_id, h("r2"), sender=world.committee[0])
    assert list(world.gf.clawbackVotes(app_id)) == [world.committee[0].address]
    assert world.gf.getAward(app_id).status != AwardStatus.CLAWED_BACK


def test_member_cannot_vote_to_claw_back_own_award_nor_spare_it(world: FundWorld) -> None:
    round_id = world.create_round(kind=RoundKind.RESEARCH)
    app_id = world.awarded(world.apply_grant(round_id, "ent_m"))
    with reverts("GrantFundConflictOfInterest"):
        world.gf.voteClawback(app_id, h("r"), sender=world.committee[2])


def test_only_awards_can_be_clawed_back(world: FundWorld) -> None:
    round_id = world.create_round(kind=RoundKind.RESEARCH)
    app_id = world.apply_grant(round_id, "ent_c")
    with reverts("GrantFundAwardNotActive", status=0):
        world.gf.voteClawback(app_id, h("r"), sender=world.committee[0])
