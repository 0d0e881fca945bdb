"""Rounds and fund administration: who may create, fund, close and pause; budget caps;
unspent budget returning to the treasury; wiring of the restricted functions."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from eth_utils import keccak
from reverts import reverts

from civic_ledger.fund import spec as fund_domain
from civic_ledger.fund.client import RoundKind

from .fund_world import DAY, UNIT, FundWorld


def test_deploy_wiring(world: FundWorld, suite: Any) -> None:
    gf = world.gf
    assert gf.token() == suite["CityToken"].address
    assert gf.identityRegistry() == suite["IdentityRegistry"].address
    assert gf.recordRegistry() == suite["RecordRegistry"].address
    assert gf.treasury() == world.treasury.address
    assert gf.authority() == world.manager.address
    assert (gf.threshold(), gf.committeeSize()) == (2, 3)
    assert all(gf.isCommitteeMember(m) for m in world.committee)


def test_spec_lists_exactly_the_restricted_functions() -> None:
    """Every function carrying `restricted` in GrantFund.sol is in the deploy spec, and back."""
    source = (Path(__file__).parents[2] / "contracts" / "fund" / "GrantFund.sol").read_text()
    in_source = set(re.findall(r"function (\w+)\([^)]*\)[^{;]*\brestricted\b", source))
    (spec,) = fund_domain.CONTRACTS
    assert in_source == {name for names in spec.restricted.values() for name in names}
    assert in_source  # the regex found them


@pytest.mark.parametrize("who", ["outsider", "committee_member_1", "finance_bureau"])
def test_only_fund_manager_creates_rounds(world: FundWorld, agency: dict, outsider: Any, who: str):
    caller = outsider if who == "outsider" else agency[who]
    now = world.now
    with reverts("AccessManagedUnauthorized", caller=caller.address):
        world.gf.createRound(
            ("r", RoundKind.PROJECT, 501, UNIT, now, now + DAY, now + 2 * DAY), sender=caller
        )


def test_create_round_records_everything(world: FundWorld) -> None:
    now = world.now
    receipt = world.gf.createRound(
        ("Rent 2027", RoundKind.RENT, 501, 500 * UNIT, now, now + 7 * DAY, now + 10 * DAY),
        sender=world.fund_manager,
    )
    round_id = world.gf.roundCount()
    r = world.gf.getRound(round_id)
    assert (r.name, r.kind, r.policyId, r.budget) == ("Rent 2027", RoundKind.RENT, 501, 500 * UNIT)
    assert (r.opensAt, r.closesAt, r.decisionDeadline) == (now, now + 7 * DAY, now + 10 * DAY)
    assert (r.deposited, r.committed, r.paid, r.returned, r.closed) == (0, 0, 0, 0, False)
    (event,) = world.gf.RoundCreated.from_receipt(receipt)
    assert event.roundId == round_id and event.operator == world.fund_manager.address


@pytest.mark.parametrize(
    ("opens", "closes", "deadline"),
    [(0, 0, DAY), (DAY, 0, 2 * DAY), (0, 2 * DAY, DAY), (-3 * DAY, -DAY, DAY)],
    ids=["empty-window", "closes-before-opening", "deadline-before-close", "already-closed"],
)
def test_create_round_rejects_bad_schedules(
    world: FundWorld, opens: int, closes: int, deadline: int
):
    now = world.now
    with reverts("GrantFundInvalidSchedule"):
        world.gf.createRound(
            ("r", RoundKind.PROJECT, 501, UNIT, now + opens, now + closes, now + deadline),
            sender=world.fund_manager,
        )


def test_create_round_needs_an_existing_policy(world: FundWorld) -> None:
    now = world.now
    with reverts("GrantFundUnknownPolicy", policyId=777):
        world.gf.createRound(
            ("r", RoundKind.PROJECT, 777, UNIT, now, now + DAY, now + DAY),
            sender=world.fund_manager,
        )


def test_create_round_rejects_zero_budget(world: FundWorld) -> None:
    now = world.now
    with reverts("GrantFundZeroAmount"):
        world.gf.createRound(
            ("r", RoundKind.PROJECT, 501, 0, now, now + DAY, now + DAY), sender=world.fund_manager
        )


def test_anyone_can_fund_up_to_the_budget(world: FundWorld, outsider: Any) -> None:
    round_id = world.create_round(budget=100 * UNIT, fund=0)
    receipt = world.deposit(round_id, 60 * UNIT, funder=outsider)
    (event,) = world.gf.RoundFunded.from_receipt(receipt)
    assert (event.roundId, event.operator, event.amount) == (round_id, outsider.address, 60 * UNIT)
    assert world.gf.getRound(round_id).deposited == 60 * UNIT
    assert world.gf.availableOf(round_id) == 60 * UNIT
    with reverts("GrantFundOverfunded", amount=41 * UNIT, room=40 * UNIT):
        world.deposit(round_id, 41 * UNIT)
    world.deposit(round_id, 40 * UNIT)
    assert world.balance(world.gf) == 100 * UNIT
    assert world.conserved()


def test_fund_round_needs_allowance_and_a_known_open_round(world: FundWorld) -> None:
    round_id = world.create_round(fund=0)
    with reverts("ERC20InsufficientAllowance"):
        world.gf.fundRound(round_id, UNIT, sender=world.treasurer)
    with reverts("GrantFundZeroAmount"):
        world.gf.fundRound(round_id, 0, sender=world.treasurer)
    with reverts("GrantFundUnknownRound", roundId=99):
        world.gf.fundRound(99, UNIT, sender=world.treasurer)


def test_close_round_returns_unspent_and_keeps_awards_payable(world: FundWorld, outsider: Any):
    round_id = world.create_round(budget=1_000 * UNIT)
    app = world.awarded(world.apply_grant(round_id, "ent_a", amounts=(100 * UNIT, 200 * UNIT)))
    with reverts("GrantFundDecisionPending"):
        world.gf.closeRound(round_id, sender=world.fund_manager)
    world.chain.pending_timestamp += 15 * DAY
    with reverts("AccessManagedUnauthorized"):
        world.gf.closeRound(round_id, sender=outsider)

    before = world.balance(world.treasury)
    receipt = world.gf.closeRound(round_id, sender=world.fund_manager)
    assert world.balance(world.treasury) - before == 700 * UNIT
    (returned,) = world.gf.FundsReturned.from_receipt(receipt)
    assert returned.operator == world.fund_manager.address and returned.amount == 700 * UNIT
    assert world.gf.getRound(round_id).closed
    assert world.gf.heldOf(round_id) == world.gf.owedOf(round_id) == 300 * UNIT
    assert world.conserved()

    # closed: no deposits, no applications, no second close
    with reverts("GrantFundRoundClosed"):
        world.deposit(round_id, UNIT)
    with reverts("GrantFundRoundClosed"):
        world.gf.closeRound(round_id, sender=world.fund_manager)

    # the award stays payable after close
    world.gf.submitMilestone(
        app, 0, keccak(text="report"), sender=world.enterprises["ent_a"].account
    )
    world.approve_milestone(app, 0)
    assert world.gf.getRound(round_id).paid == 100 * UNIT
    assert world.conserved()


def test_sweep_returns_money_released_after_close(world: FundWorld, outsider: Any) -> None:
    round_id = world.create_round(budget=300 * UNIT)
    app = world.awarded(world.apply_grant(round_id, "ent_a", amounts=(100 * UNIT, 200 * UNIT)))
    world.chain.pending_timestamp += 15 * DAY
    world.gf.closeRound(round_id, sender=world.fund_manager)  # nothing unspent: no transfer
    assert world.gf.getRound(round_id).returned == 0
    with reverts("GrantFundNothingToReturn"):
        world.gf.sweep(round_id, sender=outsider)

    for member in world.committee[:2]:
        world.gf.voteClawback(app, keccak(text="abandoned"), sender=member)
    before = world.balance(world.treasury)
    world.gf.sweep(round_id, sender=outsider)
    assert world.balance(world.treasury) - before == 300 * UNIT
    assert world.gf.heldOf(round_id) == 0 and world.balance(world.gf) == 0
    assert world.conserved()


def test_sweep_needs_a_closed_round(world: FundWorld) -> None:
    round_id = world.create_round()
    with reverts("GrantFundRoundNotClosed"):
        world.gf.sweep(round_id, sender=world.treasurer)


def test_pause_is_guardian_only_and_blocks_close_and_sweep(world: FundWorld, outsider: Any):
    round_id = world.create_round()
    for caller in (outsider, world.fund_manager, world.committee[0]):
        with reverts("AccessManagedUnauthorized"):
            world.gf.pause(sender=caller)
    world.gf.pause(sender=world.guardian)
    world.chain.pending_timestamp += 15 * DAY
    with reverts("EnforcedPause"):
        world.gf.closeRound(round_id, sender=world.fund_manager)
    for caller in (outsider, world.guardian):  # the guardian stops; only the admin resumes
        with reverts("AccessManagedUnauthorized"):
            world.gf.unpause(sender=caller)
    world.gf.unpause(sender=world.agency["deployer"])
    world.gf.closeRound(round_id, sender=world.fund_manager)
    assert world.gf.getRound(round_id).returned == 1_000 * UNIT


def test_deposits_continue_while_paused(world: FundWorld) -> None:
    round_id = world.create_round(fund=0)
    world.gf.pause(sender=world.guardian)
    world.deposit(round_id, 10 * UNIT)
    assert world.gf.getRound(round_id).deposited == 10 * UNIT


def test_committee_parameters_are_admin_only_and_sane(world: FundWorld, agency: dict) -> None:
    admin = agency["deployer"]
    with reverts("AccessManagedUnauthorized"):
        world.gf.setCommittee(3, 3, sender=world.fund_manager)
    for threshold, size in ((1, 3), (4, 3), (2, 17), (0, 0)):
        with reverts("GrantFundInvalidThreshold", threshold=threshold, committeeSize=size):
            world.gf.setCommittee(threshold, size, sender=admin)
    receipt = world.gf.setCommittee(3, 5, sender=admin)
    assert (world.gf.threshold(), world.gf.committeeSize()) == (3, 5)
    (event,) = world.gf.CommitteeSet.from_receipt(receipt)
    assert event.operator == admin.address


def test_treasury_is_admin_only_and_non_zero(world: FundWorld, agency: dict, outsider: Any):
    admin = agency["deployer"]
    with reverts("AccessManagedUnauthorized"):
        world.gf.setTreasury(outsider, sender=world.treasurer)
    with reverts("GrantFundZeroAddress"):
        world.gf.setTreasury("0x" + "00" * 20, sender=admin)
    world.gf.setTreasury(outsider, sender=admin)
    assert world.gf.treasury() == outsider.address
