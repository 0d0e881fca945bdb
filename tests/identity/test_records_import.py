"""`records import`: the CSV format, whole-file refusal, --check, --skip-bad-rows with its
rejects file (fixed and re-imported), idempotent re-runs (same journal, other journal) and a
resume after a kill that issues no record twice."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from eth_utils import keccak
from import_runs import (
    bad_row_refuses_the_file,
    import_file,
    killed_import_resumes,
    reruns_send_nothing,
)
from shared_fixtures import invoke_command

from civic_ledger.bulk import records as bulk
from civic_ledger.cli import records as records_cli
from civic_ledger.identity import client as id_client
from civic_ledger.identity import records as rec_client
from civic_ledger.identity.record_views import SchemaView

from .helpers import YEAR

HEADER = "schema,subject,evidence,expires,year,compliant,amount\n"
NOW = 1_900_000_000


# ------------------------------------------------------------------ the CSV format (off-line)

TAX_OK = SchemaView(1, "tax-ok", "uint16 year,bool compliant", 1, True, False, True, YEAR, 0)
PENALTY = SchemaView(2, "penalty", "uint256 amount", 1, True, True, True, 3 * YEAR, 0)
RETIRED = SchemaView(3, "retired", "", 1, True, False, False, 0, 0)
SCHEMAS = {s.name: s for s in (TAX_OK, PENALTY, RETIRED)}


def _lookup(text: str) -> SchemaView:
    if text not in SCHEMAS:
        raise LookupError(f"no schema named {text!r}")
    return SCHEMAS[text]


def _read(tmp_path: Path, body: str) -> tuple[list[bulk.RecordRow], list[Any]]:
    path = tmp_path / "records.csv"
    path.write_text(body)
    return bulk.read_records_csv(path, _lookup, NOW)


def test_rows_are_parsed_by_their_schema_layout(tmp_path: Path) -> None:
    (tmp_path / "fine.pdf").write_bytes(b"decision")
    subject = "0x" + "ab" * 32
    rows, bad = _read(
        tmp_path,
        HEADER
        + f"tax-ok,{subject},,,2026,true,\n"
        + f"penalty,{subject},@fine.pdf,+30d,,,1200\n"
        + f"tax-ok,{subject},text:audit,2031-01-01,2027,no,\n",
    )
    assert bad == []
    first, fine, third = (r.request for r in rows)
    assert first.data == rec_client.encode_data(
        TAX_OK.field_layout, {"year": 2026, "compliant": True}
    )
    assert fine.evidence_hash == keccak(b"decision")
    assert fine.expires_at == NOW + 30 * 86400 and third.expires_at > NOW
    assert len({r.key for r in rows}) == 3 and all(r.key.startswith("rec-") for r in rows)


@pytest.mark.parametrize(
    "row,reason",
    [
        ("tax-ok,{s},,,2026,,", "compliant"),
        ("tax-ok,{s},,,2026,true,5", "amount"),
        ("penalty,{s},,,,,5", "evidence is required"),
        ("penalty,{s},text:x,+10000d,,,5", "later than adverse"),
        ("tax-ok,{s},,2001-01-01,2026,true,", "not in the future"),
        ("tax-ok,{s},,,70000,true,", "out of range"),
        ("nope,{s},,,2026,true,", "schema"),
        ("retired,{s},,,,,", "not active"),
        ("tax-ok,0x12,,,2026,true,", "subject"),
        ("tax-ok,{s},,,2026,true,,extra", "too many fields"),
        ("tax-ok,{s},,,2026", "missing field"),
    ],
)
def test_bad_rows_name_the_field(tmp_path: Path, row: str, reason: str) -> None:
    rows, bad = _read(tmp_path, HEADER + row.format(s="0x" + "cd" * 32) + "\n")
    assert rows == [] and [e.line for e in bad] == [2]
    assert reason in bad[0].reason, bad[0].reason


def test_the_same_record_twice_is_a_bad_row(tmp_path: Path) -> None:
    line = f"tax-ok,0x{'ef' * 32},,,2026,true,\n"
    rows, bad = _read(tmp_path, HEADER + line + "\n" + line)
    assert len(rows) == 1 and [(e.line, e.reason) for e in bad] == [(4, "same record as line 2")]


def test_a_file_without_the_columns_is_refused_as_a_whole(tmp_path: Path) -> None:
    with pytest.raises(bulk.RecordsFileError, match=r"records\.csv:1"):
        _read(tmp_path, "subject,year\n0x00,1\n")


# ------------------------------------------------------------------ the command on a chain


@pytest.fixture
def world(suite: Any, agency: dict[str, Any]) -> dict[str, Any]:
    """Two fresh schemas of the tax bureau (TEST::3) and three active subjects."""
    registry, identity = suite["RecordRegistry"], suite["IdentityRegistry"]
    tag = os.urandom(4).hex()
    tax_ok = rec_client.register_schema(
        registry, name=f"imp-ok-{tag}", field_layout="uint16 year,bool compliant",
        issuer_role="TAX_RECORD_ISSUER", revocable=True, adverse=False, default_validity=YEAR,
        sender=agency["data_bureau"],
    )  # fmt: skip
    penalty = rec_client.register_schema(
        registry, name=f"imp-fine-{tag}", field_layout="uint256 amount",
        issuer_role="TAX_RECORD_ISSUER", revocable=True, adverse=True,
        default_validity=3 * YEAR, sender=agency["data_bureau"],
    )  # fmt: skip
    subjects = []
    for i in range(3):
        registration = id_client.Registration.new(
            f"IMP-{tag}-{i}", "0x" + os.urandom(20).hex(), "person"
        )
        id_client.register(identity, registration, sender=agency["identity_office"])
        subjects.append("0x" + registration.subject.hex())
    return {"ok": f"imp-ok-{tag}", "fine": f"imp-fine-{tag}", "subjects": subjects,
            "ids": (tax_ok, penalty), "registry": registry}  # fmt: skip


def _csv(path: Path, world: dict[str, Any], count: int, bad_line: bool = False) -> Path:
    rows = [
        f"{world['fine']},{world['subjects'][i % 3]},text:fine-{i},,,,{100 + i}"
        if i % 2
        else f"{world['ok']},{world['subjects'][i % 3]},,,{2000 + i},true,"
        for i in range(count)
    ]
    bad = f"{world['ok']},{world['subjects'][0]},,,2026,maybe," if bad_line else None
    return import_file(path, HEADER, rows, bad)


# _invoke(suite, *args): the import command in process, signed by TEST::3
_invoke = partial(invoke_command, records_cli.records.commands["import"], account="TEST::3")


def _issued(world: dict[str, Any]) -> int:
    return sum(len(rec_client.records_of(world["registry"], s)) for s in world["subjects"])


def test_a_bad_row_refuses_the_file_and_check_reports_it(
    suite: Any, world: dict[str, Any], tmp_path: Path
) -> None:
    path = _csv(tmp_path / "recs.csv", world, 6, bad_line=True)
    rejected = bad_row_refuses_the_file(partial(_invoke, suite), path, tmp_path, to_send=6,
                                        column="compliant", count=lambda: _issued(world))  # fmt: skip
    assert [(r["line"], r["compliant"], r["schema"]) for r in rejected] == [
        ("4", "maybe", world["ok"])
    ]
    assert "not a boolean" in rejected[0]["reason"]


def test_skip_bad_rows_then_fixed_rejects_then_reruns_send_nothing(
    suite: Any, world: dict[str, Any], tmp_path: Path
) -> None:
    path = _csv(tmp_path / "recs.csv", world, 7, bad_line=True)
    rejects = tmp_path / "out" / "bad.csv"
    rejects.parent.mkdir()
    args = [str(path), "--journal", str(tmp_path / "j.jsonl"), "--batch-size", "3"]
    first = _invoke(suite, *args, "--skip-bad-rows", "--rejects", str(rejects))
    assert first.exit_code == 1, first.text  # a bad row is reported, the good ones issued
    assert "imported 7 records in 3 transactions" in first.text
    assert _issued(world) == 7

    # the clerk fixes the rejected row in the rejects file and imports just that file
    fixed = rejects.read_text().replace(",maybe,", ",false,")
    rejects.write_text(fixed)
    again = _invoke(suite, str(rejects), "--journal", str(tmp_path / "j2.jsonl"))
    assert again.exit_code == 0 and "imported 1 records" in again.text, again.text
    assert _issued(world) == 8

    # the fixed original: same journal -> the journal's keys; another -> the chain's records
    path.write_text(path.read_text().replace(",maybe,", ",false,"))
    reruns_send_nothing(partial(_invoke, suite), args, path, tmp_path, noun="records", total=8,
                        count=lambda: _issued(world))  # fmt: skip


def test_killed_import_resumes_without_issuing_twice(
    suite: Any, world: dict[str, Any], tmp_path: Path, kill_imports: Any
) -> None:
    path = _csv(tmp_path / "recs.csv", world, 8)
    journal = tmp_path / "j.jsonl"
    args = [str(path), "--journal", str(journal), "--batch-size", "2"]

    sent = killed_import_resumes(partial(_invoke, suite), args, journal, kill_imports, kill_after=2,
                                 noun="records", total=8, count=lambda: _issued(world))  # fmt: skip
    assert sent == [0, 1, 2, 3], "each batch signed once"
