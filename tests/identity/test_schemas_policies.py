"""RecordRegistry administration: schemas and standing policies, and what `meetsPolicy`
answers — including every unauthorised caller."""

from __future__ import annotations

import ape
from reverts import reverts

from civic_ledger.access.roles import RoleId
from civic_ledger.identity.client import Status

from .helpers import DAY, YEAR, callers

REASON = b"AUDIT".ljust(32, b"\x00")
MAX_ROLE = 2**64 - 1


def _schema_id(records, receipt) -> int:
    return int(records.SchemaRegistered.from_receipt(receipt)[0].schemaId)


def test_register_schema_stores_everything(records, data_bureau):
    before = records.schemaCount()
    receipt = records.registerSchema(
        (
            "vat-compliance",
            "uint16 year,bool compliant",
            RoleId.TAX_RECORD_ISSUER,
            True,
            False,
            YEAR,
        ),
        sender=data_bureau,
    )
    schema_id = _schema_id(records, receipt)
    assert schema_id == before + 1
    s = records.getSchema(schema_id)
    assert (s.name, s.fieldLayout, s.issuerRole) == (
        "vat-compliance",
        "uint16 year,bool compliant",
        RoleId.TAX_RECORD_ISSUER,
    )
    assert (s.revocable, s.adverse, s.active, s.defaultValidity) == (True, False, True, YEAR)
    # the layout is parsed once: one type code per field, (kind << 5) | (bytes - 1)
    assert s.fieldCount == 2
    assert bytes(s.fieldTypes)[:3] == bytes([(1 << 5) | 1, (3 << 5), 0])
    assert s.disputeStay == records.DEFAULT_DISPUTE_STAY() == 14 * DAY
    assert records.schemaIdByName("vat-compliance") == schema_id
    assert records.schemaCount() == before + 1
    [event] = records.SchemaRegistered.from_receipt(receipt)
    assert event.operator == data_bureau.address
    [stay] = records.DisputeStaySet.from_receipt(receipt)
    assert (stay.schemaId, stay.operator, stay.stay) == (schema_id, data_bureau.address, 14 * DAY)
    second = records.registerSchema(("other", "", 21, True, False, 0), sender=data_bureau)
    assert _schema_id(records, second) == before + 2


def test_schema_rules(records, data_bureau):
    before = records.schemaCount()
    records.registerSchema(("taken", "", 20, True, False, 0), sender=data_bureau)
    with reverts("RecordDuplicateSchemaName"):
        records.registerSchema(("taken", "uint8 x", 21, True, False, 0), sender=data_bureau)
    with reverts("RecordInvalidSchemaText"):
        records.registerSchema(("", "", 20, True, False, 0), sender=data_bureau)
    with reverts("RecordInvalidSchemaText"):
        records.registerSchema(("n" * 257, "", 20, True, False, 0), sender=data_bureau)
    with reverts("RecordInvalidSchemaText"):
        records.registerSchema(("long-layout", "x" * 257, 20, True, False, 0), sender=data_bureau)
    with reverts("RecordInvalidIssuerRole"):
        records.registerSchema(("admin-issued", "", 0, True, False, 0), sender=data_bureau)
    with reverts("RecordInvalidIssuerRole"):
        records.registerSchema(("public-issued", "", MAX_ROLE, True, False, 0), sender=data_bureau)
    with reverts("RecordAdverseNeedsValidity"):
        records.registerSchema(("forever-penalty", "", 20, True, True, 0), sender=data_bureau)
    with reverts("RecordValidityTooLong"):
        records.registerSchema(
            ("too-long", "", 20, True, False, 100 * YEAR + 1), sender=data_bureau
        )
    records.registerSchema(("century", "", 20, True, True, 100 * YEAR), sender=data_bureau)
    assert records.schemaCount() == before + 2


