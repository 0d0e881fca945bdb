"""`tax pay` checks before it signs anything (it used to send an ERC-20 approval and then fail):
an unknown, paid or voided assessment, or a payer whose balance is short, is one `Error:` line
and nothing sent — no approval either, with or without --permit."""

from __future__ import annotations

import os
from typing import Any

import pytest

from civic_ledger.identity import client as id_client
from civic_ledger.property import tax as tax_client
from civic_ledger.property import titles as title_client

from .harness import Refuser
from .test_commands import all_commands

PAYER = "TEST::15"
TOKEN = 10**18


@pytest.fixture(scope="module")
def parcel(suite: Any, agency: dict[str, Any], accounts: Any, chain: Any) -> str:
    """A parcel assessed for 2041 (paid), 2042 (voided) and 2043 (more than anyone holds)."""
    tax, token = suite["PropertyTax"], suite["CityToken"]
    tag = os.urandom(3).hex().upper()
    owner = id_client.Registration.new(f"PAY-{tag}", "0x" + os.urandom(20).hex(), "person")
    id_client.register(suite["IdentityRegistry"], owner, sender=agency["identity_office"])
    code = f"PAY-{tag}"
    pid = title_client.register(
        suite["TitleRegistry"], owner.subject, code, b"\x12" * 32, 100, 1,
        sender=agency["land_registry"],
    )  # fmt: skip
    due = chain.pending_timestamp + 30 * 86400
    bureau, payer = agency["tax_bureau"], accounts[15]
    for year, amount in ((2041, 5), (2042, 5), (2043, 10**12)):
        tax_client.assess(tax, pid, year, amount * TOKEN, due, sender=bureau)
    token.mint(payer, 5 * TOKEN, sender=agency["finance_bureau"])
    tax_client.pay(tax, token, pid, 2041, sender=payer)
    tax_client.void(tax, pid, 2042, b"\x01" * 32, sender=bureau)
    return code


@pytest.mark.parametrize("permit", [False, True])
@pytest.mark.parametrize(
    ("year", "names"),
    [
        ("2040", ("no assessment", "2040")),
        ("2041", ("already paid", "2041")),
        ("2042", ("already voided", "2042")),
        ("2043", ("holds", "less than", "1000000000000")),
    ],
)
def test_pay_refuses_before_any_approval(
    refuse: Refuser, parcel: str, year: str, names: tuple[str, ...], permit: bool
) -> None:
    args = [parcel, "--year", year, "--account", PAYER] + (["--permit"] if permit else [])
    refuse(all_commands()["tax pay"], args, names=names, kind="command-specific")
