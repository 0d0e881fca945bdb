"""A populated city for the whole-suite upgrade test, built with the domain clients (the code
the agencies' commands run): identities, an issued and a disputed record, a mortgaged parcel
with an accepted sale and an assessment, a funded grant round with an application."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from civic_ledger.core.documents import document_hash
from civic_ledger.core.times import DAY
from civic_ledger.fund import client as fund_client
from civic_ledger.identity import client as id_client
from civic_ledger.identity import records as rec_client
from civic_ledger.property import liens as lien_client
from civic_ledger.property import tax as tax_client
from civic_ledger.property import titles as title_client

YEAR = 365 * DAY
UNIT = 10**18
POLICY = 777
TAX_YEAR = 2026


@dataclass(frozen=True)
class World:
    """The ids of everything the city holds."""

    subjects: dict[str, bytes]  # alice, bob (persons), bank, acme (enterprises)
    licence_schema: int
    penalty_schema: int
    licence: bytes  # issued to acme, live
    penalty: bytes  # issued to alice, disputed by her
    parcel: int  # alice's, mortgaged to the bank, assessed, sold to bob (accepted)
    second_parcel: int  # alice's, unencumbered, sold to bob (accepted)
    lien: int
    sale: int
    second_sale: int
    round_id: int
    application: int


def populate(suite: Any, agency: dict[str, Any], wallets: dict[str, Any], now: int) -> World:
    identities, records = suite["IdentityRegistry"], suite["RecordRegistry"]
    titles, liens, tax = suite["TitleRegistry"], suite["LienRegistry"], suite["PropertyTax"]
    fund, token = suite["GrantFund"], suite["CityToken"]

    kinds = {"alice": "person", "bob": "person", "bank": "enterprise", "acme": "enterprise"}
    registrations = [
        id_client.Registration.new(f"UPG-{name.upper()}-1", wallets[name].address, kind)
        for name, kind in kinds.items()
    ]
    id_client.register_batch(identities, registrations, sender=agency["identity_office"])
    subjects = {name: r.subject for name, r in zip(kinds, registrations, strict=True)}

    data_bureau = agency["data_bureau"]
    licence_schema = rec_client.register_schema(
        records, name="upgrade-licence", field_layout="uint32 licence",
        issuer_role="MARKET_RECORD_ISSUER", revocable=True, adverse=False, default_validity=0,
        sender=data_bureau,
    )  # fmt: skip
    penalty_schema = rec_client.register_schema(
        records, name="upgrade-penalty", field_layout="uint256 amount",
        issuer_role="TAX_RECORD_ISSUER", revocable=True, adverse=True, default_validity=YEAR,
        sender=data_bureau,
    )  # fmt: skip
    rec_client.set_policy(
        records, policy_id=POLICY, name="upgrade grants", required=[licence_schema],
        disqualifying=[penalty_schema], sender=data_bureau,
    )  # fmt: skip

    def issue(schema: int, subject: str, evidence: str, field: str, value: int, by: Any) -> bytes:
        data = rec_client.encode_data(field, {field.split()[1]: value})
        request = rec_client.RecordRequest(schema, subjects[subject], document_hash(evidence), data)
        record = rec_client.issue(records, request, sender=by)
        return record

    licence = issue(licence_schema, "acme", "licence:acme", "uint32 licence", 4242,
                    agency["market_regulator"])  # fmt: skip
    penalty = issue(penalty_schema, "alice", "penalty:alice", "uint256 amount", 300,
                    agency["tax_bureau"])  # fmt: skip
    rec_client.dispute(records, penalty, document_hash("receipt:alice"), sender=wallets["alice"])

    registrar = agency["land_registry"]
    parcels = [
        title_client.register(
            titles,
            subjects["alice"],
            code,
            document_hash(f"survey:{code}"),
            900,
            1,
            sender=registrar,
        )
        for code in ("UPG-PARCEL-1", "UPG-PARCEL-2")
    ]
    lien = lien_client.propose(
        liens, parcels[0], subjects["bank"], 250_000, document_hash("loan"), sender=wallets["bank"]
    )
    lien_client.consent(liens, lien, sender=wallets["alice"])
    tax_client.assess(tax, parcels[0], TAX_YEAR, 1_200, now + YEAR, sender=agency["tax_bureau"])
    sales = [
        title_client.propose(
            titles,
            parcel,
            subjects["bob"],
            500_000,
            document_hash(f"deed:{i}"),
            sender=wallets["alice"],
        )
        for i, parcel in enumerate(parcels)
    ]
    lien_client.consent_to_sale(liens, lien, sales[0], sender=wallets["bank"], discharge=True)
    for sale in sales:
        title_client.accept(titles, liens, sale, sender=wallets["bob"])

    round_id = fund_client.create_round(
        fund, "upgrade round", fund_client.RoundKind.PROJECT, POLICY,
        1_000 * UNIT, now, now + 7 * DAY, now + 14 * DAY, sender=agency["fund_office"],
    )  # fmt: skip
    treasurer = agency["finance_bureau"]
    token.mint(treasurer, 1_000 * UNIT, sender=treasurer)
    fund_client.fund_round(fund, token, round_id, 1_000 * UNIT, sender=treasurer)
    application = fund_client.apply_for_grant(
        fund, round_id, document_hash("proposal:acme"),
        [(100 * UNIT, now + 60 * DAY), (200 * UNIT, now + 120 * DAY)], sender=wallets["acme"],
    )  # fmt: skip
    return World(
        subjects=subjects,
        licence_schema=licence_schema,
        penalty_schema=penalty_schema,
        licence=licence,
        penalty=penalty,
        parcel=parcels[0],
        second_parcel=parcels[1],
        lien=lien,
        sale=sales[0],
        second_sale=sales[1],
        round_id=round_id,
        application=application,
    )


def snapshot(suite: Any, world: World, wallets: dict[str, Any]) -> dict[str, Any]:
    """Every piece of state the city holds, read through the proxies (plain Python values)."""
    identities, records = suite["IdentityRegistry"], suite["RecordRegistry"]
    titles, liens, tax = suite["TitleRegistry"], suite["LienRegistry"], suite["PropertyTax"]
    fund, token = suite["GrantFund"], suite["CityToken"]
    parcels = (world.parcel, world.second_parcel)
    state: dict[str, Any] = {
        "addresses": {name: entry["address"] for name, entry in suite.manifest.contracts.items()},
        "identity count": identities.identityCount(),
        "record count": records.recordCount(),
        "schema count": records.schemaCount(),
        "records domain": bytes(records.DOMAIN_SEPARATOR()),
        "token domain": bytes(token.DOMAIN_SEPARATOR()),
        "token": (token.name(), token.symbol(), token.totalSupply()),
        "titles": (titles.name(), titles.symbol(), titles.saleCount()),
        "lien count": liens.lienCount(),
        "fund counts": (fund.roundCount(), fund.applicationCount(), fund.totalDeposited()),
        "wiring": (titles.identityRegistry(), titles.lienRegistry(), titles.taxModule(),
                   liens.titleRegistry(), tax.titleRegistry(), fund.recordRegistry()),
    }  # fmt: skip
    for name, subject in world.subjects.items():
        state[f"identity {name}"] = identities.identityOf(subject)
        state[f"subject of {name}'s wallet"] = bytes(identities.subjectOf(wallets[name]))
    for record in (world.licence, world.penalty):
        state[f"record 0x{record.hex()}"] = records.getRecord(record)
    for schema in (world.licence_schema, world.penalty_schema):
        state[f"schema {schema}"] = records.getSchema(schema)
    state["eligibility"] = (
        records.meetsPolicy(world.subjects["acme"], POLICY),
        records.meetsPolicy(world.subjects["alice"], POLICY),
    )
    for parcel in parcels:
        state[f"parcel {parcel}"] = (
            titles.parcelOf(parcel), titles.chainOfTitle(parcel), titles.ownerOf(parcel),
            titles.ownerIdentityOf(parcel), titles.openSaleOf(parcel),
        )  # fmt: skip
    for sale in (world.sale, world.second_sale):
        state[f"sale {sale}"] = (titles.saleOf(sale), liens.saleEncumbranceHash(sale))
    state[f"lien {world.lien}"] = (
        liens.lienOf(world.lien), liens.activeLiensOf(world.parcel),
        liens.saleConsentOf(world.lien, world.sale),
    )  # fmt: skip
    state["assessment"] = (
        tax.assessmentOf(world.parcel, TAX_YEAR), tax.openYearsOf(world.parcel)
    )  # fmt: skip
    state[f"round {world.round_id}"] = (
        fund.getRound(world.round_id), fund.applicationsOf(world.round_id),
        fund.availableOf(world.round_id),
    )  # fmt: skip
    state[f"application {world.application}"] = (
        fund.getApplication(world.application), fund.applicationStatus(world.application),
        [fund.getMilestone(world.application, i) for i in range(2)],
    )  # fmt: skip
    state["balances"] = {
        name: token.balanceOf(account) for name, account in {**wallets, "fund": fund}.items()
    }
    return state
