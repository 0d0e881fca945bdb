"""Issue #12, finding 2: rent eligibility is judged per month, from eligibility check-ins made
during that month, not once at payment time for every accrued month.

Month i of a rent award covers [awardedAt + i*MONTH, awardedAt + (i+1)*MONTH). It is paid only
if the grantee was eligible at a check-in inside that window (`recordRentEligibility`, by
anyone; `payRent` and `award` check in too); it is forfeited only once its window has ended
without one. A checked-in month waits (nothing forfeited) while the grantee's identity is not
Active."""

from __future__ import annotations

from typing import Any

import pytest
from ape.exceptions import ContractLogicError
from reverts import reverts

from civic_ledger.fund.client import AwardStatus, RoundKind
from civic_ledger.identity.client import Status

from .fund_world import DAY, MONTH, UNIT, FundWorld

MONTHLY = 10 * UNIT
MONTHS = 6


@pytest.fixture
def rent(world: FundWorld) -> tuple[int, int, int]:
    """(round, award, awardedAt): ent_a gets 10/month for 6 months."""
    round_id = world.create_round(kind=RoundKind.RENT, budget=1_000 * UNIT)
    app_id = world.awarded(world.apply_rent(round_id, "ent_a", monthly=MONTHLY, months=MONTHS))
    return round_id, app_id, int(world.gf.getAward(app_id).awardedAt)


def _paid_months(gf: Any, receipt: Any) -> list[int]:
    return [
        month
        for e in gf.RentPaid.from_receipt(receipt)
        for month in range(e.firstMonth, e.firstMonth + e.monthCount)
    ]


def _skipped_months(gf: Any, receipt: Any) -> list[int]:
    return [
        month
        for e in gf.RentPaymentSkipped.from_receipt(receipt)
        for month in range(e.firstMonth, e.firstMonth + e.monthCount)
    ]


def _try_pay_rent(world: FundWorld, app_id: int, sender: Any) -> Any:
    """payRent, tolerating a refusal (the point is what it must NOT do)."""
    try:
        return world.gf.payRent(app_id, sender=sender)
    except ContractLogicError:
        return None


def _disqualify(world: FundWorld, how: str) -> None:
    if how == "identity suspended":
        world.set_status("ent_a", Status.SUSPENDED)
    else:
        world.make_ineligible("ent_a")


def _requalify(world: FundWorld, how: str) -> None:
    if how == "identity suspended":
        world.set_status("ent_a", Status.ACTIVE)
    else:
        world.make_eligible("ent_a")


SUSPENSIONS = ["identity suspended", "disqualifying record"]


# ------------------------------------------------------------------ the exploits


@pytest.mark.parametrize("how", SUSPENSIONS)
def test_months_of_suspension_are_not_paid_after_reinstatement(
    world: FundWorld, rent: tuple[int, int, int], outsider: Any, how: str
) -> None:
    """(a) Suspended for months 1-3, reinstated in month 4: months 1-3 must not be paid (the
    old payRent judged eligibility at call time and paid all of months 1-4)."""
    _, app_id, awarded_at = rent
    ent = world.enterprises["ent_a"].account
    world.gf.payRent(app_id, sender=outsider)  # month 0 paid
    world.chain.pending_timestamp = awarded_at + MONTH + DAY
    _disqualify(world, how)
    world.chain.pending_timestamp = awarded_at + 4 * MONTH + DAY  # month 4
    _requalify(world, how)
    before = world.balance(ent)
    receipt = world.gf.payRent(app_id, sender=outsider)
    assert world.balance(ent) - before == MONTHLY, "months of suspension were paid"
    assert _paid_months(world.gf, receipt) == [4]
    assert _skipped_months(world.gf, receipt) == [1, 2, 3]
    award = world.gf.getAward(app_id)
    assert (award.monthsSettled, award.paid, award.released) == (5, 2 * MONTHLY, 3 * MONTHLY)
    assert world.conserved()


