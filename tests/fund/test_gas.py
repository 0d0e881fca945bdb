"""Gas per step of a full round (receipts' gas_used), driven through the client functions the
admin commands use; printed as a table (`pytest -s`) and held under ceilings so a regression
shows up as a failure."""

from __future__ import annotations

from civic_ledger.core.transact import Recording
from civic_ledger.fund import client as fund_client

from .fund_world import DAY, MONTH, POLICY_ID, UNIT, FundWorld, h

# Ceilings of the upgradeable fund (CityManaged behind a CityProxy). Each rose from the plain
# contract's by what the conversion costs per transaction, measured step by step:
# - the proxy: ~4.8k (a cold DELEGATECALL 2.6k + the ERC-1967 implementation slot's cold SLOAD
#   2.1k + calldata/returndata copies);
# - the closed check of CityManaged's pause story on self-checked functions (`whenOpen` /
#   `whenNotClosed`: the authority's slot, a call to the AccessManager, its closed flag): ~7.8k,
#   ~3.3k in committee votes (they call the manager anyway);
# - the former immutables (identity and record registries, token), now namespaced storage:
#   2.1k per field a transaction reads (the identity shares its slot with the thresholds);
# - the pause flag in its own namespaced slot (before: packed with the authority): `pause`
#   writes a zero slot (+19k; `unpause` clears it), `closeRound` and `sweep` read it cold (+2.1k).
# - IdentityRegistry and RecordRegistry are upgradeable too: every call the fund makes to them
#   pays their proxy (~4.7k cold) and meetsPolicy reads the identity registry's address from
#   storage (+2.1k): steps asking meetsPolicy cost ~13-14k more, the others reading an identity ~5k.
CEILINGS = {
    "createRound": 208_000,
    "fundRound (first deposit)": 140_000,
    "applyForRent": 372_000,
    "applyForGrant (2 milestones)": 430_000,
    "voteOnApplication (1st vote)": 132_000,
    "voteOnApplication (M-th, approves)": 132_000,
    "award": 168_000,
    "payRent (first month)": 228_000,
    "payRent (a later month)": 160_000,
    "payRent (skipped, ineligible)": 146_000,
    "recordRentEligibility": 102_000,
    "submitMilestone": 114_000,
    "voteOnMilestone (1st vote)": 132_000,
    "voteOnMilestone (M-th, approves + pays)": 269_000,
    "voteOnMilestone (M-th, rejects)": 142_000,
    "payMilestone (deferred)": 161_000,
    "voteClawback (1st vote)": 120_000,
    "voteClawback (M-th, claws back)": 132_000,
    "closeRound (returns unspent)": 165_000,
    "sweep": 96_000,
    "pause": 85_000,
}