GOOD_LAYOUTS = [
    ("uint8 a", [(1 << 5) | 0]),
    ("uint256 a,int8 b,int256 c", [(1 << 5) | 31, (2 << 5) | 0, (2 << 5) | 31]),
    (" bool  ok , bytes1 b,bytes32 c ", [3 << 5, (4 << 5) | 0, (4 << 5) | 31]),
    ("uint64 licenceNo,uint16 _sector2", [(1 << 5) | 7, (1 << 5) | 1]),
    (",".join(f"uint8 f{i}" for i in range(16)), [1 << 5] * 16),
]
BAD_LAYOUTS = [
    ("string name", 0),
    ("bytes data", 0),
    ("address wallet", 0),
    ("uint16[] years", 6),
    ("uint year", 0),
    ("int x", 0),
    ("uint7 x", 0),
    ("uint264 x", 0),
    ("uint016 x", 0),
    ("int0 x", 0),
    ("bytes0 x", 0),
    ("bytes33 x", 0),
    ("Uint8 x", 0),
    ("uint8", 5),
    ("uint8 ", 6),
    ("uint8 9lives", 6),
    ("uint8 a-b", 7),
    ("uint8 a,", 8),
    (",uint8 a", 0),
    ("uint8 a,,uint8 b", 8),
    ("uint8 a;uint8 b", 7),
    ("uint8 a,uint16 a", 15),
    ("uint8\ta", 5),
    ("uint8 a b", 8),
    (
        ",".join(f"uint8 f{i}" for i in range(17)),
        len(",".join(f"uint8 f{i}" for i in range(16))) + 7,
    ),
]


def test_layouts_are_parsed_and_checked_on_chain(records, data_bureau):
    """Finding 10: only static, typed fields; the layout is parsed once at registration."""
    for i, (layout, codes) in enumerate(GOOD_LAYOUTS):
        receipt = records.registerSchema(
            (f"ok-{i}", layout, 20, True, False, 0), sender=data_bureau
        )
        s = records.getSchema(_schema_id(records, receipt))
        assert s.fieldCount == len(codes), layout
        assert bytes(s.fieldTypes) == bytes(codes).ljust(32, b"\x00"), layout
    for i, (layout, position) in enumerate(BAD_LAYOUTS):
        with reverts("RecordInvalidLayout", position=position):
            records.registerSchema((f"bad-{i}", layout, 20, True, False, 0), sender=data_bureau)


def _layouts_of(implementation: str) -> str:
    """The first contract `implementation` created (CREATE, nonce 1): its RecordLayouts."""
    from eth_utils import keccak, to_checksum_address

    return to_checksum_address(
        keccak(b"\xd6\x94" + bytes.fromhex(implementation[2:]) + b"\x01")[12:]
    )


def test_each_implementation_parses_with_its_own_layout_parser(records, deployer):
    """The parser is RecordLayouts (outside RecordRegistry's code, for EIP-170), created by every
    implementation in its constructor and found from the proxy's ERC-1967 slot: it parses
    exactly what registerSchema stores, and a new implementation brings its own."""
    from ape import project

    from civic_ledger.deploy.proxy import implementation_of

    web3 = ape.chain.provider.web3
    parser = project.RecordLayouts.at(_layouts_of(implementation_of(web3, records.address)))
    assert parser.MAX_FIELDS() == records.MAX_FIELDS()
    for layout, codes in GOOD_LAYOUTS:
        count, types = parser.parse(layout.encode())
        assert (count, bytes(types)) == (len(codes), bytes(codes).ljust(32, b"\x00")), layout
    for layout, position in BAD_LAYOUTS:
        with reverts("RecordInvalidLayout", position=position):
            parser.parse(layout.encode())
    implementation = project.RecordRegistry.deploy(sender=deployer)
    assert web3.eth.get_code(_layouts_of(implementation.address)) == web3.eth.get_code(
        parser.address
    )


def test_layout_rules_match_the_client(records, data_bureau):
    """The client refuses exactly the layouts the registry refuses (so the CLI says why
    before sending anything)."""
    import pytest

    from civic_ledger.identity.records import parse_layout

    for layout, codes in GOOD_LAYOUTS:
        assert len(parse_layout(layout)) == len(codes)
    for layout, _ in BAD_LAYOUTS:
        with pytest.raises(ValueError):
            parse_layout(layout)