@pytest.mark.parametrize("how", SUSPENSIONS)
def test_an_outsider_cannot_make_a_firm_forfeit_its_checked_in_months(
    world: FundWorld, rent: tuple[int, int, int], outsider: Any, how: str
) -> None:
    """(b) The firm checked in months 0-2; during a one-day suspension in month 2 an outsider
    calls payRent. The old payRent forfeited all three months. Now nothing is forfeited: the
    checked-in months are paid (now, or once the identity is Active again)."""
    _, app_id, awarded_at = rent
    gf, ent = world.gf, world.enterprises["ent_a"].account
    for month in (1, 2):
        world.chain.pending_timestamp = awarded_at + month * MONTH + DAY
        gf.recordRentEligibility(app_id, sender=ent)
    assert gf.getAward(app_id).rentCheckIns == 0b111  # month 0 at the award
    world.chain.pending_timestamp = awarded_at + 2 * MONTH + 10 * DAY
    _disqualify(world, how)
    before = world.balance(ent)
    receipt = _try_pay_rent(world, app_id, outsider)
    assert gf.getAward(app_id).released == 0, "checked-in months were forfeited"
    if how == "identity suspended":
        assert receipt is None  # the payment waits for the identity to be Active again
        with reverts("GrantFundGranteeNotActive", appId=app_id):
            gf.payRent(app_id, sender=outsider)
        world.chain.pending_timestamp += DAY
        _requalify(world, how)
        receipt = gf.payRent(app_id, sender=outsider)
    assert _paid_months(gf, receipt) == [0, 1, 2]
    assert world.balance(ent) - before == 3 * MONTHLY
    award = gf.getAward(app_id)
    assert (award.monthsSettled, award.paid, award.released) == (3, 3 * MONTHLY, 0)
    assert world.conserved()


def test_a_month_without_check_in_is_forfeited_only_after_its_window_ends(
    world: FundWorld, rent: tuple[int, int, int], outsider: Any
) -> None:
    """(c) Nobody checked in for month k: it is forfeited only once month k's window ended
    (the old payRent forfeited it the moment anyone called while the firm was ineligible)."""
    _, app_id, awarded_at = rent
    gf, ent = world.gf, world.enterprises["ent_a"].account
    gf.payRent(app_id, sender=outsider)  # month 0 paid
    world.chain.pending_timestamp = awarded_at + MONTH + DAY
    world.make_ineligible("ent_a")
    world.chain.pending_timestamp = awarded_at + MONTH + 2 * DAY
    _try_pay_rent(world, app_id, outsider)  # during month 1, while ineligible
    assert gf.getAward(app_id).released == 0, "month 1 was forfeited while still running"
    world.make_eligible("ent_a")  # later in month 1 the firm is in good standing again ...
    world.chain.pending_timestamp = awarded_at + MONTH + 20 * DAY
    receipt = gf.payRent(app_id, sender=ent)  # ... and checks in: month 1 is paid
    assert _paid_months(gf, receipt) == [1]

    world.chain.pending_timestamp = awarded_at + 2 * MONTH + DAY
    world.make_ineligible("ent_a")  # all of month 2 out of standing: nobody can check in
    world.chain.pending_timestamp = awarded_at + 3 * MONTH - 1  # the last second of month 2
    with reverts("GrantFundNothingDue", appId=app_id, nextDueAt=awarded_at + 3 * MONTH):
        gf.payRent(app_id, sender=outsider)
    world.chain.pending_timestamp = awarded_at + 3 * MONTH  # month 2's window has ended
    receipt = gf.payRent(app_id, sender=outsider)
    assert _skipped_months(gf, receipt) == [2]
    assert not _paid_months(gf, receipt)  # month 3 stays pending: no check-in yet
    award = gf.getAward(app_id)
    assert (award.monthsSettled, award.paid, award.released) == (3, 2 * MONTHLY, MONTHLY)
    assert world.conserved()


# ------------------------------------------------------------------ the rule in detail


