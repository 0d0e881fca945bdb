"""Writing an event report (`civic_ledger.report.events`) as CSV (through `core/csvfile`, in
the chosen encoding) or as an Excel workbook (openpyxl).

Values are written so nothing is lost: integers beyond what a spreadsheet number holds exactly
(2**53) are written as text, lists and structs as JSON, booleans as true/false.

Text from the chain (a schema's or a round's name, a layout) is data, never a formula: in a
workbook every text cell is typed as text; in a CSV, which a spreadsheet opens by guessing,
text that would start a formula (= + - @, tab, carriage return) is prefixed with an
apostrophe, as spreadsheets themselves show literal text."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from civic_ledger.core.csvfile import DEFAULT_ENCODING, csv_writer
from civic_ledger.core.exceptions import ReportError
from civic_ledger.report.events import EventRow, cells, columns

FORMATS = ("csv", "xlsx")
EXACT_INT = 2**53 - 1  # beyond this a spreadsheet's number rounds
SHEET = "events"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any, *, spreadsheet: bool) -> Any:
    if value is None:
        return None if spreadsheet else ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return value if spreadsheet and abs(value) <= EXACT_INT else str(value)
    if isinstance(value, list | tuple):
        return json.dumps(value, default=str)
    return value


def _csv_text(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _sheet_cell(sheet: Any, value: Any) -> Any:
    """Text as a text cell (openpyxl would take "=..." for a formula); anything else as is."""
    if not isinstance(value, str):
        return value
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


def write_report(
    rows: Sequence[EventRow], out: Path, fmt: str, *, encoding: str = DEFAULT_ENCODING
) -> list[str]:
    """Write `rows` to `out` as `fmt` (csv or xlsx); returns the header written."""
    header = columns(rows)
    if fmt == "csv":
        with csv_writer(out, ReportError, encoding=encoding) as writer:
            writer.writerow(header)
            for row in rows:
                writer.writerow(
                    [_cell(_csv_text(v), spreadsheet=False) for v in cells(row, header)]
                )
    elif fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(SHEET)
        sheet.append(header)
        for row in rows:
            sheet.append(
                [_sheet_cell(sheet, _cell(v, spreadsheet=True)) for v in cells(row, header)]
            )
        try:
            book.save(out)
        except OSError as exc:
            raise ReportError(f"{out}: cannot write the file ({exc.strerror})") from None
    else:
        raise ReportError(f"unknown format {fmt!r} (csv or xlsx)")
    return header
