"""Bulk tax assessment from a tax roll: CSV -> validated assessments -> chain check ->
`PropertyTax.assess`, one call per assessment, pipelined by the one bulk runner
(`civic_ledger.bulk.runner`). PropertyTax has no batch function: a batch is one assessment.

CSV columns (header required; `line` and `reason` of a rejects file and any other column are
ignored):

    parcel, year, amount, due

- `parcel`: the cadastral code, or the parcel id (decimal, or 0x + 64 hex digits);
- `year`: the tax year, 1-65535;
- `amount`: the tax in whole settlement tokens (decimals allowed up to the token's), > 0;
- `due`: the due date, YYYY-MM-DD (end of that day, UTC) or unix seconds; in the future.

Idempotence: an assessment is named by its parcel and year (the contract assesses a parcel
once per year), which is the item's journal key. On chain, an assessment of the same parcel
and year with the same amount and due date is "already on chain" (skipped); one with another
amount or due date — or one since paid or voided with other figures — is a bad row, never
overwritten (void it first). Two rows for the same parcel and year are a bad row (the second),
as are rows for a parcel that is not active, or that would carry more than
`MAX_OPEN_PER_PARCEL` unpaid assessments.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from civic_ledger.bulk.runner import BatchCallJob, ChainCheck, RowError
from civic_ledger.core.csvfile import DEFAULT_ENCODING, CsvRecords
from civic_ledger.core.encoding import DIGITS, UINT256_MAX, parse_parcel, shown
from civic_ledger.core.exceptions import TaxRollFileError
from civic_ledger.property.tax import parse_due
from civic_ledger.property.titles import parcel_ref, to_units

JOB = "tax-import"
MAX_BATCH = 1  # PropertyTax.assess: one assessment per transaction
DEFAULT_BATCH = 1
MAX_OPEN_PER_PARCEL = 32  # PropertyTax.MAX_OPEN_PER_PARCEL
COLUMNS = ("parcel", "year", "amount", "due")

_AMOUNT = re.compile(r"[0-9]+(\.[0-9]+)?")

# Mirror of IPropertyTax.AssessmentState, in declaration order.
STATE_NONE, STATE_OPEN, STATE_PAID, STATE_VOIDED = range(4)
STATE_NAMES = ("none", "open", "paid", "voided")


@dataclass(frozen=True)
class TaxRow:
    """One valid row: an assessment to make."""

    line: int
    parcel: str  # as written (a code or an id)
    parcel_id: int
    year: int
    amount: int  # base units
    due: int  # unix seconds

    @property
    def key(self) -> str:
        return f"tax-{self.parcel_id:x}-{self.year}"

    def as_args(self) -> tuple[int, int, int, int]:
        """`PropertyTax.assess`'s arguments."""
        return (self.parcel_id, self.year, self.amount, self.due)


# ------------------------------------------------------------------ parsing


def _year(value: str) -> int:
    if not DIGITS.fullmatch(value) or len(value) > 6 or not 1 <= int(value) <= 65535:
        raise ValueError(f"year must be a whole number between 1 and 65535, got {shown(value)}")
    return int(value)


def _amount(value: str, decimals: int) -> int:
    if not _AMOUNT.fullmatch(value) or len(value) > 80:
        raise ValueError(f"amount must be a number of tokens, got {shown(value)}")
    units = to_units(value, decimals)
    if units == 0:
        raise ValueError("amount must be more than 0")
    if units > UINT256_MAX:
        raise ValueError(f"amount {shown(value)} is too large")
    return units


def parse_row(line: int, record: dict[str, str], decimals: int, now: int) -> TaxRow:
    """Validate one CSV record (ValueError naming the field)."""
    parcel = record["parcel"].strip()
    return TaxRow(
        line=line,
        parcel=parcel,
        parcel_id=parse_parcel(parcel),
        year=_year(record["year"].strip()),
        amount=_amount(record["amount"].strip(), decimals),
        due=parse_due(record["due"], now),
    )