def test_dispute_stay_is_set_by_the_records_admin_and_bounded(
    records, data_bureau, agency, outsider, schemas
):
    for caller in (
        outsider,
        agency["tax_bureau"],
        agency["arbitration_office"],
        agency["deployer"],
    ):
        with reverts("AccessManagedUnauthorized", caller=caller.address):
            records.setDisputeStay(schemas.tax_penalty, DAY, sender=caller)
    with reverts("RecordInvalidStay"):
        records.setDisputeStay(schemas.tax_penalty, 90 * DAY + 1, sender=data_bureau)
    with reverts("RecordUnknownSchema"):
        records.setDisputeStay(99, DAY, sender=data_bureau)
    receipt = records.setDisputeStay(schemas.tax_penalty, 90 * DAY, sender=data_bureau)
    [event] = records.DisputeStaySet.from_receipt(receipt)
    assert (event.schemaId, event.operator, event.stay) == (
        schemas.tax_penalty,
        data_bureau.address,
        90 * DAY,
    )
    records.setDisputeStay(schemas.tax_penalty, 0, sender=data_bureau)
    assert records.getSchema(schemas.tax_penalty).disputeStay == 0


def test_schema_admin_is_records_admin_only(records, agency, outsider, schemas):
    not_records_admin = "tax_bureau identity_office arbitration_office deployer"
    for caller in callers(agency, not_records_admin, outsider):
        with reverts("AccessManagedUnauthorized", caller=caller.address):
            records.registerSchema(
                ("sneaky", "", RoleId.TAX_RECORD_ISSUER, True, False, 0), sender=caller
            )
        with reverts("AccessManagedUnauthorized", caller=caller.address):
            records.setSchemaActive(schemas.tax_ok, False, sender=caller)
        with reverts("AccessManagedUnauthorized", caller=caller.address):
            records.setPolicy(1, "p", [schemas.tax_ok], [], sender=caller)
    assert records.schemaIdByName("sneaky") == 0
    assert records.getSchema(schemas.tax_ok).active
    assert not records.policyExists(1)


def test_inactive_schema_refuses_new_records_only(records, data_bureau, schemas, alice, issue):
    old = issue(schemas.tax_ok, alice.subject)
    receipt = records.setSchemaActive(schemas.tax_ok, False, sender=data_bureau)
    [event] = records.SchemaActiveSet.from_receipt(receipt)
    assert (event.schemaId, event.active, event.operator) == (
        schemas.tax_ok,
        False,
        data_bureau.address,
    )
    with reverts("RecordSchemaInactive"):
        issue(schemas.tax_ok, alice.subject)
    assert records.isValid(old)
    records.setSchemaActive(schemas.tax_ok, True, sender=data_bureau)
    issue(schemas.tax_ok, alice.subject)
    with reverts("RecordUnknownSchema"):
        records.setSchemaActive(99, True, sender=data_bureau)


# --------------------------------------------------------------------------------------------
# policies
# --------------------------------------------------------------------------------------------


def test_set_policy_stores_and_replaces(records, data_bureau, schemas):
    receipt = records.setPolicy(
        7,
        "grant-eligibility",
        [schemas.tax_ok],
        [schemas.tax_penalty, schemas.judgment],
        sender=data_bureau,
    )
    p = records.getPolicy(7)
    assert p.exists and p.name == "grant-eligibility"
    assert list(p.required) == [schemas.tax_ok]
    assert list(p.disqualifying) == [schemas.tax_penalty, schemas.judgment]
    assert records.policyExists(7) and not records.policyExists(8)
    [event] = records.PolicySet.from_receipt(receipt)
    assert (event.policyId, event.operator) == (7, data_bureau.address)
    records.setPolicy(7, "v2", [schemas.licence], [], sender=data_bureau)
    p = records.getPolicy(7)
    assert (p.name, list(p.required), list(p.disqualifying)) == ("v2", [schemas.licence], [])


