"""Applications, committee votes and awards: eligibility when applying and at award, M-of-N
decisions by distinct current members, conflicts of interest (tests/fund/test_conflicts.py has
the register of interests), budget limits."""

from __future__ import annotations

from typing import Any

import pytest
from reverts import reverts

from civic_ledger.access.roles import RoleId
from civic_ledger.fund.client import ApplicationStatus, AwardStatus, MilestoneStatus, RoundKind
from civic_ledger.identity.client import Status

from .fund_world import DAY, UNIT, FundWorld, h


@pytest.fixture(scope="module")
def project_round(world: FundWorld) -> int:
    """A project round of 1000, fully funded, open for a week, decided within two."""
    return world.create_round(kind=RoundKind.PROJECT, budget=1_000 * UNIT)


# ---------------------------------------------------------------- applying


def test_grant_application_is_recorded(world: FundWorld) -> None:
    round_id = world.create_round(kind=RoundKind.RESEARCH)
    ent = world.enterprises["ent_a"]
    due = [world.now + 30 * DAY, world.now + 90 * DAY]
    receipt = world.gf.applyForGrant(
        round_id, h("plan"), [40 * UNIT, 60 * UNIT], due, sender=ent.account
    )
    app_id = world.gf.applicationCount()
    app = world.gf.getApplication(app_id)
    assert (app.roundId, bytes(app.subject), bytes(app.proposalHash)) == (
        round_id,
        ent.subject,
        h("plan"),
    )
    assert (app.amount, app.status, app.months) == (100 * UNIT, ApplicationStatus.PENDING, 0)
    assert world.gf.milestoneCount(app_id) == 2
    first = world.gf.getMilestone(app_id, 0)
    assert (first.amount, first.dueDate, first.status) == (
        40 * UNIT,
        due[0],
        MilestoneStatus.PENDING,
    )
    assert list(world.gf.applicationsOf(round_id)) == [app_id]
    (event,) = world.gf.ApplicationSubmitted.from_receipt(receipt)
    assert event.operator == ent.account.address and bytes(event.subject) == ent.subject


def test_rent_application_is_recorded(world: FundWorld) -> None:
    round_id = world.create_round(kind=RoundKind.RENT)
    app_id = world.apply_rent(round_id, "ent_b", monthly=12 * UNIT, months=5)
    app = world.gf.getApplication(app_id)
    assert (app.amount, app.monthlyAmount, app.months) == (60 * UNIT, 12 * UNIT, 5)
    assert world.gf.milestoneCount(app_id) == 0


def test_unknown_wallets_and_persons_cannot_apply(
    world: FundWorld, project_round: int, outsider: Any
) -> None:
    round_id = project_round
    due = [world.now + 30 * DAY]
    with reverts("GrantFundUnknownApplicant", account=outsider.address):
        world.gf.applyForGrant(round_id, h("p"), [UNIT], due, sender=outsider)
    with reverts("GrantFundNotEnterprise", subject=world.person.subject):
        world.gf.applyForGrant(round_id, h("p"), [UNIT], due, sender=world.person.account)


def test_applicant_must_meet_the_policy(world: FundWorld, project_round: int) -> None:
    round_id = project_round
    world.make_ineligible("ent_a")
    with reverts("GrantFundIneligible", subject=world.enterprises["ent_a"].subject, policyId=501):
        world.apply_grant(round_id, "ent_a")
    world.make_eligible("ent_a")
    world.apply_grant(round_id, "ent_a")


def test_suspended_enterprise_cannot_apply(
    world: FundWorld, project_round: int, agency: dict
) -> None:
    round_id = project_round
    world.identities.setStatus(
        world.enterprises["ent_b"].subject,
        Status.SUSPENDED,
        h("audit"),
        sender=agency["identity_office"],
    )
    with reverts("GrantFundIneligible"):
        world.apply_grant(round_id, "ent_b")


