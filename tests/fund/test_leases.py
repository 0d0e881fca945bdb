"""Issue #12, finding 4: one lease, one rent subsidy at a time. A rent application names its
lease by content hash; a lease hash backs at most one live rent application or active rent
award across all rounds, from application until the application is rejected or lapses, or the
award ends (completed or clawed back)."""

from __future__ import annotations

from typing import Any

from reverts import reverts

from civic_ledger.fund.client import ApplicationStatus, RoundKind

from .fund_world import DAY, MONTH, UNIT, FundWorld, h

LEASE = h("lease: Zhongguancun Tower, floor 7, units 701-703")
ZERO32 = b"\x00" * 32


def _apply(world: FundWorld, round_id: int, who: str, lease: bytes = LEASE, months: int = 2) -> int:
    world.gf.applyForRent(
        round_id,
        h(f"proposal:{who}:{round_id}"),
        (lease, 10 * UNIT, months),
        sender=world.enterprises[who].account,
    )
    return int(world.gf.applicationCount())


def test_one_lease_cannot_be_subsidised_by_two_rounds_at_once(
    world: FundWorld, outsider: Any
) -> None:
    """The exploit: two enterprises (or one, in two rounds) apply with the same lease. Only the
    first reserves it; once its award has completed, a new round may subsidise it again."""
    gf = world.gf
    first_round = world.create_round(kind=RoundKind.RENT, budget=500 * UNIT)
    second_round = world.create_round(kind=RoundKind.RENT, budget=500 * UNIT)
    first = _apply(world, first_round, "ent_a")
    assert bytes(gf.getApplication(first).leaseHash) == LEASE
    with reverts("GrantFundLeaseInUse", leaseHash=LEASE, appId=first):
        _apply(world, first_round, "ent_b")  # another enterprise, same round
    with reverts("GrantFundLeaseInUse", leaseHash=LEASE, appId=first):
        _apply(world, second_round, "ent_a")  # the same enterprise, another round
    with reverts("GrantFundLeaseInUse", leaseHash=LEASE, appId=first):
        _apply(world, second_round, "ent_b")

    world.awarded(first)
    assert tuple(gf.leaseHolder(LEASE)) == (first, True)
    awarded_at = int(gf.getAward(first).awardedAt)
    world.chain.pending_timestamp = awarded_at + MONTH + DAY
    gf.payRent(first, sender=outsider)  # both months paid: the award completes
    assert gf.getAward(first).paid == 20 * UNIT
    assert tuple(gf.leaseHolder(LEASE)) == (first, False)

    third_round = world.create_round(kind=RoundKind.RENT, budget=500 * UNIT)
    again = _apply(world, third_round, "ent_b")
    assert gf.applicationStatus(again) == ApplicationStatus.PENDING
    assert tuple(gf.leaseHolder(LEASE)) == (again, True)


def test_application_event_logs_the_lease(world: FundWorld) -> None:
    round_id = world.create_round(kind=RoundKind.RENT)
    account = world.enterprises["ent_c"].account
    receipt = world.gf.applyForRent(round_id, h("p"), (LEASE, UNIT, 3), sender=account)
    (event,) = world.gf.ApplicationSubmitted.from_receipt(receipt)
    assert bytes(event.leaseHash) == LEASE


def test_lease_hash_is_required(world: FundWorld) -> None:
    round_id = world.create_round(kind=RoundKind.RENT)
    with reverts("GrantFundZeroHash"):
        _apply(world, round_id, "ent_a", lease=ZERO32)


def test_a_rejected_application_frees_the_lease(world: FundWorld) -> None:
    round_id = world.create_round(kind=RoundKind.RENT)
    app_id = _apply(world, round_id, "ent_a")
    for member in world.committee[:2]:
        world.gf.voteOnApplication(app_id, False, sender=member)
    assert tuple(world.gf.leaseHolder(LEASE)) == (app_id, False)
    _apply(world, round_id, "ent_b")


def test_a_lapsed_application_frees_the_lease(world: FundWorld) -> None:
    round_id = world.create_round(kind=RoundKind.RENT, window=2 * DAY, decision=3 * DAY)
    app_id = _apply(world, round_id, "ent_a")
    world.approve(app_id)  # approved but never awarded
    world.chain.pending_timestamp += 4 * DAY
    other_round = world.create_round(kind=RoundKind.RENT)
    _apply(world, other_round, "ent_b")


def test_a_clawed_back_award_frees_the_lease(world: FundWorld) -> None:
    round_id = world.create_round(kind=RoundKind.RENT)
    app_id = world.awarded(_apply(world, round_id, "ent_a", months=6))
    other_round = world.create_round(kind=RoundKind.RENT)
    with reverts("GrantFundLeaseInUse"):
        _apply(world, other_round, "ent_b")
    for member in world.committee[:2]:
        world.gf.voteClawback(app_id, h("sublet"), sender=member)
    _apply(world, other_round, "ent_b")


def test_distinct_leases_do_not_interfere(world: FundWorld) -> None:
    round_id = world.create_round(kind=RoundKind.RENT)
    _apply(world, round_id, "ent_a", lease=h("lease a"))
    _apply(world, round_id, "ent_b", lease=h("lease b"))
    assert tuple(world.gf.leaseHolder(h("never used"))) == (0, False)
