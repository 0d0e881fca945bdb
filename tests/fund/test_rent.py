"""Rent subsidies: anyone triggers settlement, each month is settled once, paid to the grantee's
current controller when its eligibility was checked in during the month, forfeited (skipped)
once the month ended without a check-in (tests/fund/test_rent_checkins.py has the rule in
detail)."""

from __future__ import annotations

from typing import Any

import pytest
from reverts import reverts

from civic_ledger.fund.client import AwardStatus, RoundKind

from .fund_world import MONTH, UNIT, FundWorld

MONTHLY = 10 * UNIT
MONTHS = 6


@pytest.fixture(scope="module")
def rent(world: FundWorld) -> tuple[int, int]:
    """(round, award): ent_a gets 10/month for 6 months, out of a 1000 rent round."""
    round_id = world.create_round(kind=RoundKind.RENT, budget=1_000 * UNIT)
    app_id = world.awarded(world.apply_rent(round_id, "ent_a", monthly=MONTHLY, months=MONTHS))
    return round_id, app_id


def test_first_month_is_due_at_award_and_paid_to_the_grantee(
    world: FundWorld, rent: tuple[int, int], outsider: Any
) -> None:
    _, app_id = rent
    ent = world.enterprises["ent_a"]
    due = world.gf.rentDue(app_id)
    assert (due.payableMonths, due.payableAmount) == (1, MONTHLY)
    before = world.balance(ent.account)
    receipt = world.gf.payRent(app_id, sender=outsider)  # anyone may trigger
    (event,) = world.gf.RentPaid.from_receipt(receipt)
    assert (event.payee, event.operator, event.firstMonth, event.monthCount, event.amount) == (
        ent.account.address,
        outsider.address,
        0,
        1,
        MONTHLY,
    )
    assert world.balance(ent.account) - before == MONTHLY
    award = world.gf.getAward(app_id)
    assert (award.monthsSettled, award.paid) == (1, MONTHLY)
    assert world.conserved()


def test_each_month_is_paid_once(world: FundWorld, rent: tuple[int, int], outsider: Any) -> None:
    _, app_id = rent
    awarded_at = world.gf.getAward(app_id).awardedAt
    world.gf.payRent(app_id, sender=outsider)
    with reverts("GrantFundNothingDue", appId=app_id, nextDueAt=awarded_at + MONTH):
        world.gf.payRent(app_id, sender=outsider)
    world.chain.pending_timestamp = awarded_at + MONTH - 10
    with reverts("GrantFundNothingDue"):
        world.gf.payRent(app_id, sender=outsider)
    world.chain.pending_timestamp = awarded_at + MONTH
    world.gf.payRent(app_id, sender=outsider)
    assert world.gf.getAward(app_id).paid == 2 * MONTHLY


def test_late_trigger_pays_every_checked_in_month_at_once(
    world: FundWorld, rent: tuple[int, int], outsider: Any
) -> None:
    _, app_id = rent
    awarded_at = world.gf.getAward(app_id).awardedAt
    world.chain.pending_timestamp = awarded_at + MONTH + 5
    world.gf.recordRentEligibility(app_id, sender=outsider)  # month 1 (month 0: at the award)
    world.chain.pending_timestamp = awarded_at + 2 * MONTH + 5
    world.chain.mine()
    due = world.gf.rentDue(app_id)  # month 2 counts: payRent checks it in (eligible now)
    assert (due.payableMonths, due.payableAmount, due.forfeitableMonths) == (3, 3 * MONTHLY, 0)
    receipt = world.gf.payRent(app_id, sender=world.enterprises["ent_a"].account)
    (event,) = world.gf.RentPaid.from_receipt(receipt)
    assert (event.firstMonth, event.monthCount, event.amount) == (0, 3, 3 * MONTHLY)


