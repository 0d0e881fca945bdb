"""The issue's "done when": a full round - a rent round and a research round, committee votes, a
milestone paid, one clawback, close - driven through `ape run admin fund ...` (the click commands,
signing with the agencies' test accounts), plus argument parsing and readable refusals."""

from __future__ import annotations

import re
from typing import Any

import click
import pytest
from click.testing import CliRunner
from eth_utils import keccak

from civic_ledger.cli import fund as cli
from civic_ledger.fund import client as fund_client
from civic_ledger.fund.client import RoundKind

from .fund_world import DAY, MONTH, POLICY_ID, UNIT, FundWorld

# test-account indices (config/roles.local.yaml; enterprises are the fund tests' citizens)
FUND_OFFICE, TREASURER, GUARDIAN = "TEST::9", "TEST::8", "TEST::13"
MEMBERS = ("TEST::10", "TEST::11", "TEST::12")
ENT_A, ENT_B, ENT_C, OUTSIDER = "TEST::15", "TEST::16", "TEST::17", "TEST::19"
BOX = re.compile(r"[\u2500-\u257f]")


@pytest.fixture
def run_cli(suite: Any) -> Any:
    """Runs `fund <command> ...` through click on the test chain (the command rebuilt without
    --network: Ape's connected-command wrapper would disconnect the test provider on exit)."""
    runner = CliRunner()
    manifest = str(suite.manifest.path)

    def run(name: str, *args: str, ok: bool = True) -> str:
        command = cli.fund.commands[name]
        plain = click.Command(
            name,
            callback=command.callback,
            params=[p for p in command.params if p.name != "network"],
        )
        result = runner.invoke(plain, [*args, "--manifest", manifest], catch_exceptions=False)
        assert (result.exit_code == 0) is ok, result.output
        print(result.output)
        # rich wraps at the terminal width and draws boxes: compare on plain words
        return " ".join(BOX.sub(" ", result.output).split())

    return run


def test_argument_parsing() -> None:
    now = 1_800_000_000
    assert fund_client.parse_when("14d", now) == now + 14 * DAY
    assert fund_client.parse_when("+12h", now) == now + 12 * 3600
    assert fund_client.parse_when("1800000123", now) == 1_800_000_123
    assert fund_client.parse_when("2027-01-01", now) == 1798847999  # end of that day, UTC
    assert fund_client.parse_when("2027-01-01T00:00:00+08:00", now) == 1798732800
    with pytest.raises(ValueError, match="duration"):
        fund_client.parse_when("next tuesday", now)
    assert fund_client.parse_milestone("1250.5@30d", now) == (1250_5 * 10**17, now + 30 * DAY)
    with pytest.raises(ValueError, match="AMOUNT@DUE"):
        fund_client.parse_milestone("1250", now)
    assert fund_client.parse_kind("Research") is fund_client.RoundKind.RESEARCH
    with pytest.raises(ValueError, match="rent, research, project"):
        fund_client.parse_kind("loan")