def test_one_application_per_enterprise_per_round(world: FundWorld, project_round: int) -> None:
    round_id = project_round
    world.apply_grant(round_id, "ent_a")
    with reverts("GrantFundDuplicateApplication", roundId=round_id):
        world.apply_grant(round_id, "ent_a", proposal="another")
    other = world.create_round()
    world.apply_grant(other, "ent_a")  # a different round is fine


def test_applications_only_inside_the_window(world: FundWorld) -> None:
    start = world.now
    world.gf.createRound(
        (
            "later",
            RoundKind.PROJECT,
            501,
            100 * UNIT,
            start + DAY,
            start + 2 * DAY,
            start + 3 * DAY,
        ),
        sender=world.fund_manager,
    )
    round_id = world.gf.roundCount()
    with reverts("GrantFundApplicationsNotOpen", roundId=round_id):
        world.apply_grant(round_id, "ent_a", amounts=(UNIT,))
    world.chain.pending_timestamp = start + DAY
    world.apply_grant(round_id, "ent_a", amounts=(UNIT,))
    world.chain.pending_timestamp = start + 2 * DAY + 1
    with reverts("GrantFundApplicationsNotOpen"):
        world.apply_grant(round_id, "ent_b", amounts=(UNIT,))


def test_application_form_must_match_round_kind(world: FundWorld) -> None:
    rent_round = world.create_round(kind=RoundKind.RENT)
    grant_round = world.create_round(kind=RoundKind.PROJECT)
    with reverts("GrantFundWrongRoundKind", roundId=rent_round, kind=RoundKind.RENT):
        world.apply_grant(rent_round, "ent_a")
    with reverts("GrantFundWrongRoundKind", roundId=grant_round, kind=RoundKind.PROJECT):
        world.apply_rent(grant_round, "ent_a")


@pytest.mark.parametrize(
    ("amounts", "due", "error"),
    [
        ([], [], "GrantFundInvalidMilestoneCount"),
        ([UNIT] * 13, [DAY] * 13, "GrantFundInvalidMilestoneCount"),
        ([UNIT, UNIT], [DAY], "GrantFundInvalidMilestoneCount"),
        ([UNIT, 0], [DAY, DAY], "GrantFundInvalidMilestone"),
        ([UNIT, UNIT], [DAY, -DAY], "GrantFundInvalidMilestone"),
        ([1_001 * UNIT], [DAY], "GrantFundRequestExceedsBudget"),
    ],
    ids=["none", "too-many", "length-mismatch", "zero-amount", "past-due", "over-budget"],
)
def test_bad_milestone_plans_are_refused(world: FundWorld, amounts, due, error) -> None:
    round_id = world.create_round(budget=1_000 * UNIT)
    now = world.now
    with reverts(error):
        world.gf.applyForGrant(
            round_id,
            h("p"),
            amounts,
            [now + d for d in due],
            sender=world.enterprises["ent_a"].account,
        )


@pytest.mark.parametrize(
    ("monthly", "months", "error"),
    [
        (0, 3, "GrantFundZeroAmount"),
        (UNIT, 0, "GrantFundInvalidRentTerm"),
        (UNIT, 61, "GrantFundInvalidRentTerm"),
        (600 * UNIT, 2, "GrantFundRequestExceedsBudget"),
    ],
)
def test_bad_rent_terms_are_refused(world: FundWorld, monthly: int, months: int, error: str):
    round_id = world.create_round(kind=RoundKind.RENT, budget=1_000 * UNIT)
    with reverts(error):
        world.apply_rent(round_id, "ent_a", monthly=monthly, months=months)


def test_proposal_hash_is_required(world: FundWorld, project_round: int) -> None:
    round_id = project_round
    with reverts("GrantFundZeroHash"):
        world.gf.applyForGrant(
            round_id,
            b"\x00" * 32,
            [UNIT],
            [world.now + DAY],
            sender=world.enterprises["ent_a"].account,
        )


