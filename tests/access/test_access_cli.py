"""Roles and delayed operations from the command line (issue #15): the admin grants and revokes
a clerk's role, a member whose role carries an execution delay schedules a call and executes it
after the delay, the guardian cancels one; the treasurer mints and a holder transfers. Every
refusal is one line with nothing sent."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hostile.harness import invoke

from civic_ledger.access.roles import RoleId
from civic_ledger.cli import access as access_cli
from civic_ledger.cli import token as token_cli

HOUR = 3600


@pytest.fixture
def run(suite: Any) -> Any:
    manifest = str(suite.manifest.path)

    def run(group: Any, name: str, *args: str, ok: bool = True, code: int = 1) -> str:
        """The command's output; `ok=False`: refused with exit `code` (1: refused by the state
        of things, 2: bad usage) and one `Error:` line."""
        outcome = invoke(group.commands[name], [*args, "--manifest", manifest])
        assert (outcome.exit_code == 0) is ok, outcome.output
        if not ok:
            assert outcome.exit_code == code, outcome.output
            assert outcome.output.count("Error:") == 1 and "Traceback" not in outcome.output
        return " ".join(outcome.output.split())  # rich wraps at 80 columns off a terminal

    return run


def alias(accounts: Any, account: Any) -> str:
    """The --account value of a test account."""
    [index] = [i for i, a in enumerate(accounts) if a.address == account.address]
    return f"TEST::{index}"


def nonces(accounts: Any) -> list[int]:
    return [a.nonce for a in accounts]


def test_admin_grants_and_revokes_a_clerk(suite, run, accounts, agency, outsider):
    clerk = accounts[16]
    token = suite["CityToken"]
    listed = run(access_cli.access, "roles")
    assert "TREASURER" in listed and "GUARDIAN" in listed and "grant delay" in listed

    before = nonces(accounts)
    refused = run(access_cli.access, "grant", "TREASURER", clerk.address, "--account",
                  alias(accounts, outsider), ok=False)  # fmt: skip
    assert "may not grant TREASURER" in refused and nonces(accounts) == before

    granted = run(access_cli.access, "grant", "treasurer", clerk.address, "--account", "TEST::0")
    assert f"grant TREASURER to {clerk.address}" in granted
    members = run(access_cli.access, "members", "TREASURER")
    assert clerk.address in members and agency["finance_bureau"].address in members
    assert token.mint.estimate_gas_cost(clerk, 1, sender=clerk)  # the clerk may mint now

    run(access_cli.access, "revoke", "TREASURER", clerk.address, "--account", "TEST::0")
    assert clerk.address not in run(access_cli.access, "members", "TREASURER")
    assert not suite["CityAccessManager"].hasRole(RoleId.TREASURER, clerk)[0]
    before = nonces(accounts)
    again = run(access_cli.access, "revoke", "TREASURER", clerk.address, "--account", "TEST::0",
                ok=False)  # fmt: skip
    assert f"{clerk.address} does not hold TREASURER" in again and nonces(accounts) == before
    unknown = run(access_cli.access, "members", "TAX_COLLECTOR", ok=False, code=2)
    assert "unknown role 'TAX_COLLECTOR'" in unknown


def test_a_delayed_member_schedules_then_executes(suite, run, accounts, chain):
    clerk, payee = accounts[16], accounts[17]
    token = suite["CityToken"]
    run(access_cli.access, "grant", "TREASURER", clerk.address, "--execution-delay", str(HOUR),
        "--account", "TEST::0")  # fmt: skip
    as_clerk = ("--account", "TEST::16")

    # a direct mint is refused for a delayed member: it must be scheduled
    refused = run(token_cli.token, "mint", payee.address, "--amount", "5", *as_clerk, ok=False)
    assert "was not scheduled" in refused and "access schedule" in refused
    scheduled = run(access_cli.access, "schedule", "CityToken", "mint(address,uint256)",
                    payee.address, str(5 * 10**18), *as_clerk)  # fmt: skip
    assert "can run from" in scheduled
    [operation] = re.findall(r"operation (0x[0-9a-f]{64}) can run", scheduled)
    pending = run(access_cli.access, "pending")
    assert operation in pending and "CityToken.mint(address,uint256)" in pending

    before = nonces(accounts)
    early = run(access_cli.access, "execute", operation, *as_clerk, ok=False)
    assert f"{operation} cannot run before" in early and nonces(accounts) == before
    chain.pending_timestamp += HOUR + 1
    chain.mine()
    other = run(access_cli.access, "execute", operation, "--account", "TEST::0", ok=False)
    assert f"only {clerk.address}, who scheduled it, can execute" in other
    assert nonces(accounts) == before
    run(access_cli.access, "execute", operation, *as_clerk)
    assert token.balanceOf(payee) == 5 * 10**18
    assert operation not in run(access_cli.access, "pending")
    gone = run(access_cli.access, "execute", operation, *as_clerk, ok=False)
    assert "is not an operation waiting" in gone


def test_the_guardian_cancels_a_scheduled_operation(suite, run, accounts, roles_config):
    clerk, payee = accounts[16], accounts[17]
    run(access_cli.access, "grant", "TREASURER", clerk.address, "--execution-delay", str(HOUR),
        "--account", "TEST::0")  # fmt: skip
    scheduled = run(access_cli.access, "schedule", "CityToken", "mint(address,uint256)",
                    payee.address, "1000", "--account", "TEST::16")  # fmt: skip
    [operation] = re.findall(r"operation (0x[0-9a-f]{64}) can run", scheduled)
    [guardian] = [a for a in roles_config.agencies if a.name == "emergency_guardian"]
    cancelled = run(access_cli.access, "cancel", operation, "--account",
                    f"TEST::{guardian.account.test_account}")  # fmt: skip
    assert "cancelled CityToken.mint(address,uint256)" in cancelled
    assert "no other operation is scheduled" in run(access_cli.access, "pending")

    bad = run(access_cli.access, "schedule", "CityToken", "mint(address)", payee.address,
              "--account", "TEST::16", ok=False, code=2)  # fmt: skip
    assert "'mint(address)' is not a function of CityToken" in bad
    undelayed = run(access_cli.access, "schedule", "CityToken", "mint(address,uint256)",
                    payee.address, "1", "--account", "TEST::0", ok=False)  # fmt: skip
    assert "no delay applies" in undelayed


def test_treasurer_mints_and_a_holder_transfers(suite, run, accounts, agency):
    treasurer = agency["finance_bureau"]
    holder, payee = accounts[16], accounts[17]
    symbol = suite["CityToken"].symbol()
    minted = run(token_cli.token, "mint", holder.address, "--amount", "1200.5", "--account",
                 alias(accounts, treasurer))  # fmt: skip
    assert f"minted 1200.5 {symbol} to {holder.address}" in minted
    shown = run(token_cli.token, "balance", holder.address)
    assert f"balance of {holder.address} 1200.5 {symbol}" in shown and "total supply" in shown

    before = nonces(accounts)
    short = run(token_cli.token, "transfer", payee.address, "--amount", "5000", "--account", "TEST::16",
                ok=False)  # fmt: skip
    assert f"holds 1200.5 {symbol}, less than 5000 {symbol}" in short
    for amount, why in (("0", "more than 0"), ("-1", "negative"), ("1e400", "too large")):
        refused = run(token_cli.token, "transfer", payee.address, "--amount", amount, "--account",
                      "TEST::16", ok=False, code=2)  # fmt: skip
        assert why in refused, refused
    assert nonces(accounts) == before
    sent = run(
        token_cli.token, "transfer", payee.address, "--amount", "200.5", "--account", "TEST::16"
    )
    assert f"now holds 1000 {symbol}" in sent
    assert suite["CityToken"].balanceOf(payee) == 200 * 10**18 + 5 * 10**17
