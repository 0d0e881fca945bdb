"""Allo #357: payouts update state before transferring and refuse re-entry. A GrantFund is
deployed (implementation + CityProxy, as the deploy plan does) on a test token whose transfer
hook calls back into the fund mid-payment: the guard's namespaced storage lives in the proxy."""

from __future__ import annotations

from typing import Any

import pytest
from eth_utils import keccak

from civic_ledger.deploy.proxy import deploy_upgradeable, implementation_of
from civic_ledger.fund.client import MilestoneStatus, RoundKind

from .fund_world import UNIT, FundWorld, h

REENTRANT_CALL = keccak(text="ReentrancyGuardReentrantCall()")[:4]


@pytest.fixture
def hooked(project: Any, world: FundWorld, agency: dict) -> tuple[Any, Any]:
    """(fund, token): a second GrantFund on the re-entrant token (its restricted functions are
    unmapped, so they default to ADMIN: the deployer plays fund manager)."""
    admin = agency["deployer"]
    token = project.ReentrantTokenMock.deploy(sender=admin)
    fund = deploy_upgradeable(
        project, "GrantFund", world.manager, token, world.identities, world.records,
        world.treasury, 2, 3, sender=admin,
    )  # fmt: skip
    return fund, token


def test_the_hooked_fund_runs_behind_a_proxy(hooked, chain: Any) -> None:
    fund, token = hooked
    implementation = implementation_of(chain.provider.web3, fund.address)
    assert int(implementation, 16) != 0 and implementation != fund.address
    assert fund.token() == token.address and fund.version() == "1.0.0"


def funded_round(fund: Any, token: Any, world: FundWorld, admin: Any, kind: int) -> int:
    now = world.now
    fund.createRound(
        ("hooked", kind, 501, 1_000 * UNIT, now, now + 86400, now + 2 * 86400), sender=admin
    )
    token.mint(admin, 1_000 * UNIT, sender=admin)
    token.approve(fund, 1_000 * UNIT, sender=admin)
    fund.fundRound(1, 1_000 * UNIT, sender=admin)
    return 1


def award(fund: Any, world: FundWorld, app_id: int) -> None:
    for member in world.committee[:2]:
        fund.voteOnApplication(app_id, True, sender=member)
    fund.award(app_id, sender=world.committee[0])


def rent_awarded(fund: Any, token: Any, world: FundWorld, admin: Any) -> Any:
    """ent_a's rent application 1 (3 months of 10) in a funded rent round, awarded: ent_a."""
    funded_round(fund, token, world, admin, RoundKind.RENT)
    ent = world.enterprises["ent_a"]
    fund.applyForRent(1, h("proposal"), (h("lease"), 10 * UNIT, 3), sender=ent.account)
    award(fund, world, 1)
    return ent


def test_hook_really_calls_back(hooked, world: FundWorld, agency: dict) -> None:
    """Control: a harmless re-entrant view call succeeds, so the refusals below are the guard's."""
    fund, token = hooked
    admin = agency["deployer"]
    rent_awarded(fund, token, world, admin)
    token.arm(fund, fund.totalPaid.encode_input(), sender=admin)
    fund.payRent(1, sender=admin)
    assert token.reentered() and token.reentrySucceeded()
    # the hook ran after the fund had already booked the payment (state before transfer)
    assert int.from_bytes(bytes(token.reentryResult()), "big") == 10 * UNIT


def test_rent_payment_refuses_reentry(hooked, world: FundWorld, agency: dict) -> None:
    fund, token = hooked
    admin = agency["deployer"]
    ent = rent_awarded(fund, token, world, admin)
    for month in (1, 2):  # the grantee's eligibility is checked in every month
        world.chain.pending_timestamp = fund.getAward(1).awardedAt + month * 30 * 86400 + 1
        fund.recordRentEligibility(1, sender=admin)
    token.arm(fund, fund.payRent.encode_input(1), sender=admin)
    fund.payRent(1, sender=admin)
    assert token.reentered() and not token.reentrySucceeded()
    assert bytes(token.reentryResult())[:4] == REENTRANT_CALL
    assert token.balanceOf(ent.account) == 30 * UNIT
    assert fund.getAward(1).paid == 30 * UNIT
    assert token.balanceOf(fund) == fund.totalDeposited() - fund.totalPaid() - fund.totalReturned()


def test_milestone_payment_refuses_reentry(hooked, world: FundWorld, agency: dict) -> None:
    fund, token = hooked
    admin = agency["deployer"]
    funded_round(fund, token, world, admin, RoundKind.RESEARCH)
    ent = world.enterprises["ent_a"]
    now = world.now
    fund.applyForGrant(
        1, h("plan"), [100 * UNIT, 50 * UNIT], [now + 86400 * 30] * 2, sender=ent.account
    )
    award(fund, world, 1)
    fund.submitMilestone(1, 0, h("m0"), sender=ent.account)
    token.arm(fund, fund.payMilestone.encode_input(1, 0), sender=admin)
    for member in world.committee[:2]:
        fund.voteOnMilestone(1, 0, True, sender=member)
    assert token.reentered() and not token.reentrySucceeded()
    assert bytes(token.reentryResult())[:4] == REENTRANT_CALL
    assert fund.getMilestone(1, 0).status == MilestoneStatus.PAID
    assert token.balanceOf(ent.account) == 100 * UNIT  # paid once