# ---------------------------------------------------------------- voting


def test_m_yes_votes_approve_and_name_the_approvers(world: FundWorld, project_round: int) -> None:
    app_id = world.apply_grant(project_round, "ent_a")
    m1, m2, _ = world.committee
    first = world.gf.voteOnApplication(app_id, True, sender=m1)
    assert not world.gf.ApplicationApproved.from_receipt(first)
    assert world.gf.applicationStatus(app_id) == ApplicationStatus.PENDING
    second = world.gf.voteOnApplication(app_id, True, sender=m2)
    (voted,) = world.gf.ApplicationVoted.from_receipt(second)
    assert (voted.operator, voted.support, voted.approvals, voted.rejections) == (
        m2.address,
        True,
        2,
        0,
    )
    (approved,) = world.gf.ApplicationApproved.from_receipt(second)
    assert approved.operator == m2.address
    assert list(approved.approvers) == [m1.address, m2.address]
    assert world.gf.applicationStatus(app_id) == ApplicationStatus.APPROVED
    yes, no = world.gf.applicationVotes(app_id)
    assert list(yes) == [m1.address, m2.address] and list(no) == []


def test_m_no_votes_reject(world: FundWorld, project_round: int) -> None:
    app_id = world.apply_grant(project_round, "ent_a")
    m1, m2, m3 = world.committee
    world.gf.voteOnApplication(app_id, True, sender=m1)
    world.gf.voteOnApplication(app_id, False, sender=m2)
    receipt = world.gf.voteOnApplication(app_id, False, sender=m3)
    (rejected,) = world.gf.ApplicationRejected.from_receipt(receipt)
    assert list(rejected.rejecters) == [m2.address, m3.address]
    assert world.gf.applicationStatus(app_id) == ApplicationStatus.REJECTED
    with reverts(
        "GrantFundWrongApplicationStatus", appId=app_id, status=ApplicationStatus.REJECTED
    ):
        world.gf.award(app_id, sender=m1)


def test_members_vote_once(world: FundWorld, project_round: int) -> None:
    app_id = world.apply_grant(project_round, "ent_a")
    m1 = world.committee[0]
    world.gf.voteOnApplication(app_id, True, sender=m1)
    for support in (True, False):
        with reverts("GrantFundAlreadyVoted", member=m1.address):
            world.gf.voteOnApplication(app_id, support, sender=m1)


@pytest.mark.parametrize("who", ["outsider", "fund_office", "finance_bureau", "emergency_guardian"])
def test_only_committee_members_vote(
    world: FundWorld, project_round: int, agency: dict, outsider: Any, who: str
):
    app_id = world.apply_grant(project_round, "ent_a")
    caller = outsider if who == "outsider" else agency[who]
    with reverts("GrantFundNotCommitteeMember", account=caller.address):
        world.gf.voteOnApplication(app_id, True, sender=caller)


def test_revoked_member_cannot_vote(world: FundWorld, project_round: int, agency: dict) -> None:
    app_id = world.apply_grant(project_round, "ent_a")
    m1 = world.committee[0]
    world.manager.revokeRole(RoleId.FUND_COMMITTEE, m1, sender=agency["deployer"])
    with reverts("GrantFundNotCommitteeMember"):
        world.gf.voteOnApplication(app_id, True, sender=m1)


def test_member_with_execution_delay_cannot_vote_directly(
    world: FundWorld, project_round: int, agency: dict
):
    app_id = world.apply_grant(project_round, "ent_a")
    m1 = world.committee[0]
    world.manager.grantRole(RoleId.FUND_COMMITTEE, m1, 3600, sender=agency["deployer"])
    assert not world.gf.isCommitteeMember(m1)
    with reverts("GrantFundNotCommitteeMember"):
        world.gf.voteOnApplication(app_id, True, sender=m1)


