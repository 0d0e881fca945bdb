"""Fixtures of the grant-fund tests: `world` (see fund_world.py) on top of the shared suite."""

from __future__ import annotations

from typing import Any

import pytest

from .fund_world import (
    ENTERPRISE,
    MARKET_RECORD_ISSUER,
    PERSON,
    POLICY_ID,
    TAX_RECORD_ISSUER,
    YEAR,
    Enterprise,
    FundWorld,
    h,
    subject_for,
)


@pytest.fixture(scope="session")
def world(
    suite: Any, agency: dict[str, Any], citizens: list[Any], outsider: Any, chain: Any
) -> FundWorld:
    """Three licensed enterprises (ent_a/b/c on citizens 0-2) meeting policy 501, one person
    (citizen 3), and enterprise `ent_m` controlled by committee member 3 (conflict tests)."""
    identities = suite["IdentityRegistry"]
    records = suite["RecordRegistry"]
    data_bureau = agency["data_bureau"]

    records.registerSchema(
        "fund-test-licence",
        "uint32 licence",
        MARKET_RECORD_ISSUER,
        True,
        False,
        0,
        sender=data_bureau,
    )
    licence = records.schemaCount()
    records.registerSchema(
        "fund-test-tax-penalty",
        "uint256 amount",
        TAX_RECORD_ISSUER,
        True,
        True,
        YEAR,
        sender=data_bureau,
    )
    penalty = records.schemaCount()
    records.setPolicy(POLICY_ID, "grant eligible", [licence], [penalty], sender=data_bureau)

    controllers = {
        "ent_a": citizens[0],
        "ent_b": citizens[1],
        "ent_c": citizens[2],
        "ent_m": agency["committee_member_3"],
    }
    enterprises = {
        name: Enterprise(name, subject_for(name), account) for name, account in controllers.items()
    }
    person = Enterprise("person", subject_for("person"), citizens[3])
    identities.registerBatch(
        [(e.subject, e.account.address, ENTERPRISE) for e in enterprises.values()]
        + [(person.subject, person.account.address, PERSON)],
        sender=agency["identity_office"],
    )
    records.issueBatch(
        [
            (licence, e.subject, h(f"licence:{e.name}"), (7).to_bytes(32, "big"), 0, b"\x00" * 32)
            for e in [*enterprises.values(), person]
        ],
        sender=agency["market_regulator"],
    )
    return FundWorld(
        gf=suite["GrantFund"],
        token=suite["CityToken"],
        identities=identities,
        records=records,
        manager=suite["CityAccessManager"],
        chain=chain,
        agency=agency,
        enterprises=enterprises,
        person=person,
        licence_schema=licence,
        penalty_schema=penalty,
        outsider=outsider,
    )
