"""`tax import`: the tax roll format, whole-file refusal, --check, --skip-bad-rows with its
rejects file (fixed and re-imported), idempotent re-runs (same journal, other journal), an
assessment on chain with other figures as a bad row, and a resume after a kill that assesses
nothing twice."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from import_runs import (
    bad_row_refuses_the_file,
    import_file,
    killed_import_resumes,
    reruns_send_nothing,
)
from shared_fixtures import invoke_command

from civic_ledger.bulk import taxroll
from civic_ledger.cli import tax as tax_cli
from civic_ledger.core.encoding import parcel_id_of

NOW = 1_900_000_000
TOKEN = 10**18
HEADER = "parcel,year,amount,due"


# ------------------------------------------------------------------ the CSV format (off-line)


def _read(tmp_path: Path, body: str) -> tuple[list[taxroll.TaxRow], list[Any]]:
    path = tmp_path / "roll.csv"
    path.write_text(body)
    return taxroll.read_taxroll_csv(path, 18, NOW)


def test_rows_are_parsed_and_bad_rows_name_the_field(tmp_path: Path) -> None:
    rows, bad = _read(
        tmp_path,
        f"{HEADER}\n"
        "BJ-1,2031,1200.5,2031-03-31\n"  # 2
        f"{parcel_id_of('BJ-2')},2031,7,{NOW + 1}\n"  # 3
        "BJ-1,2031,1,2031-03-31\n"  # 4 same parcel and year as line 2
        "BJ 3,2031,1,2031-03-31\n"  # 5 bad code
        "BJ-4,0,1,2031-03-31\n"  # 6 year
        "BJ-5,2031,0,2031-03-31\n"  # 7 zero
        "BJ-6,2031,-3,2031-03-31\n"  # 8 negative
        "BJ-7,2031,1,2031-02-30\n"  # 9 no such day
        "BJ-8,2031,1,2000-01-01\n"  # 10 past
        "BJ-9,2031,1\n"  # 11 missing field
        "BJ-10,2031,1,2031-03-31,x\n",  # 12 too many
    )
    assert [(r.line, r.parcel_id, r.year, r.amount) for r in rows] == [
        (2, parcel_id_of("BJ-1"), 2031, 1_200_500_000_000_000_000_000),
        (3, parcel_id_of("BJ-2"), 2031, 7 * TOKEN),
    ]
    assert rows[1].due == NOW + 1
    reasons = {e.line: e.reason for e in bad}
    assert sorted(reasons) == [4, 5, 6, 7, 8, 9, 10, 11, 12]
    assert "line 2" in reasons[4]
    assert "parcel" in reasons[5]
    assert "year" in reasons[6]
    assert "more than 0" in reasons[7]
    assert "amount" in reasons[8]
    assert "due date" in reasons[9] and "not in the future" in reasons[10]
    assert "missing" in reasons[11] and "too many" in reasons[12]


def test_a_file_without_the_columns_is_refused_as_a_whole(tmp_path: Path) -> None:
    with pytest.raises(taxroll.TaxRollFileError, match=r"roll.csv:1: .*due"):
        _read(tmp_path, "parcel,year,amount\nBJ-1,2031,1\n")


# ------------------------------------------------------------------ the command on a chain


@pytest.fixture
def parcels(parties: Any, new_parcel: Any) -> list[str]:
    """Four fresh parcels of alice, by cadastral code."""
    tag = os.urandom(3).hex().upper()
    codes = [f"TR-{tag}-{i}" for i in range(4)]
    for code in codes:
        new_parcel(parties["alice"], code=code)
    return codes


def _roll(path: Path, codes: list[str], bad_line: bool = False) -> Path:
    rows = [
        f"{code},{year},{100 + i},{year}-06-30"
        for i, code in enumerate(codes)
        for year in (2031, 2032)
    ]
    bad = f"{codes[0]},2033,lots,2033-06-30" if bad_line else None
    return import_file(path, HEADER, rows, bad)


# _invoke(suite, *args): the import command in process, signed by TEST::3
_invoke = partial(invoke_command, tax_cli.tax.commands["import"], account="TEST::3")


def _assessed(tax: Any, codes: list[str]) -> int:
    return sum(len(tax.openYearsOf(parcel_id_of(c))) for c in codes)


def test_a_bad_row_refuses_the_file_and_check_reports_it(
    suite: Any, tax: Any, parcels: list[str], tmp_path: Path
) -> None:
    path = _roll(tmp_path / "roll.csv", parcels, bad_line=True)
    rejected = bad_row_refuses_the_file(partial(_invoke, suite), path, tmp_path, to_send=8,
                                        column="amount", count=lambda: _assessed(tax, parcels))  # fmt: skip
    assert [(r["line"], r["parcel"], r["amount"]) for r in rejected] == [("4", parcels[0], "lots")]


def test_skip_bad_rows_then_fixed_rejects_then_reruns_send_nothing(
    suite: Any, tax: Any, parcels: list[str], tmp_path: Path
) -> None:
    path = _roll(tmp_path / "roll.csv", parcels, bad_line=True)
    rejects = tmp_path / "bad.csv"
    args = [str(path), "--journal", str(tmp_path / "j.jsonl")]
    first = _invoke(suite, *args, "--skip-bad-rows", "--rejects", str(rejects))
    assert first.exit_code == 1, first.text  # the bad row is reported, the good ones sent
    assert "imported 8 assessments in 8 transactions" in first.text, first.text
    assert _assessed(tax, parcels) == 8
    pid = parcel_id_of(parcels[1])
    assert (tax.assessmentOf(pid, 2032).amount, tax.assessmentOf(pid, 2032).state) == (
        101 * TOKEN,
        1,
    )

    rejects.write_text(rejects.read_text().replace(",lots,", ",55,"))
    again = _invoke(suite, str(rejects), "--journal", str(tmp_path / "j2.jsonl"))
    assert again.exit_code == 0 and "imported 1 assessments" in again.text, again.text
    assert _assessed(tax, parcels) == 9

    path.write_text(path.read_text().replace(",lots,", ",55,"))
    reruns_send_nothing(partial(_invoke, suite), args, path, tmp_path, noun="assessments", total=9,
                        count=lambda: _assessed(tax, parcels))  # fmt: skip


def test_an_assessment_on_chain_with_other_figures_is_a_bad_row(
    suite: Any, tax: Any, parcels: list[str], tmp_path: Path
) -> None:
    path = _roll(tmp_path / "roll.csv", parcels[:1])
    done = _invoke(suite, str(path), "--journal", str(tmp_path / "j.jsonl"))
    assert done.exit_code == 0, done.text
    path.write_text(path.read_text().replace(",100,", ",999,", 1))
    changed = _invoke(suite, str(path), "--journal", str(tmp_path / "j2.jsonl"))
    assert changed.exit_code == 1 and "nothing sent" in changed.text, changed.text
    assert "already assessed for 2031 with another amount" in changed.text
    pid = parcel_id_of(parcels[0])
    assert tax.assessmentOf(pid, 2031).amount == 100 * TOKEN


def test_an_inactive_parcel_is_a_bad_row(suite: Any, tmp_path: Path) -> None:
    path = tmp_path / "roll.csv"
    path.write_text(f"{HEADER}\nTR-NEVER-REGISTERED,2031,1,2031-06-30\n")
    refused = _invoke(suite, str(path), "--journal", str(tmp_path / "j.jsonl"))
    assert refused.exit_code == 1 and "not an active parcel" in refused.text, refused.text


def test_killed_import_resumes_without_assessing_twice(
    suite: Any, tax: Any, parcels: list[str], tmp_path: Path, kill_imports: Any
) -> None:
    path = _roll(tmp_path / "roll.csv", parcels)
    journal = tmp_path / "j.jsonl"
    args = [str(path), "--journal", str(journal), "--window", "2"]

    sent = killed_import_resumes(partial(_invoke, suite), args, journal, kill_imports, kill_after=3,
                                 noun="assessments", total=8,
                                 count=lambda: _assessed(tax, parcels))  # fmt: skip
    assert sent == list(range(8)), "each assessment signed once"
