"""Gas per step of a full round (receipts' gas_used), driven through the client functions the
admin commands use; printed as a table (`pytest -s`) and held under ceilings so a regression
shows up as a failure."""

from __future__ import annotations

from typing import Any

from civic_ledger.clients import fund as fund_client

from .fund_world import DAY, MONTH, POLICY_ID, UNIT, FundWorld, h

# Since IdentityRegistry and RecordRegistry are upgradeable (CityProxy), every call the fund makes
# to them pays the proxy (the ERC-1967 slot and the implementation's account, ~4.7k when cold)
# and meetsPolicy reads the identity registry's address from storage (+2.1k): steps asking
# meetsPolicy cost ~13-14k more than before, the others that read an identity ~5k.
CEILINGS = {
    "createRound": 200_000,
    "fundRound (first deposit)": 125_000,
    "applyForRent": 359_000,  # +14k: meetsPolicy through the identity and record proxies
    "applyForGrant (2 milestones)": 420_000,
    "voteOnApplication (1st vote)": 120_000,
    "voteOnApplication (M-th, approves)": 120_000,
    "award": 150_000,
    "payRent (first month)": 210_000,
    "payRent (a later month)": 139_000,  # +14k: as applyForRent
    "payRent (skipped, ineligible)": 129_000,  # +14k: as applyForRent
    "recordRentEligibility": 93_000,  # +13k: as applyForRent
    "submitMilestone": 100_000,
    "voteOnMilestone (1st vote)": 120_000,
    "voteOnMilestone (M-th, approves + pays)": 250_000,
    "voteOnMilestone (M-th, rejects)": 130_000,
    "payMilestone (deferred)": 140_000,
    "voteClawback (1st vote)": 110_000,
    "voteClawback (M-th, claws back)": 120_000,
    "closeRound (returns unspent)": 155_000,
    "sweep": 80_000,
    "pause": 60_000,
}