def test_full_round_through_the_commands(run_cli: Any, world: FundWorld, tmp_path: Any) -> None:
    gf, chain = world.gf, world.chain
    world.token.mint(world.treasurer, 2_000 * UNIT, sender=world.treasurer)
    ent_a, ent_b, ent_c = (world.enterprises[n].account for n in ("ent_a", "ent_b", "ent_c"))
    start = {a.address: world.balance(a) for a in (ent_a, ent_b, ent_c, world.treasury)}

    # the fund manager opens two rounds; the treasurer funds them
    out = run_cli("round-create", "--account", FUND_OFFICE, "--name", "Rent relief 2027",
                  "--kind", "rent", "--policy", str(POLICY_ID), "--budget", "600",
                  "--closes", "7d", "--decide-by", "14d")  # fmt: skip
    rent_round = gf.roundCount()
    assert f"round {rent_round}" in out and "by" in out and "gas" in out
    run_cli("round-create", "--account", FUND_OFFICE, "--name", "Research 2027",
            "--kind", "research", "--policy", str(POLICY_ID), "--budget", "1000",
            "--closes", "7d", "--decide-by", "14d")  # fmt: skip
    research_round = gf.roundCount()
    out = run_cli("fund", str(rent_round), "--account", TREASURER, "--amount", "600")
    assert "600 CITY available" in out
    run_cli("fund", str(research_round), "--account", TREASURER, "--amount", "1000")

    # enterprises apply: rent for ent_a, research for ent_b (two milestones) and ent_c
    plan = tmp_path / "plan.pdf"
    plan.write_bytes(b"%PDF research plan")
    out = run_cli("apply", str(rent_round), "--account", ENT_A, "--proposal", "rent plan 2027",
                  "--lease", "lease 2027", "--monthly", "50", "--months", "6")  # fmt: skip
    rent_app = gf.applicationCount()
    assert f"application {rent_app}" in out
    run_cli("apply", str(research_round), "--account", ENT_B, "--proposal", f"@{plan}",
            "--milestone", "300@90d", "--milestone", "200@120d")  # fmt: skip
    grant_b = gf.applicationCount()
    assert bytes(gf.getApplication(grant_b).proposalHash) == keccak(b"%PDF research plan")
    run_cli("apply", str(research_round), "--account", ENT_C, "--proposal", "0x" + "ab" * 32,
            "--milestone", "400@45d")  # fmt: skip
    grant_c = gf.applicationCount()
    assert bytes(gf.getApplication(grant_c).proposalHash) == b"\xab" * 32

    # the committee decides (2 of 3); anyone awards
    for app in (rent_app, grant_b, grant_c):
        assert "1 yes / 0 no" in run_cli("vote", str(app), "--account", MEMBERS[0], "--approve")
        assert "approved" in run_cli("vote", str(app), "--account", MEMBERS[1], "--approve")
        assert "reserved" in run_cli("award", str(app), "--account", OUTSIDER)

    assert bytes(gf.getApplication(rent_app).leaseHash) == keccak(text="lease 2027")

    # rent: month 1 was checked in at the award and is paid at once; anyone triggers it
    out = run_cli("pay-rent", str(rent_app), "--account", OUTSIDER)
    assert "month 1: paid 50 CITY" in out and "checked in" in out
    chain.pending_timestamp += MONTH
    out = run_cli("rent-due", str(rent_app))
    assert "payable now: 1 month(s), 50 CITY" in out and "month 2 (current" in out
    assert "not checked in" in out
    out = run_cli("rent-checkin", str(rent_app), "--account", OUTSIDER)
    assert "month 2 checked in" in out
    assert "month 2: paid 50 CITY" in run_cli("pay-rent", str(rent_app), "--account", OUTSIDER)

    # research: ent_b delivers milestone 0, the committee approves, the payment follows
    run_cli("milestone-submit", str(grant_b), "0", "--account", ENT_B, "--evidence", "report 1")
    run_cli("milestone-approve", str(grant_b), "0", "--account", MEMBERS[0])
    out = run_cli("milestone-approve", str(grant_b), "0", "--account", MEMBERS[2])
    assert "approved" in out and "paid 300 CITY to the grantee" in out

    # one clawback: ent_c's grant ends before anything was paid
    run_cli("clawback", str(grant_c), "--account", MEMBERS[1], "--evidence", "plagiarised plan")
    out = run_cli("clawback", str(grant_c), "--account", MEMBERS[2], "--evidence", "audit 7")
    assert "clawed back" in out and "400 CITY released" in out

    # after the decision deadline the manager closes both rounds: unspent goes back
    chain.pending_timestamp += 15 * DAY
    out = run_cli("close", str(research_round), "--account", FUND_OFFICE)
    assert (
        "500 CITY returned to the treasury" in out
    )  # 1000 - 500 owed to ent_b (ent_c clawed back)
    out = run_cli("close", str(rent_round), "--account", FUND_OFFICE)
    assert "300 CITY returned to the treasury" in out  # 600 - 300 (ent_a's six months)

    out = run_cli("status", str(research_round))
    for text in ("Research 2027", "research", "closed", "1000", "awarded",
                 "1/2 milestones", "clawed back"):  # fmt: skip
        assert text in out, text
    out = run_cli("status", str(rent_round))
    assert "2/6 months" in out and "owed 200" in out and "returned 300" in out

    # the money: conserved and where it should be
    assert world.balance(ent_a) - start[ent_a.address] == 100 * UNIT
    assert world.balance(ent_b) - start[ent_b.address] == 300 * UNIT
    assert world.balance(ent_c) == start[ent_c.address]
    assert world.balance(world.treasury) - start[world.treasury.address] == 800 * UNIT
    assert world.conserved()
    assert gf.owedOf(rent_round) == 200 * UNIT and gf.owedOf(research_round) == 200 * UNIT