def test_policy_rules(records, data_bureau, schemas):
    with reverts("RecordInvalidPolicyId"):
        records.setPolicy(0, "zero", [], [], sender=data_bureau)
    with reverts("RecordUnknownSchema"):
        records.setPolicy(1, "p", [99], [], sender=data_bureau)
    with reverts("RecordPolicySchemaKind"):
        records.setPolicy(1, "p", [schemas.tax_penalty], [], sender=data_bureau)
    with reverts("RecordPolicySchemaKind"):
        records.setPolicy(1, "p", [], [schemas.tax_ok], sender=data_bureau)
    with reverts("RecordPolicyDuplicateSchema"):
        records.setPolicy(
            1, "p", [schemas.tax_ok, schemas.licence, schemas.tax_ok], [], sender=data_bureau
        )
    with reverts("RecordPolicyTooLarge"):
        records.setPolicy(1, "p", [schemas.tax_ok] * 9, [], sender=data_bureau)
    with reverts("RecordPolicyTooLarge"):
        records.setPolicy(1, "p", [], [schemas.judgment] * 9, sender=data_bureau)
    assert not records.policyExists(1)


def test_meets_policy_unknown_policy_reverts(records, alice):
    with reverts("RecordUnknownPolicy"):
        records.meetsPolicy(alice.subject, 42)


def test_meets_policy_follows_records(
    records, identity, data_bureau, office, tax_bureau, schemas, alice, issue
):
    records.setPolicy(
        1, "good-standing", [schemas.tax_ok], [schemas.tax_penalty], sender=data_bureau
    )
    assert not records.meetsPolicy(alice.subject, 1)  # nothing yet

    ok = issue(schemas.tax_ok, alice.subject, data=b"\x00" * 31 + b"\x07")
    assert records.meetsPolicy(alice.subject, 1)

    penalty = issue(schemas.tax_penalty, alice.subject)
    assert not records.meetsPolicy(alice.subject, 1)
    records.revoke(penalty, 2, b"\x00" * 32, sender=tax_bureau)  # remedied
    assert records.meetsPolicy(alice.subject, 1)

    identity.setStatus(alice.subject, Status.SUSPENDED, REASON, sender=office)
    assert not records.meetsPolicy(alice.subject, 1)
    identity.setStatus(alice.subject, 1, REASON, sender=office)
    assert records.meetsPolicy(alice.subject, 1)

    # the compliance record expires after its default year
    ape.chain.pending_timestamp += YEAR + 1
    ape.chain.mine()
    assert not records.isValid(ok)
    assert not records.meetsPolicy(alice.subject, 1)


def test_empty_policy_means_active_identity(records, identity, data_bureau, office, alice):
    records.setPolicy(3, "any-active", [], [], sender=data_bureau)
    assert records.meetsPolicy(alice.subject, 3)
    identity.setStatus(alice.subject, Status.CLOSED, REASON, sender=office)
    assert not records.meetsPolicy(alice.subject, 3)


def test_expired_adverse_record_no_longer_disqualifies(records, data_bureau, schemas, alice, issue):
    records.setPolicy(2, "no-penalty", [], [schemas.tax_penalty], sender=data_bureau)
    now = ape.chain.pending_timestamp
    issue(schemas.tax_penalty, alice.subject, expires_at=now + 30 * DAY)
    assert not records.meetsPolicy(alice.subject, 2)
    ape.chain.pending_timestamp = now + 30 * DAY
    ape.chain.mine()
    assert records.meetsPolicy(alice.subject, 2)


def test_required_record_of_another_subject_does_not_count(
    records, data_bureau, schemas, alice, bob, issue
):
    records.setPolicy(1, "p", [schemas.tax_ok], [], sender=data_bureau)
    issue(schemas.tax_ok, bob.subject)
    assert records.meetsPolicy(bob.subject, 1)
    assert not records.meetsPolicy(alice.subject, 1)


def test_exploit_default_validity_near_2_64_is_refused(records, data_bureau):
    """Finding 12: a schema whose default validity is near 2**64 could never issue (the expiry
    overflows): the default validity is bounded at registration."""
    with reverts("RecordValidityTooLong"):
        records.registerSchema(("forever-ish", "", 20, True, False, 2**64 - 2), sender=data_bureau)