def test_member_cannot_vote_on_an_enterprise_it_is_conflicted_with(
    world: FundWorld, project_round: int
) -> None:
    round_id = project_round
    app_id = world.apply_grant(round_id, "ent_m")  # member 3 is conflicted (register of interests)
    m3 = world.committee[2]
    with reverts("GrantFundConflictOfInterest", member=m3.address):
        world.gf.voteOnApplication(app_id, True, sender=m3)


def test_votes_close_at_the_decision_deadline(world: FundWorld) -> None:
    round_id = world.create_round(decision=10 * DAY)
    app_id = world.apply_grant(round_id, "ent_a")
    world.gf.voteOnApplication(app_id, True, sender=world.committee[0])
    world.chain.pending_timestamp += 11 * DAY
    with reverts("GrantFundDecisionClosed", roundId=round_id):
        world.gf.voteOnApplication(app_id, True, sender=world.committee[1])
    assert world.gf.applicationStatus(app_id) == ApplicationStatus.EXPIRED


def test_unknown_application(world: FundWorld) -> None:
    with reverts("GrantFundUnknownApplication", appId=42):
        world.gf.voteOnApplication(42, True, sender=world.committee[0])


# ---------------------------------------------------------------- awarding


def test_award_reserves_budget(world: FundWorld, outsider: Any) -> None:
    round_id = world.create_round(budget=1_000 * UNIT)
    app_id = world.apply_grant(round_id, "ent_a", amounts=(100 * UNIT, 200 * UNIT))
    with reverts("GrantFundWrongApplicationStatus", status=ApplicationStatus.PENDING):
        world.gf.award(app_id, sender=outsider)
    world.approve(app_id)
    receipt = world.gf.award(app_id, sender=outsider)
    (event,) = world.gf.AwardMade.from_receipt(receipt)
    assert (event.appId, event.amount, event.operator) == (app_id, 300 * UNIT, outsider.address)
    assert world.gf.applicationStatus(app_id) == ApplicationStatus.AWARDED
    assert world.gf.getAward(app_id).status == AwardStatus.ACTIVE
    assert world.gf.availableOf(round_id) == 700 * UNIT
    assert world.gf.owedOf(round_id) == 300 * UNIT
    with reverts("GrantFundWrongApplicationStatus", status=ApplicationStatus.AWARDED):
        world.gf.award(app_id, sender=outsider)


def test_awards_never_exceed_deposits(world: FundWorld) -> None:
    round_id = world.create_round(budget=500 * UNIT, fund=250 * UNIT)
    a = world.apply_grant(round_id, "ent_a", amounts=(200 * UNIT,))
    b = world.apply_grant(round_id, "ent_b", amounts=(100 * UNIT,))
    world.awarded(a)
    world.approve(b)
    with reverts("GrantFundInsufficientBudget", requested=100 * UNIT, available=50 * UNIT):
        world.gf.award(b, sender=world.committee[0])
    world.deposit(round_id, 50 * UNIT)
    world.gf.award(b, sender=world.committee[0])
    r = world.gf.getRound(round_id)
    assert r.committed == r.deposited == 300 * UNIT <= r.budget


def test_award_rechecks_eligibility(world: FundWorld, project_round: int) -> None:
    app_id = world.apply_grant(project_round, "ent_a")
    world.approve(app_id)
    world.make_ineligible("ent_a")
    with reverts("GrantFundIneligible"):
        world.gf.award(app_id, sender=world.committee[0])


def test_approved_application_lapses_after_the_deadline(world: FundWorld) -> None:
    round_id = world.create_round(decision=10 * DAY)
    app_id = world.apply_grant(round_id, "ent_a")
    world.approve(app_id)
    world.chain.pending_timestamp += 11 * DAY
    with reverts("GrantFundDecisionClosed"):
        world.gf.award(app_id, sender=world.committee[0])
    assert world.gf.applicationStatus(app_id) == ApplicationStatus.EXPIRED
