"""Fixtures of the grant-fund tests: `world` (see fund_world.py) on top of the shared suite."""

from __future__ import annotations

from typing import Any

import pytest

from civic_ledger.access.roles import RoleId
from civic_ledger.identity.client import Kind

from .fund_world import (
    POLICY_ID,
    YEAR,
    Enterprise,
    FundWorld,
    h,
    subject_for,
)


@pytest.fixture(scope="session")
def world(
    suite: Any,
    agency: dict[str, Any],
    citizens: list[Any],
    outsider: Any,
    chain: Any,
    accounts: Any,
) -> FundWorld:
    """Three licensed enterprises (ent_a/b/c on citizens 0-2) meeting policy 501, one person
    (citizen 3), the three committee members each controlling a person identity (member_1..3:
    only members with an Active identity vote), and enterprise `ent_m`, on a side wallet of
    its own, that member 3 is declared conflicted with in the fund's register of interests."""
    identities = suite["IdentityRegistry"]
    records = suite["RecordRegistry"]
    data_bureau = agency["data_bureau"]

    records.registerSchema(
        ("fund-test-licence", "uint32 licence", RoleId.MARKET_RECORD_ISSUER, True, False, 0),
        sender=data_bureau,
    )
    licence = records.schemaCount()
    records.registerSchema(
        ("fund-test-tax-penalty", "uint256 amount", RoleId.TAX_RECORD_ISSUER, True, True, YEAR),
        sender=data_bureau,
    )
    penalty = records.schemaCount()
    records.setPolicy(POLICY_ID, "grant eligible", [licence], [penalty], sender=data_bureau)

    side_wallet = accounts.generate_test_account()
    agency["deployer"].transfer(side_wallet, 10**20)
    controllers = {
        "ent_a": citizens[0],
        "ent_b": citizens[1],
        "ent_c": citizens[2],
        "ent_m": side_wallet,
    }
    enterprises = {
        name: Enterprise(name, subject_for(name), account) for name, account in controllers.items()
    }
    person = Enterprise("person", subject_for("person"), citizens[3])
    members = [
        Enterprise(f"member_{i}", subject_for(f"member_{i}"), agency[f"committee_member_{i}"])
        for i in (1, 2, 3)
    ]
    identities.registerBatch(
        [(e.subject, e.account.address, Kind.ENTERPRISE) for e in enterprises.values()]
        + [(p.subject, p.account.address, Kind.PERSON) for p in (person, *members)],
        sender=agency["identity_office"],
    )
    records.issueBatch(
        [
            (licence, e.subject, h(f"licence:{e.name}"), (7).to_bytes(32, "big"), 0, b"\x00" * 32)
            for e in [*enterprises.values(), person]
        ],
        sender=agency["market_regulator"],
    )
    suite["GrantFund"].setConflict(
        members[2].subject, enterprises["ent_m"].subject, True, sender=agency["fund_office"]
    )
    return FundWorld(suite, chain, agency, enterprises, person, members, licence, penalty, outsider)