def test_gas_per_step(world: FundWorld) -> None:
    gf, token, chain = world.gf, world.token, world.chain
    m1, m2, m3 = world.committee
    ent_a, ent_b, ent_c = (world.enterprises[n].account for n in ("ent_a", "ent_b", "ent_c"))
    gas: dict[str, int] = {}
    recording = Recording()

    def record(name: str) -> None:
        gas[name] = int(recording.last.gas_used)

    now = world.now
    rent = fund_client.create_round(
        gf, "Rent relief", fund_client.RoundKind.RENT, POLICY_ID, 1_000 * UNIT, now,
        now + 7 * DAY, now + 14 * DAY, sender=world.fund_manager, transact=recording,
    )  # fmt: skip
    record("createRound")
    research = fund_client.create_round(
        gf, "Research", fund_client.RoundKind.RESEARCH, POLICY_ID, 1_000 * UNIT, now,
        now + 7 * DAY, now + 14 * DAY, sender=world.fund_manager, transact=recording,
    )  # fmt: skip
    token.mint(world.treasurer, 2_000 * UNIT, sender=world.treasurer)
    fund_client.fund_round(
        gf, token, rent, 1_000 * UNIT, sender=world.treasurer, transact=recording
    )
    record("fundRound (first deposit)")
    fund_client.fund_round(
        gf, token, research, 1_000 * UNIT, sender=world.treasurer, transact=recording
    )

    rent_a = fund_client.apply_for_rent(gf, rent, h("rent a"), h("lease a"), 50 * UNIT,
                                        12, sender=ent_a, transact=recording)  # fmt: skip
    record("applyForRent")
    rent_c = fund_client.apply_for_rent(gf, rent, h("rent c"), h("lease c"), 50 * UNIT,
                                        6, sender=ent_c, transact=recording)  # fmt: skip
    plan = [(300 * UNIT, now + 90 * DAY), (200 * UNIT, now + 180 * DAY)]
    grant_b = fund_client.apply_for_grant(gf, research, h("plan b"), plan, sender=ent_b,
                                          transact=recording)  # fmt: skip
    record("applyForGrant (2 milestones)")

    for app in (rent_a, rent_c, grant_b):
        fund_client.vote(gf, app, True, sender=m1, transact=recording)
        record("voteOnApplication (1st vote)")
        fund_client.vote(gf, app, True, sender=m2, transact=recording)
        record("voteOnApplication (M-th, approves)")
        fund_client.award(gf, app, sender=m3, transact=recording)
        record("award")

    fund_client.pay_rent(gf, rent_a, sender=world.outsider, transact=recording)
    record("payRent (first month)")
    fund_client.pay_rent(gf, rent_c, sender=world.outsider)  # month 0: checked in at the award
    world.make_ineligible("ent_c")

    fund_client.submit_milestone(gf, grant_b, 0, h("draft"), sender=ent_b, transact=recording)
    record("submitMilestone")
    fund_client.vote_milestone(gf, grant_b, 0, False, sender=m1, transact=recording)
    decision = fund_client.vote_milestone(gf, grant_b, 0, False, sender=m2, transact=recording)
    assert decision.decided == "rejected"
    record("voteOnMilestone (M-th, rejects)")
    fund_client.submit_milestone(gf, grant_b, 0, h("final"), sender=ent_b, transact=recording)
    fund_client.vote_milestone(gf, grant_b, 0, True, sender=m1, transact=recording)
    record("voteOnMilestone (1st vote)")
    decision = fund_client.vote_milestone(gf, grant_b, 0, True, sender=m3, transact=recording)
    assert decision.paid == 300 * UNIT
    record("voteOnMilestone (M-th, approves + pays)")

    fund_client.submit_milestone(gf, grant_b, 1, h("part 2"), sender=ent_b, transact=recording)
    recording("pause", gf.pause, sender=world.guardian)
    record("pause")
    fund_client.vote_milestone(gf, grant_b, 1, True, sender=m1, transact=recording)
    fund_client.vote_milestone(
        gf, grant_b, 1, True, sender=m2, transact=recording
    )  # deferred: paused
    gf.unpause(sender=world.agency["deployer"])
    fund_client.pay_milestone(gf, grant_b, 1, sender=world.outsider, transact=recording)
    record("payMilestone (deferred)")

    chain.pending_timestamp += MONTH
    fund_client.pay_rent(gf, rent_a, sender=world.outsider, transact=recording)  # checks month 1 in
    record("payRent (a later month)")
    chain.pending_timestamp += MONTH
    fund_client.record_rent_eligibility(gf, rent_a, sender=world.outsider, transact=recording)
    record("recordRentEligibility")
    outcome = fund_client.pay_rent(gf, rent_c, sender=world.outsider, transact=recording)
    assert outcome.forfeited and not outcome.paid  # month 1 ended without a check-in
    record("payRent (skipped, ineligible)")

    fund_client.clawback(gf, rent_c, h("lost licence"), sender=m1, transact=recording)
    record("voteClawback (1st vote)")
    decision = fund_client.clawback(gf, rent_c, h("audit"), sender=m2, transact=recording)
    assert decision.decided == "clawed back"
    record("voteClawback (M-th, claws back)")

    fund_client.close_round(gf, rent, sender=world.fund_manager, transact=recording)
    record("closeRound (returns unspent)")
    chain.pending_timestamp += MONTH
    fund_client.clawback(gf, rent_a, h("relocated"), sender=m1, transact=recording)
    fund_client.clawback(gf, rent_a, h("relocated"), sender=m2, transact=recording)
    fund_client.sweep(gf, rent, sender=world.outsider, transact=recording)
    record("sweep")
    assert world.conserved()

    width = max(map(len, gas))
    print("\nGrantFund gas per step (receipts' gas_used)")
    for name, used in gas.items():
        print(f"  {name:<{width}}  {used:>9,}")
    for name, ceiling in CEILINGS.items():
        assert name in gas, f"not measured: {name}"
        assert gas[name] <= ceiling, f"{name}: {gas[name]:,} gas > ceiling {ceiling:,}"
