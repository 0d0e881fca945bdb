"""Bulk parcel import: CSV validation with line numbers, batching, idempotent re-runs, resume
after an interruption (between batches and between broadcast and receipt), the journal."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from civic_ledger.bulk.parcels import (
    ParcelImporter,
    check_against_chain,
    plan_batches,
    read_parcels_csv,
)
from civic_ledger.bulk.sample import register_sample_owners, sample_owners, write_sample_csv
from civic_ledger.chain.journal import Journal, JournalMismatch
from civic_ledger.core.exceptions import CsvFormatError

COUNT = 60
BATCH = 20


class Crash(Exception):
    """Stands in for a killed process."""


def crash_at(stop: int) -> Callable[[int], None]:
    """An importer callback (`on_sent`, `on_confirmed`) that kills the run at batch `stop`."""

    def crash(batch: int) -> None:
        if batch == stop:
            raise Crash

    return crash


@pytest.fixture
def owners() -> list[Any]:
    return sample_owners(4, namespace="import-test")


@pytest.fixture
def csv_file(tmp_path: Path, owners: list[Any]) -> tuple[Path, list[int]]:
    path = tmp_path / "parcels.csv"
    bad_lines = write_sample_csv(path, COUNT, owners, bad_rows=5, prefix="IMP")
    return path, bad_lines


@pytest.fixture
def registered_owners(identities: Any, agency: dict[str, Any], owners: list[Any]) -> list[Any]:
    assert register_sample_owners(identities, owners, agency["identity_office"]) == len(owners)
    assert register_sample_owners(identities, owners, agency["identity_office"]) == 0
    return owners


@pytest.fixture
def importer(titles: Any, identities: Any, registrar: Any, tmp_path: Path):
    def make(**kwargs: Any) -> ParcelImporter:
        kwargs.setdefault("batch_size", BATCH)
        kwargs.setdefault("window", 2)
        return ParcelImporter(titles, identities, registrar, tmp_path / "journal.jsonl", **kwargs)

    return make


def _on_chain_count(titles: Any, path: Path) -> int:
    rows, _ = read_parcels_csv(path)
    hashes = titles.dataHashesOf([r.parcel_id for r in rows])
    return sum(bytes(h) == r.data_hash for h, r in zip(hashes, rows, strict=True))


def _journal_records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# ------------------------------------------------------------------ CSV parsing (no chain)


def test_bad_rows_reported_with_line_and_reason(csv_file):
    path, bad_lines = csv_file
    rows, errors = read_parcels_csv(path)
    # 4 of the 5 injected rows are malformed; the unregistered owner is caught on chain
    assert [e.line for e in errors] == [bad_lines[i] for i in (0, 1, 3, 4)]
    reasons = [e.reason for e in errors]
    assert "data_hash" in reasons[0] and "area_m2" in reasons[1]
    assert "empty cadastral_code" in reasons[2] and "land_use" in reasons[3]
    assert len(rows) == COUNT + 1
    assert str(errors[0]).startswith(f"line {bad_lines[0]} (BAD-HASH-0):")


def test_duplicates_extra_fields_and_missing_columns(tmp_path: Path):
    good = "A-1,0x" + "11" * 32 + ",0x" + "22" * 32 + ",100,1,ipfs://a"
    path = tmp_path / "p.csv"
    path.write_text(
        "cadastral_code,owner,data_hash,area_m2,land_use,uri\n"
        f"{good}\n"
        "\n"
        f"{good}\n"
        f"{good.replace('A-1', 'A-2')},extra\n"
        "A-3,0x" + "11" * 32 + "\n"
    )
    rows, errors = read_parcels_csv(path)
    assert [r.code for r in rows] == ["A-1"]
    # the `uri` column of an older extract is ignored: no URI goes on chain
    assert rows[0].as_parcel_data() == (rows[0].parcel_id, b"\x22" * 32, 100, 1)
    assert [(e.line, e.code) for e in errors] == [(4, "A-1"), (5, "A-2"), (6, "A-3")]
    assert "first on line 2" in errors[0].reason
    assert "too many fields" in errors[1].reason
    assert "missing field" in errors[2].reason

    broken = tmp_path / "broken.csv"
    broken.write_text("code,owner\nA,B\n")
    with pytest.raises(CsvFormatError, match="cadastral_code"):
        read_parcels_csv(broken)


def test_batch_plan_bounds(csv_file):
    rows, _ = read_parcels_csv(csv_file[0])
    batches = plan_batches(rows, 25)
    assert [len(b) for b in batches] == [25, 25, 11]
    assert [r for b in batches for r in b] == rows
    with pytest.raises(ValueError):
        plan_batches(rows, 101)


# ------------------------------------------------------------------ journal (no chain)


def test_journal_resumes_and_ignores_torn_line(tmp_path: Path):
    path = tmp_path / "j.jsonl"
    header = {"job": "x", "chain_id": 1, "contract": "0xabc"}
    journal = Journal.open(path, header)
    journal.record_sent(0, ["a", "b"], "0x01", 5)
    journal.record_confirmed(0, tx="0x01", block=1, gas_used=10)
    journal.record_sent(1, ["c"], "0x02", 6)
    journal.close()
    with path.open("a") as handle:
        handle.write('{"type": "confirmed", "batch": 1, "tx"')  # crash mid-write

    again = Journal.open(path, header)
    assert again.confirmed == {"a", "b"}
    assert [(b.batch, b.keys, b.tx) for b in again.unresolved] == [(1, ("c",), "0x02")]
    assert again.new_batch_number() == 2
    again.record_confirmed(1, tx="0x02", block=2)
    again.close()
    assert Journal(path).confirmed == {"a", "b", "c"}
    lines = path.read_text().splitlines()
    assert lines[-2].endswith('"tx"')  # the torn line stays, on its own line
    assert json.loads(lines[-1])["batch"] == 1

    with pytest.raises(JournalMismatch, match="contract"):
        Journal.open(path, {**header, "contract": "0xdef"})
    fresh = Journal.open(path, {**header, "contract": "0xdef"}, fresh=True)
    assert fresh.confirmed == set()
    assert len(list(tmp_path.glob("j.jsonl.*.old"))) == 1


# ------------------------------------------------------------------ import on chain


def test_import_registers_all_good_rows_and_rerun_is_a_no_op(
    titles, identities, registered_owners, csv_file, importer, tmp_path
):
    path, bad_lines = csv_file
    rows, bad = read_parcels_csv(path)
    done: list[int] = []
    result = importer().run(rows, bad_rows=bad, progress=done.append)

    assert result.imported == COUNT and result.transactions == 3
    assert sum(done) == COUNT
    assert [e.line for e in result.bad_rows] == bad_lines  # incl. the unregistered owner
    assert "not an active identity" in result.bad_rows[2].reason
    assert not result.failed_batches
    assert _on_chain_count(titles, path) == COUNT
    owner_of = {r.code: r.owner for r in rows}
    first = rows[0]
    assert titles.ownerIdentityOf(first.parcel_id) == owner_of[first.code]
    assert titles.parcelOf(first.parcel_id).area == first.area

    again = importer().run(rows, bad_rows=bad)
    assert (again.imported, again.already_on_chain, again.transactions) == (0, COUNT, 0)


def test_resume_after_interruption_between_batches(titles, registered_owners, csv_file, importer):
    path, _ = csv_file
    rows, _ = read_parcels_csv(path)

    with pytest.raises(Crash):
        importer(window=1, on_confirmed=crash_at(0)).run(rows)
    assert _on_chain_count(titles, path) == BATCH

    result = importer().run(rows)
    assert result.already_on_chain == BATCH
    assert result.imported == COUNT - BATCH
    assert not result.failed_batches
    assert _on_chain_count(titles, path) == COUNT


def test_resume_after_crash_between_broadcast_and_receipt(
    titles, registered_owners, csv_file, importer, tmp_path
):
    path, _ = csv_file
    rows, _ = read_parcels_csv(path)

    with pytest.raises(Crash):
        importer(window=5, on_sent=crash_at(1)).run(rows)
    journal = Journal(tmp_path / "journal.jsonl")
    assert [b.batch for b in journal.unresolved] == [0, 1]  # outcomes unknown to the journal

    result = importer().run(rows)
    assert result.recovered == 2 * BATCH  # settled from their receipts, not re-sent
    assert result.imported == COUNT - 2 * BATCH
    assert result.transactions == 1
    records = _journal_records(tmp_path / "journal.jsonl")
    sent_keys = [k for r in records if r["type"] == "sent" for k in r["keys"]]
    assert len(sent_keys) == len(set(sent_keys)) == COUNT  # nothing sent twice
    assert Journal(tmp_path / "journal.jsonl").confirmed == set(sent_keys)
    assert "BAD-OWNER-2" not in sent_keys
    assert _on_chain_count(titles, path) == COUNT


def test_resume_resends_a_batch_journaled_but_never_broadcast(
    titles, registered_owners, csv_file, importer, tmp_path
):
    """Killed between journaling a batch and broadcasting it: the node does not know the
    transaction, so the re-run settles it as dropped at once (no waiting for a receipt that
    cannot come) and sends its parcels; the journal and the result say what was resumed."""
    path, _ = csv_file
    rows, _ = read_parcels_csv(path)
    journal_path = tmp_path / "journal.jsonl"

    with pytest.raises(Crash):
        importer(window=1, on_confirmed=crash_at(0)).run(rows)
    journal = Journal.open(journal_path, Journal(journal_path).state.header or {})
    never_sent = [r.code for r in rows[BATCH : 2 * BATCH]]
    journal.record_sent(journal.new_batch_number(), never_sent, "0x" + "ab" * 32, 10**6)
    journal.close()

    started = time.monotonic()
    result = importer().run(rows)
    assert time.monotonic() - started < 25  # an unknown transaction is not waited for
    assert result.resumed and result.confirmed_before == BATCH
    assert (result.unsettled_batches, result.recovered, result.dropped) == (1, 0, BATCH)
    assert result.imported == COUNT - BATCH and not result.failed_batches
    assert _on_chain_count(titles, path) == COUNT
    records = _journal_records(journal_path)
    resume = [r for r in records if r["type"] == "resume"]
    assert len(resume) == 1
    assert (resume[0]["dropped_batches"], resume[0]["recovered_batches"]) == ([1], [])
    assert records[-1]["type"] == "finished" and records[-1]["imported"] == COUNT - BATCH
    again = importer().run(rows)
    assert not again.resumed and again.imported == 0  # the last run finished


def test_rerun_without_journal_skips_what_is_on_chain(
    titles, registered_owners, csv_file, importer, tmp_path
):
    path, _ = csv_file
    rows, _ = read_parcels_csv(path)
    importer().run(rows[:30])
    (tmp_path / "journal.jsonl").unlink()
    result = importer().run(rows)
    # 61 rows parse; one has an unregistered owner and stays a bad row
    assert (result.already_on_chain, result.imported) == (30, 30)


def test_parcel_on_chain_with_other_data_is_a_bad_row(
    titles, identities, registrar, registered_owners, csv_file
):
    path, _ = csv_file
    rows, _ = read_parcels_csv(path)
    row = rows[0]
    titles.register(
        row.owner, (row.parcel_id, b"\x99" * 32, row.area, row.land_use, ""), sender=registrar
    )
    check = check_against_chain(rows, titles, identities)
    assert check.errors[0].line == row.line
    assert "other data" in check.errors[0].reason
    assert row not in check.todo and row not in check.on_chain


def test_journal_of_another_contract_is_refused(registered_owners, importer, tmp_path):
    Journal.open(tmp_path / "journal.jsonl", {"job": "titles-import", "contract": "0x0"}).close()
    with pytest.raises(JournalMismatch):
        importer()
    importer(fresh=True).journal.close()
