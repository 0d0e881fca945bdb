"""The read API over the demo city (certificates in every state on top): every answer agrees
with the contracts' own views at the indexed block, and carries how old it is."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from civic_ledger.gateway import schema

from .api_fixtures import document_hash

ZERO_ADDRESS = "0x" + "00" * 20
TAX_STATUS = ("none", "due", "overdue", "paid", "voided")


def rows(certified: Any, table: Any) -> list[dict[str, Any]]:
    with certified.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(table)).mappings()]


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["as_of"]["block"] >= 0 and body["as_of"]["lag_blocks"] == 0
    return body


def test_health_and_status(api, certified):
    assert api.get("/health").json() == {"status": "ok"}
    state = api.get("/api/v1/status").json()
    assert (
        state["indexed_block"] == certified.suite["RecordRegistry"].chain_manager.blocks.head.number
    )
    assert state["lag_blocks"] == 0 and state["events"] > 200


def test_verify_agrees_with_verify_certificate_for_every_record(api, certified):
    registry = certified.suite["RecordRegistry"]
    records = rows(certified, schema.records)
    seen = set()
    for row in records:
        rid = row["record_id"]
        for document in (row["evidence_hash"], "0x" + "ab" * 32):
            body = ok(api.get(f"/api/v1/verify/{rid}", params={"document": document}))
            status, reason, issuer, schema_id, expires = registry.verifyCertificate(rid, document)
            assert (
                body["status_code"],
                body["reason_code"],
                body["schema_id"],
                body["expires_at"],
            ) == (int(status), int(reason), int(schema_id), int(expires)), rid
            assert (body["issuer"] or ZERO_ADDRESS).lower() == str(issuer).lower()
            seen.add(body["status"])
    assert seen == {"unknown", "valid", "revoked", "expired", "disputed"}


def test_verify_answers_of_each_case(api, certified):
    ids = certified.ids

    def verify(case: str, document: str | None = None) -> dict[str, Any]:
        doc = document or document_hash(case)
        return ok(api.get(f"/api/v1/verify/{ids[case]}", params={"document": doc}))

    valid = verify("valid")
    assert valid["status"] == "valid" and valid["schema_name"] == "business-licence"
    assert valid["issuer"] == certified.account("market_regulator").address
    assert valid["decided_tx"].startswith("0x") and len(valid["decided_tx"]) == 66
    revoked = verify("revoked")
    assert (revoked["status"], revoked["reason_code"]) == ("revoked", 1)
    assert revoked["decided_tx"] != verify("valid")["decided_tx"]
    assert (verify("superseded")["status"], verify("superseded")["reason_code"]) == ("revoked", 3)
    assert verify("replacement")["status"] == "valid"
    assert verify("expiring")["status"] == "expired"
    assert verify("disputed")["status"] == "disputed"
    # a forged document, or another certificate's document: unknown, and nothing else revealed
    forged = verify("valid", document_hash("replacement"))
    assert forged["status"] == "unknown" and forged["issuer"] is None and "decided_tx" not in forged
    # a personal record is no certificate: unknown even with its own document
    assert verify("personal")["status"] == "unknown"


def test_record_standing_agrees_with_is_valid_for_every_record(api, certified):
    registry = certified.suite["RecordRegistry"]
    for row in rows(certified, schema.records):
        body = ok(api.get(f"/api/v1/records/{row['record_id']}"))
        assert body["valid"] == registry.isValid(row["record_id"]), row["record_id"]
        assert body["valid"] == (body["reasons"] == [])
        assert body["history"][0]["event"] == "RecordIssued"
        assert "subject" not in body  # the record, not its subject's other records


def test_record_reasons_and_history(api, certified):
    ids = certified.ids
    revoked = ok(api.get(f"/api/v1/records/{ids['revoked']}"))
    assert revoked["reasons"] == ["revoked (issued in error)"]
    assert [h["event"] for h in revoked["history"]] == ["RecordIssued", "RecordRevoked"]
    disputed = ok(api.get(f"/api/v1/records/{ids['disputed']}"))
    assert disputed["dispute"] == "open" and disputed["reasons"][0].startswith("suspended")
    assert [h["event"] for h in disputed["history"]] == ["RecordIssued", "RecordDisputed"]
    # the subject's wallet is not shown: the dispute reads as the subject's
    assert [h["actor"] for h in disputed["history"]] == [
        certified.account("tax_bureau").address,
        "subject",
    ]
    expired = ok(api.get(f"/api/v1/records/{ids['expiring']}"))
    assert expired["reasons"][0].startswith("expired at")
    old = ok(api.get(f"/api/v1/records/{ids['superseded']}"))
    assert old["superseded_by"] == ids["replacement"]


def test_parcels_agree_with_title_registry_and_property_tax(api, certified):
    titles, tax = certified.suite["TitleRegistry"], certified.suite["PropertyTax"]
    parcels = rows(certified, schema.parcels)
    assert parcels
    statuses = set()
    for row in parcels:
        number = int(row["parcel_id"])
        body = ok(api.get(f"/api/v1/parcels/0x{number:064x}"))
        assert body["owner"] == "0x" + bytes(titles.ownerIdentityOf(number)).hex()
        assert body["active"] == titles.isActiveParcel(number)
        for year in body["tax_years"]:
            assert year["status"] == TAX_STATUS[int(tax.statusOf(number, year["year"]))]
            statuses.add(year["status"])
        assert body["tax_overdue"] == tax.hasOverdue(number)
        assert ok(api.get(f"/api/v1/parcels/{number}"))["parcel_id"] == body["parcel_id"]
        assert "holder" not in body  # owners as commitments only
    assert "paid" in statuses


def test_parcel_with_chain_of_title_and_liens(api, certified):
    sold = {
        r["parcel_id"]
        for r in rows(certified, schema.title_history)
        if r["event"] == "SaleApproved"
    }
    body = ok(api.get(f"/api/v1/parcels/{sold.pop()}"))
    events = [e["event"] for e in body["title_history"]]
    assert events[0] == "ParcelRegistered" and "SaleApproved" in events
    assert body["title_history"][-1]["owner"] == body["owner"]
    liens = [r for r in rows(certified, schema.liens) if r["status"] in ("proposed", "recorded")]
    for lien in liens:
        listed = ok(api.get(f"/api/v1/parcels/{lien['parcel_id']}"))["open_liens"]
        assert {"lien_id": int(lien["lien_id"]), "holder": lien["holder"], "amount": lien["amount"],
                "status": lien["status"], "by_order": bool(lien["by_order"])} in listed  # fmt: skip


def test_rounds_agree_with_grant_fund(api, certified):
    fund = certified.suite["GrantFund"]
    listed = ok(api.get("/api/v1/fund/rounds"))["rounds"]
    assert len(listed) == fund.roundCount() >= 1
    for item in listed:
        on_chain = fund.getRound(item["round_id"])
        assert item["name"] == on_chain.name and item["closed"] == on_chain.closed
        # IGrantFund.RoundKind: RentSubsidy, ResearchSubsidy, ProjectGrant
        assert item["kind"] == ("rent", "research", "project")[int(on_chain.kind)]
        assert ("rent" in item["name"]) == (item["kind"] == "rent")  # the demo names its rounds
        assert int(item["budget"]) == on_chain.budget
        assert int(item["funded"]) == on_chain.deposited
        assert int(item["paid"]) == on_chain.paid
        assert int(item["returned"]) == on_chain.returned
        detail = ok(api.get(f"/api/v1/fund/rounds/{item['round_id']}"))
        assert list(map(int, fund.applicationsOf(item["round_id"]))) == [
            a["app_id"] for a in detail["applications"]
        ]
        for app in detail["applications"]:
            assert app["subject"] == "0x" + bytes(fund.getApplication(app["app_id"]).subject).hex()
        payouts = ok(api.get("/api/v1/fund/payouts"))["payouts"]
        paid = sum(int(p["amount"]) for p in payouts
                   if p["round_id"] == item["round_id"] and p["kind"] != "clawback")  # fmt: skip
        assert paid == on_chain.paid


def test_payouts_by_month_and_kind_and_as_csv(api, certified):
    everything = ok(api.get("/api/v1/fund/payouts"))["payouts"]
    assert everything and all("payee" not in p for p in everything)
    month = everything[0]["time_utc"][:7]
    by_month = ok(api.get("/api/v1/fund/payouts", params={"month": month}))["payouts"]
    assert by_month == [p for p in everything if p["time_utc"].startswith(month)]
    kind = everything[0]["kind"]
    by_kind = ok(api.get("/api/v1/fund/payouts", params={"kind": kind}))["payouts"]
    assert by_kind == [p for p in everything if p["kind"] == kind]
    csv = api.get("/api/v1/fund/payouts.csv", params={"month": month})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[0] == "time,time_utc,round_id,app_id,kind,amount,tx_hash"
    assert len(lines) == 1 + len(by_month)
    assert lines[1].split(",")[-1] == by_month[0]["tx_hash"]
    assert int(csv.headers["x-as-of-block"]) == ok(api.get("/api/v1/fund/rounds"))["as_of"]["block"]


def test_stats_count_every_domain(api, certified):
    body = ok(api.get("/api/v1/stats", params={"days": 100}))
    assert body["counts"]["identity"]["records"] == len(rows(certified, schema.records))
    assert body["counts"]["property"]["parcels"] == len(rows(certified, schema.parcels))
    assert body["events"] == len(rows(certified, schema.events))
    days = body["events_per_day"]
    assert len(days) == 100 and days[-1]["date"] == body["as_of"]["block_time_utc"][:10]
    first = int(dt.datetime.fromisoformat(days[0]["date"] + "T00:00:00+00:00").timestamp())
    in_window = [e for e in rows(certified, schema.events) if e["time"] >= first]
    assert sum(d["events"] for d in days) == len(in_window) > 0


@pytest.mark.parametrize(
    ("path", "names"),
    [
        ("/api/v1/records/0x1234", "record_id"),
        ("/api/v1/records/" + "ab" * 32, "record_id"),
        ("/api/v1/verify/0x" + "ab" * 32 + "?document=letter.pdf", "document"),
        ("/api/v1/verify/0x" + "ab" * 32, "missing document"),
        ("/api/v1/parcels/lot-7", "parcel_id"),
        ("/api/v1/parcels/0x" + "ff" * 33, "parcel_id"),
        ("/api/v1/fund/rounds/first", "round_id"),
        ("/api/v1/fund/payouts?month=2026-13", "month"),
        ("/api/v1/fund/payouts?kind=bonus", "kind"),
        ("/api/v1/stats?days=0", "days"),
    ],
)
def test_malformed_input_is_a_one_line_422(api, path, names):
    response = api.get(path)
    assert response.status_code == 422, response.text
    body = response.json()
    assert list(body) == ["error"] and "\n" not in body["error"] and names in body["error"]


def test_unknown_objects_are_404_with_one_line(api):
    for path in ("/api/v1/records/0x" + "42" * 32, "/api/v1/parcels/7", "/api/v1/fund/rounds/99",
                 "/api/v1/nothing-here"):  # fmt: skip
        response = api.get(path)
        assert response.status_code == 404 and list(response.json()) == ["error"], path
    unknown = ok(api.get("/api/v1/verify/0x" + "42" * 32, params={"document": "0x" + "42" * 32}))
    assert unknown["status"] == "unknown"


def test_a_failure_inside_is_a_500_without_a_trace(certified, tmp_path, monkeypatch):
    from civic_ledger.gateway import queries

    from .api_fixtures import make_client

    def broken(*_args: Any) -> None:
        raise RuntimeError("SELECT secret FROM somewhere")

    monkeypatch.setattr(queries, "verify_answer", broken)
    with make_client(certified, tmp_path) as client:
        response = client.get(
            "/api/v1/verify/0x" + "42" * 32, params={"document": "0x" + "42" * 32}
        )
    assert response.status_code == 500
    assert response.json() == {"error": "internal error (logged by the gateway)"}