def test_never_more_than_k_months(world: FundWorld, rent: tuple[int, int], outsider: Any) -> None:
    round_id, app_id = rent
    awarded_at = world.gf.getAward(app_id).awardedAt
    for month in range(1, MONTHS + 5):  # check-ins every month, and after the term
        world.chain.pending_timestamp = awarded_at + month * MONTH + 1
        if month < MONTHS:
            world.gf.recordRentEligibility(app_id, sender=outsider)
        else:
            with reverts("GrantFundNoCurrentRentMonth", appId=app_id):
                world.gf.recordRentEligibility(app_id, sender=outsider)
    world.chain.pending_timestamp = awarded_at + 40 * MONTH
    receipt = world.gf.payRent(app_id, sender=outsider)
    assert world.gf.RentPaid.from_receipt(receipt)[0].amount == MONTHS * MONTHLY
    assert world.gf.getAward(app_id).monthsSettled == MONTHS
    (completed,) = world.gf.AwardCompleted.from_receipt(receipt)
    assert completed.appId == app_id
    assert world.gf.getAward(app_id).status == AwardStatus.COMPLETED
    with reverts("GrantFundAwardNotActive", status=AwardStatus.COMPLETED):
        world.gf.payRent(app_id, sender=outsider)
    assert world.gf.owedOf(round_id) == 0
    assert world.conserved()


def test_months_of_non_compliance_are_forfeited(world: FundWorld, rent: tuple[int, int], outsider):
    round_id, app_id = rent
    ent = world.enterprises["ent_a"]
    awarded_at = world.gf.getAward(app_id).awardedAt
    world.gf.payRent(app_id, sender=outsider)  # month 0 paid
    world.make_ineligible("ent_a")
    world.chain.pending_timestamp = awarded_at + MONTH
    with reverts("GrantFundNothingDue", nextDueAt=awarded_at + 2 * MONTH):
        world.gf.payRent(app_id, sender=outsider)  # month 1 is still running: nothing forfeited
    world.chain.pending_timestamp = awarded_at + 2 * MONTH  # month 1 ended without a check-in
    before_ent, before_fund = world.balance(ent.account), world.balance(world.gf)
    available = world.gf.availableOf(round_id)
    receipt = world.gf.payRent(app_id, sender=outsider)
    (skipped,) = world.gf.RentPaymentSkipped.from_receipt(receipt)
    assert (skipped.operator, skipped.firstMonth, skipped.monthCount, skipped.amount) == (
        outsider.address,
        1,
        1,
        MONTHLY,
    )
    assert not world.gf.RentPaid.from_receipt(receipt)
    assert world.balance(ent.account) == before_ent
    assert world.balance(world.gf) == before_fund  # nothing moved
    assert world.gf.availableOf(round_id) == available + MONTHLY  # released to the round
    award = world.gf.getAward(app_id)
    assert (award.monthsSettled, award.paid, award.released) == (2, MONTHLY, MONTHLY)

    # back in good standing during month 2: it is paid, the forfeited month is not
    world.make_eligible("ent_a")
    receipt = world.gf.payRent(app_id, sender=outsider)
    (paid,) = world.gf.RentPaid.from_receipt(receipt)
    assert (paid.firstMonth, paid.amount) == (2, MONTHLY)
    assert world.balance(ent.account) - before_ent == MONTHLY
    assert world.conserved()


def test_rent_goes_to_the_current_controller(
    world: FundWorld, rent: tuple[int, int], accounts: Any
) -> None:
    _, app_id = rent
    new_wallet = accounts.generate_test_account()
    world.recover(world.enterprises["ent_a"].subject, new_wallet)  # e.g. a lost key replaced
    before = world.balance(new_wallet)
    world.gf.payRent(app_id, sender=world.committee[0])
    assert world.balance(new_wallet) - before == MONTHLY


def test_pause_stops_rent(world: FundWorld, rent: tuple[int, int], outsider: Any) -> None:
    _, app_id = rent
    world.gf.pause(sender=world.guardian)
    with reverts("CityContractStopped", target=world.gf.address):  # a self-checked outflow
        world.gf.payRent(app_id, sender=outsider)
    world.gf.unpause(sender=world.agency["deployer"])
    world.gf.payRent(app_id, sender=outsider)
    assert world.gf.getAward(app_id).status == AwardStatus.ACTIVE


def test_pay_rent_needs_a_rent_award(world: FundWorld, outsider: Any) -> None:
    grant_round = world.create_round(kind=RoundKind.PROJECT)
    grant = world.awarded(world.apply_grant(grant_round, "ent_b"))
    with reverts("GrantFundWrongAwardKind", appId=grant, kind=RoundKind.PROJECT):
        world.gf.payRent(grant, sender=outsider)
    rent_round = world.create_round(kind=RoundKind.RENT)
    pending = world.apply_rent(rent_round, "ent_c")
    with reverts("GrantFundAwardNotActive", appId=pending, status=0):
        world.gf.payRent(pending, sender=outsider)