def read_taxroll_csv(
    path: Path, decimals: int, now: int, *, encoding: str = DEFAULT_ENCODING
) -> tuple[list[TaxRow], list[RowError]]:
    """Parse and validate the tax roll at `path` (amounts in tokens of `decimals` decimals, due
    dates after `now`). Returns the valid rows and the bad ones; a second row for the same
    parcel and year is bad. A file that cannot be read as a CSV raises TaxRollFileError."""
    rows: list[TaxRow] = []
    errors: list[RowError] = []
    first_seen: dict[tuple[int, int], int] = {}
    records = CsvRecords(path, COLUMNS, TaxRollFileError, encoding=encoding)
    for line, record in records:
        code = (record.get("parcel") or "").strip()[:64] or None
        try:
            if record.get(None):
                raise ValueError(f"too many fields ({len(records.header)} in the header)")
            missing = [c for c in COLUMNS if record.get(c) is None]
            if missing:
                raise ValueError(f"missing field(s) {', '.join(missing)}")
            row = parse_row(line, record, decimals, now)
        except ValueError as exc:
            errors.append(RowError(line, " ".join(str(exc).split())[:300], code))
            continue
        seen = first_seen.get((row.parcel_id, row.year))
        if seen is not None:
            errors.append(RowError(line, f"same parcel and year as line {seen}", row.parcel))
            continue
        first_seen[(row.parcel_id, row.year)] = line
        rows.append(row)
    return rows, errors


# ------------------------------------------------------------------ chain state


def check_against_chain(rows: Sequence[TaxRow], tax: Any, titles: Any) -> ChainCheck:
    """Rows assessed on chain with the same amount and due date are done; another assessment
    of that parcel and year, a parcel that is not active, or one that would carry too many
    unpaid assessments, is a bad row."""
    result = ChainCheck()
    active: dict[int, bool] = {}
    open_count: dict[int, int] = {}
    for row in rows:
        a = tax.assessmentOf(row.parcel_id, row.year)
        state = int(a.state)
        where = f"parcel {row.parcel} already assessed for {row.year}"
        if state != STATE_NONE:
            if int(a.amount) == row.amount and int(a.dueDate) == row.due:
                result.on_chain.append(row)
            else:
                result.errors.append(
                    RowError(
                        row.line,
                        f"{where} with another amount or due date ({int(a.amount)} units, due "
                        f"{int(a.dueDate)}, {STATE_NAMES[state]}); void it first",
                        row.parcel,
                    )
                )
            continue
        if row.parcel_id not in active:
            active[row.parcel_id] = bool(titles.isActiveParcel(row.parcel_id))
            open_count[row.parcel_id] = len(tax.openYearsOf(row.parcel_id))
        if not active[row.parcel_id]:
            problem = f"parcel {row.parcel} ({parcel_ref(row.parcel_id)}) is not an active parcel"
            result.errors.append(RowError(row.line, problem, row.parcel))
        elif open_count[row.parcel_id] >= MAX_OPEN_PER_PARCEL:
            result.errors.append(
                RowError(
                    row.line,
                    f"parcel {row.parcel} would carry more than {MAX_OPEN_PER_PARCEL} unpaid "
                    "assessments",
                    row.parcel,
                )
            )
        else:
            open_count[row.parcel_id] += 1
            result.todo.append(row)
    return result


# ------------------------------------------------------------------ import


@dataclass
class TaxRollJob(BatchCallJob, name=JOB, method="assess", max_batch=MAX_BATCH):
    """The tax roll import as a job of the one bulk runner: one `assess` per batch on
    `contract`, the PropertyTax."""

    titles: Any

    def check(self, rows: Sequence[TaxRow]) -> ChainCheck:
        return check_against_chain(rows, self.contract, self.titles)

    def arguments(self, rows: Sequence[TaxRow]) -> tuple[Any, ...]:
        (row,) = rows  # PropertyTax has no batch call: one assessment per transaction
        return tuple(row.as_args())