def test_refusals_are_one_readable_line(run_cli: Any, world: FundWorld) -> None:
    out = run_cli("round-create", "--account", OUTSIDER, "--name", "x", "--kind", "rent",
                  "--policy", str(POLICY_ID), "--budget", "1", "--closes", "1d",
                  "--decide-by", "2d", ok=False)  # fmt: skip
    assert "not authorised" in out and "Traceback" not in out
    round_id = world.create_round()
    out = run_cli("apply", str(round_id), "--account", OUTSIDER, "--proposal", "p",
                  "--milestone", "5@10d", ok=False)  # fmt: skip
    assert out.startswith("Error:") and "This account controls no identity" in out
    out = run_cli("apply", str(round_id), "--account", ENT_A, "--proposal", "p",
                  "--monthly", "5", "--months", "2", ok=False)  # fmt: skip
    assert "--milestone" in out
    app_id = world.apply_grant(round_id, "ent_a")
    out = run_cli("vote", str(app_id), "--account", OUTSIDER, "--approve", ok=False)
    assert out.startswith("Error:") and "not a fund committee member" in out
    out = run_cli("milestone-submit", str(app_id), "0", "--account", ENT_A, "--evidence", "r",
                  ok=False)  # fmt: skip
    assert "award is not active" in out


def test_register_of_interests_and_leases_through_the_commands(
    run_cli: Any, world: FundWorld
) -> None:
    gf = world.gf
    member_1 = "0x" + world.members[0].subject.hex()
    ent_b = world.enterprises["ent_b"]
    # the fund manager records a conflict (member given by its wallet, firm by its identity)
    out = run_cli("conflict-set", world.committee[0].address, "0x" + ent_b.subject.hex(),
                  "--account", FUND_OFFICE)  # fmt: skip
    assert "conflicted" in out and "not conflicted" not in out
    assert gf.isConflicted(world.members[0].subject, ent_b.subject)
    out = run_cli("conflict-set", member_1, ent_b.account.address, "--clear",
                  "--account", FUND_OFFICE)  # fmt: skip
    assert "not conflicted" in out
    # a member recuses itself; it cannot lift that itself
    out = run_cli("conflict-declare", ent_b.account.address, "--account", MEMBERS[0])
    assert "recused" in out
    out = run_cli("conflict-set", member_1, ent_b.account.address, "--clear",
                  "--account", MEMBERS[0], ok=False)  # fmt: skip
    assert out.startswith("Error:") and "not authorised" in out
    round_id = world.create_round()
    app_id = world.apply_grant(round_id, "ent_b")
    out = run_cli("vote", str(app_id), "--account", MEMBERS[0], "--approve", ok=False)
    assert out.startswith("Error:") and "conflicted" in out

    # one lease, one rent subsidy at a time
    rent_round = world.create_round(kind=RoundKind.RENT)
    run_cli("apply", str(rent_round), "--account", ENT_A, "--proposal", "p", "--lease",
            "shared lease", "--monthly", "5", "--months", "2")  # fmt: skip
    out = run_cli("apply", str(rent_round), "--account", ENT_B, "--proposal", "p", "--lease",
                  "shared lease", "--monthly", "5", "--months", "2", ok=False)  # fmt: skip
    assert "Error:" in out and "--lease" in out and "already backs" in out
    out = run_cli("apply", str(rent_round), "--account", ENT_B, "--proposal", "p",
                  "--monthly", "5", "--months", "2", ok=False)  # fmt: skip
    assert "--lease" in out