def test_gas_per_step(world: FundWorld) -> None:
    gf, token, chain = world.gf, world.token, world.chain
    m1, m2, m3 = world.committee
    ent_a, ent_b, ent_c = (world.enterprises[n].account for n in ("ent_a", "ent_b", "ent_c"))
    gas: dict[str, int] = {}
    last: dict[str, Any] = {}

    def recording(label: str, method: Any, *args: Any, sender: Any, **kwargs: Any) -> Any:
        receipt = method(*args, sender=sender, **kwargs)
        last["receipt"] = receipt
        return receipt

    def record(name: str) -> None:
        gas[name] = int(last["receipt"].gas_used)

    now = world.now
    rent = fund_client.create_round(
        gf, world.fund_manager, "Rent relief", fund_client.RoundKind.RENT, POLICY_ID,
        1_000 * UNIT, now, now + 7 * DAY, now + 14 * DAY, transact=recording,
    )  # fmt: skip
    record("createRound")
    research = fund_client.create_round(
        gf, world.fund_manager, "Research", fund_client.RoundKind.RESEARCH, POLICY_ID,
        1_000 * UNIT, now, now + 7 * DAY, now + 14 * DAY, transact=recording,
    )  # fmt: skip
    token.mint(world.treasurer, 2_000 * UNIT, sender=world.treasurer)
    fund_client.fund_round(gf, token, world.treasurer, rent, 1_000 * UNIT, transact=recording)
    record("fundRound (first deposit)")
    fund_client.fund_round(gf, token, world.treasurer, research, 1_000 * UNIT, transact=recording)

    rent_a = fund_client.apply_for_rent(gf, ent_a, rent, h("rent a"), h("lease a"), 50 * UNIT,
                                        12, transact=recording)  # fmt: skip
    record("applyForRent")
    rent_c = fund_client.apply_for_rent(gf, ent_c, rent, h("rent c"), h("lease c"), 50 * UNIT,
                                        6, transact=recording)  # fmt: skip
    plan = [(300 * UNIT, now + 90 * DAY), (200 * UNIT, now + 180 * DAY)]
    grant_b = fund_client.apply_for_grant(gf, ent_b, research, h("plan b"), plan,
                                          transact=recording)  # fmt: skip
    record("applyForGrant (2 milestones)")

    for app in (rent_a, rent_c, grant_b):
        fund_client.vote(gf, m1, app, True, transact=recording)
        record("voteOnApplication (1st vote)")
        fund_client.vote(gf, m2, app, True, transact=recording)
        record("voteOnApplication (M-th, approves)")
        fund_client.award(gf, m3, app, transact=recording)
        record("award")

    fund_client.pay_rent(gf, world.outsider, rent_a, transact=recording)
    record("payRent (first month)")
    fund_client.pay_rent(gf, world.outsider, rent_c)  # month 0: checked in at the award
    world.make_ineligible("ent_c")

    fund_client.submit_milestone(gf, ent_b, grant_b, 0, h("draft"), transact=recording)
    record("submitMilestone")
    fund_client.vote_milestone(gf, m1, grant_b, 0, False, transact=recording)
    decision = fund_client.vote_milestone(gf, m2, grant_b, 0, False, transact=recording)
    assert decision.decided == "rejected"
    record("voteOnMilestone (M-th, rejects)")
    fund_client.submit_milestone(gf, ent_b, grant_b, 0, h("final"), transact=recording)
    fund_client.vote_milestone(gf, m1, grant_b, 0, True, transact=recording)
    record("voteOnMilestone (1st vote)")
    decision = fund_client.vote_milestone(gf, m3, grant_b, 0, True, transact=recording)
    assert decision.paid == 300 * UNIT
    record("voteOnMilestone (M-th, approves + pays)")

    fund_client.submit_milestone(gf, ent_b, grant_b, 1, h("part 2"), transact=recording)
    recording("pause", gf.pause, sender=world.guardian)
    record("pause")
    fund_client.vote_milestone(gf, m1, grant_b, 1, True, transact=recording)
    fund_client.vote_milestone(gf, m2, grant_b, 1, True, transact=recording)  # deferred: paused
    gf.unpause(sender=world.agency["deployer"])
    fund_client.pay_milestone(gf, world.outsider, grant_b, 1, transact=recording)
    record("payMilestone (deferred)")

    chain.pending_timestamp += MONTH
    fund_client.pay_rent(gf, world.outsider, rent_a, transact=recording)  # checks month 1 in
    record("payRent (a later month)")
    chain.pending_timestamp += MONTH
    fund_client.record_rent_eligibility(gf, world.outsider, rent_a, transact=recording)
    record("recordRentEligibility")
    outcome = fund_client.pay_rent(gf, world.outsider, rent_c, transact=recording)
    assert outcome.forfeited and not outcome.paid  # month 1 ended without a check-in
    record("payRent (skipped, ineligible)")

    fund_client.clawback(gf, m1, rent_c, h("lost licence"), transact=recording)
    record("voteClawback (1st vote)")
    decision = fund_client.clawback(gf, m2, rent_c, h("audit"), transact=recording)
    assert decision.decided == "clawed back"
    record("voteClawback (M-th, claws back)")

    fund_client.close_round(gf, world.fund_manager, rent, transact=recording)
    record("closeRound (returns unspent)")
    chain.pending_timestamp += MONTH
    fund_client.clawback(gf, m1, rent_a, h("relocated"), transact=recording)
    fund_client.clawback(gf, m2, rent_a, h("relocated"), transact=recording)
    fund_client.sweep(gf, world.outsider, rent, transact=recording)
    record("sweep")
    assert world.conserved()

    width = max(map(len, gas))
    print("\nGrantFund gas per step (receipts' gas_used)")
    for name, used in gas.items():
        print(f"  {name:<{width}}  {used:>9,}")
    for name, ceiling in CEILINGS.items():
        assert name in gas, f"not measured: {name}"
        assert gas[name] <= ceiling, f"{name}: {gas[name]:,} gas > ceiling {ceiling:,}"