def test_check_in_needs_an_eligible_grantee_and_a_current_month(
    world: FundWorld, rent: tuple[int, int, int], outsider: Any
) -> None:
    _, app_id, awarded_at = rent
    gf = world.gf
    subject = world.enterprises["ent_a"].subject
    with reverts("GrantFundRentAlreadyCheckedIn", appId=app_id, month=0):  # at the award
        gf.recordRentEligibility(app_id, sender=outsider)
    world.chain.pending_timestamp = awarded_at + MONTH
    world.make_ineligible("ent_a")
    with reverts("GrantFundIneligible", subject=subject):
        gf.recordRentEligibility(app_id, sender=outsider)
    world.make_eligible("ent_a")
    receipt = gf.recordRentEligibility(app_id, sender=outsider)  # anyone may check in
    (event,) = gf.RentEligibilityRecorded.from_receipt(receipt)
    assert (event.appId, event.month, event.operator) == (app_id, 1, outsider.address)
    assert not gf.RentPaid.from_receipt(receipt)  # a check-in moves no money
    world.chain.pending_timestamp = awarded_at + MONTHS * MONTH  # the term has ended
    with reverts("GrantFundNoCurrentRentMonth", appId=app_id):
        gf.recordRentEligibility(app_id, sender=outsider)


def test_check_ins_continue_while_the_fund_is_paused(
    world: FundWorld, rent: tuple[int, int, int], outsider: Any
) -> None:
    """A pause stops payments, not the observation of eligibility: no month is lost to it."""
    _, app_id, awarded_at = rent
    gf = world.gf
    gf.pause(sender=world.guardian)
    world.chain.pending_timestamp = awarded_at + MONTH + DAY
    gf.recordRentEligibility(app_id, sender=outsider)
    with reverts("CityContractStopped", target=gf.address):
        gf.payRent(app_id, sender=outsider)
    world.chain.pending_timestamp = awarded_at + 3 * MONTH
    gf.unpause(sender=world.agency["deployer"])
    receipt = gf.payRent(app_id, sender=outsider)
    assert _paid_months(gf, receipt) == [0, 1, 3]
    assert _skipped_months(gf, receipt) == [2]


def test_rent_due_shows_payable_forfeitable_and_the_current_month(
    world: FundWorld, rent: tuple[int, int, int], outsider: Any
) -> None:
    _, app_id, awarded_at = rent
    gf = world.gf
    due = gf.rentDue(app_id)
    assert (due.payableMonths, due.payableAmount, due.forfeitableMonths) == (1, MONTHLY, 0)
    assert (due.currentMonth, due.currentCheckedIn, due.eligibleNow) == (0, True, True)
    assert (due.waitingMonths, due.nextDueAt) == (0, awarded_at + MONTH)

    world.chain.pending_timestamp = awarded_at + 2 * MONTH + DAY
    world.make_ineligible("ent_a")
    world.chain.mine()
    due = gf.rentDue(app_id)
    assert (due.payableMonths, due.payableAmount) == (1, MONTHLY)  # month 0
    assert (due.forfeitableMonths, due.forfeitableAmount) == (1, MONTHLY)  # month 1
    assert (due.currentMonth, due.currentCheckedIn, due.eligibleNow) == (2, False, False)
    world.make_eligible("ent_a")
    world.chain.mine()
    due = gf.rentDue(app_id)  # payRent would check month 2 in and pay it
    assert (due.payableMonths, due.forfeitableMonths, due.eligibleNow) == (2, 1, True)

    world.set_status("ent_a", Status.SUSPENDED)
    world.chain.mine()
    due = gf.rentDue(app_id)  # month 0 waits for the identity; nothing settles before it
    assert (due.payableMonths, due.forfeitableMonths, due.waitingMonths) == (0, 0, 1)


def test_whole_term_settles_and_completes(
    world: FundWorld, rent: tuple[int, int, int], outsider: Any
) -> None:
    _, app_id, awarded_at = rent
    gf, ent = world.gf, world.enterprises["ent_a"].account
    for month in range(1, MONTHS):
        if month != 3:  # nobody checks month 3 in
            world.chain.pending_timestamp = awarded_at + month * MONTH + 5 * DAY
            gf.recordRentEligibility(app_id, sender=ent)
    world.chain.pending_timestamp = awarded_at + 40 * MONTH
    receipt = gf.payRent(app_id, sender=outsider)
    assert _paid_months(gf, receipt) == [0, 1, 2, 4, 5]
    assert _skipped_months(gf, receipt) == [3]
    assert [(e.firstMonth, e.monthCount) for e in gf.RentPaid.from_receipt(receipt)] == [
        (0, 3),
        (4, 2),
    ]
    assert gf.getAward(app_id).status == AwardStatus.COMPLETED
    assert world.conserved()
