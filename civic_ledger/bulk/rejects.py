"""The rejects file of a bulk import: every bad row of the input, as it was, so a clerk can fix
and re-import just those.

Columns: `line` (the row's line in the input), `reason` (why it was refused), then the input's
own columns, in the input's order, values untouched (a row with too few fields gets empty
ones, a row with too many keeps its extras at the end). A rejects file is itself a valid input of the same
import once its rows are fixed: every import ignores the `line` and `reason` columns. When the
input is itself a rejects file, its old `line`/`reason` columns are replaced, not repeated.

The file holds what the input held (an identity file's official ids included): it is created
with owner-only permissions, like the salts table.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from civic_ledger.bulk.runner import RowError
from civic_ledger.core.csvfile import DEFAULT_ENCODING, csv_writer, read_csv_text
from civic_ledger.core.exceptions import InputError

REJECT_COLUMNS = ("line", "reason")


def default_rejects_path(csv_path: Path) -> Path:
    """`<input stem>.rejects.csv` next to the input."""
    return csv_path.with_name(f"{csv_path.stem}.rejects.csv")


def write_rejects(
    source: Path, errors: Sequence[RowError], out: Path, *, encoding: str = DEFAULT_ENCODING
) -> int:
    """Write the rows of `source` named by `errors` (one per line, first reason kept) to `out`,
    replacing it; both files in `encoding` (the rejects file reads back like the input).
    Returns how many rows were written."""
    reasons: dict[int, str] = {}
    for error in sorted(errors, key=lambda e: e.line):
        reasons.setdefault(error.line, error.reason)
    text = read_csv_text(source, InputError, encoding=encoding)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    keep = [i for i, name in enumerate(header) if name.strip() not in REJECT_COLUMNS]
    rows: dict[int, list[str]] = {}
    for fields in reader:
        if reader.line_num in reasons:
            extra = fields[len(header) :]
            rows[reader.line_num] = [fields[i] if i < len(fields) else "" for i in keep] + extra
    with csv_writer(out, InputError, encoding=encoding, private=True) as writer:
        writer.writerow([*REJECT_COLUMNS, *(header[i].strip() for i in keep)])
        for line, reason in reasons.items():
            writer.writerow([line, reason, *rows.get(line, [])])
    return len(reasons)
