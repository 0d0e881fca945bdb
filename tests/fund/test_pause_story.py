"""The pause story (issue #12 finding 12, contracts/common/CityManaged.sol) as GrantFund tells it.

A pause (guardian) stops every outflow: milestone and rent payments and sweeps refuse with
`CityContractStopped` (the self-checked ones) and the fund manager's `closeRound` with
`EnforcedPause`; everything else continues, none of it moves tokens out. Closing the fund in
the AccessManager (`setTargetClosed`, the admin after the target's admin delay) stops EVERY
state-changing function: the self-checked ones with `CityContractStopped`, the restricted ones
with the manager's refusal. Before the conversion the self-checked functions ignored `closed`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reverts import refused, reverts
from shared_fixtures import set_target_closed

from civic_ledger.fund import client as fund_client
from civic_ledger.fund.client import MilestoneStatus, RoundKind

from .fund_world import DAY, MONTH, UNIT, FundWorld, h

STOPPED = "CityContractStopped"
# The functions that move tokens out of the fund (refused while paused).
OUTFLOWS = {"payMilestone", "payRent", "sweep"}


@dataclass
class Staged:
    """Ids of a fund in which every self-checked function has a valid call."""

    round_main: int  # project round: room to deposit, a pending and an approved application
    round_apply: int  # project round nobody applied to
    round_rent: int  # rent round holding an active rent award
    round_swept: int  # closed round with clawed-back money to sweep
    pending: int  # application awaiting votes
    approved: int  # approved application awaiting its award
    grant: int  # award: milestone 0 approved (payment deferred), 1 submitted, 2 pending
    rent: int  # rent award in month 1 (month 0 checked in at the award)


def stage(world: FundWorld) -> Staged:
    gf, members = world.gf, world.committee
    long = {"window": 60 * DAY, "decision": 90 * DAY}
    swept = world.create_round(budget=300 * UNIT, window=3600, decision=DAY)
    swept_app = world.awarded(world.apply_grant(swept, "ent_c", amounts=(300 * UNIT,)))
    main = world.create_round(budget=2_000 * UNIT, fund=1_000 * UNIT, **long)
    pending = world.apply_grant(main, "ent_c")
    approved = world.apply_grant(main, "ent_m")
    world.approve(approved)
    grant = world.awarded(world.apply_grant(main, "ent_a", amounts=(10 * UNIT,) * 3))
    ent_a = world.enterprises["ent_a"].account
    gf.submitMilestone(grant, 0, h("evidence 0"), sender=ent_a)
    gf.submitMilestone(grant, 1, h("evidence 1"), sender=ent_a)
    gf.pause(sender=world.guardian)
    world.approve_milestone(grant, 0)  # approved while paused: payment deferred
    gf.unpause(sender=world.agency["deployer"])
    assert gf.getMilestone(grant, 0).status == MilestoneStatus.APPROVED
    rent_round = world.create_round(kind=RoundKind.RENT, **long)
    rent = world.awarded(world.apply_rent(rent_round, "ent_b", months=6))
    apply_round = world.create_round(kind=RoundKind.PROJECT, fund=0, **long)

    world.chain.pending_timestamp += 2 * DAY  # past the short round's decision deadline
    gf.closeRound(swept, sender=world.fund_manager)
    for member in members[:2]:
        gf.voteClawback(swept_app, h("abandoned"), sender=member)
    world.chain.pending_timestamp = gf.getAward(rent).awardedAt + MONTH + DAY  # rent month 1
    world.token.mint(world.treasurer, 10 * UNIT, sender=world.treasurer)
    world.token.approve(gf, 10 * UNIT, sender=world.treasurer)
    return Staged(main, apply_round, rent_round, swept, pending, approved, grant, rent)


def self_checked(world: FundWorld, s: Staged) -> list[tuple[str, Callable[[], Any]]]:
    """Every self-checked state-changing function, with a call valid in order on `stage`."""
    gf, (m1, m2, _) = world.gf, world.committee
    ent = {name: e.account for name, e in world.enterprises.items()}
    now = world.now
    return [
        ("fundRound", lambda: gf.fundRound(s.round_main, 10 * UNIT, sender=world.treasurer)),
        (
            "applyForGrant",
            lambda: gf.applyForGrant(
                s.round_apply, h("new plan"), [UNIT], [now + 120 * DAY], sender=ent["ent_a"]
            ),
        ),
        (
            "applyForRent",
            lambda: gf.applyForRent(
                s.round_rent, h("rent plan"), (h("new lease"), UNIT, 3), sender=ent["ent_c"]
            ),
        ),
        ("voteOnApplication", lambda: gf.voteOnApplication(s.pending, True, sender=m1)),
        ("declareConflict", lambda: gf.declareConflict(world.person.subject, sender=m1)),
        ("award", lambda: gf.award(s.approved, sender=world.outsider)),
        (
            "submitMilestone",
            lambda: gf.submitMilestone(s.grant, 2, h("evidence 2"), sender=ent["ent_a"]),
        ),
        ("voteOnMilestone", lambda: gf.voteOnMilestone(s.grant, 1, True, sender=m1)),
        ("payMilestone", lambda: gf.payMilestone(s.grant, 0, sender=world.outsider)),
        ("recordRentEligibility", lambda: gf.recordRentEligibility(s.rent, sender=world.outsider)),
        ("payRent", lambda: gf.payRent(s.rent, sender=world.outsider)),
        ("voteClawback", lambda: gf.voteClawback(s.grant, h("doubts"), sender=m2)),
        ("sweep", lambda: gf.sweep(s.round_swept, sender=world.outsider)),
    ]


def restricted(world: FundWorld, s: Staged) -> list[tuple[str, Callable[[], Any]]]:
    """The fund's restricted functions that continue during a pause (none moves tokens out)."""
    gf, admin, now = world.gf, world.agency["deployer"], world.now
    member_1 = world.members[0].subject
    round_args = ("paused round", RoundKind.PROJECT, 501, UNIT, now, now + DAY, now + 2 * DAY)
    return [
        ("createRound", lambda: gf.createRound(round_args, sender=world.fund_manager)),
        (
            "setConflict",
            lambda: gf.setConflict(
                member_1, world.enterprises["ent_b"].subject, True, sender=world.fund_manager
            ),
        ),
        ("setCommittee", lambda: gf.setCommittee(2, 3, sender=admin)),
        ("setTreasury", lambda: gf.setTreasury(world.treasury, sender=admin)),
    ]


def set_closed(world: FundWorld, closed: bool) -> None:
    """The admin closes (or reopens) the fund in the AccessManager, through the schedule when
    the fund's target admin delay (the upgrade notice) is in force."""
    set_target_closed(world.manager, world.agency["deployer"], world.gf, closed)


def test_pause_stops_outflows_only(world: FundWorld) -> None:
    s = stage(world)
    gf = world.gf
    before = world.balance(gf)
    gf.pause(sender=world.guardian)
    for name, call in self_checked(world, s):
        if name in OUTFLOWS:
            refused(name, STOPPED, call, target=gf.address)
        else:
            call()  # continues during a pause
    for _, call in restricted(world, s):
        call()  # continues during a pause
    with reverts("EnforcedPause"):  # restricted outflow: the round's unspent budget
        gf.closeRound(s.round_main, sender=world.fund_manager)
    assert world.balance(gf) == before + 10 * UNIT  # the deposit came in; nothing went out
    assert not gf.isOpen() and fund_client.stopped(gf, world.manager) == "paused"

    gf.unpause(sender=world.agency["deployer"])
    assert gf.isOpen() and fund_client.stopped(gf, world.manager) is None
    for name, call in self_checked(world, s):
        if name in OUTFLOWS:
            call()
    assert world.conserved()


def test_closing_the_target_stops_every_self_checked_function(world: FundWorld) -> None:
    s = stage(world)
    gf = world.gf
    set_closed(world, True)
    assert not gf.paused()
    for name, call in self_checked(world, s):
        refused(name, STOPPED, call, target=gf.address)
    assert not gf.isOpen() and fund_client.stopped(gf, world.manager) == "closed"
    for name, call in restricted(world, s):  # the manager refuses a closed target's functions
        refused(name, "AccessManagedUnauthorized", call)
    for name in ("pause", "unpause"):
        with reverts("AccessManagedUnauthorized"):
            getattr(gf, name)(
                sender=world.guardian if name == "pause" else world.agency["deployer"]
            )

    set_closed(world, False)  # reopened: every call above is valid again
    for _, call in self_checked(world, s):
        call()
    assert world.conserved()


def test_closing_overrides_the_pause_exceptions(world: FundWorld) -> None:
    """Paused AND closed: the functions that continue during a pause are refused too."""
    s = stage(world)
    world.gf.pause(sender=world.guardian)
    set_closed(world, True)
    for name, call in self_checked(world, s):
        refused(name, STOPPED, call, target=world.gf.address)
    assert fund_client.stopped(world.gf, world.manager) == "paused and closed"
