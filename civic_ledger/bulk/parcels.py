"""Bulk parcel import: CSV -> validated rows -> on-chain check -> batched `registerBatch`.

CSV columns (header required, extra columns ignored):

    cadastral_code, owner, data_hash, area_m2, land_use

`owner` is the owner's identity commitment (bytes32 hex) registered in the IdentityRegistry,
`data_hash` the content hash of the parcel's survey document, which also addresses the
document (no URI goes on chain: a `uri` column of an older extract is ignored like any extra
column). The parcel id is derived from the cadastral code (`keccak256(code)`), so a parcel can
only ever be registered once: the import is idempotent. A re-run skips every parcel already on
chain with the same data; a parcel on chain with *different* data is reported as a bad row,
never overwritten.

The import runs on the one bulk runner (`civic_ledger.bulk.runner`): every batch is journaled
(signed bytes included) before it is broadcast, so after an interruption a re-run first settles
the batches whose outcome it does not know (adopted if mined, re-broadcast if their nonce is
still open, never re-signed), then sends only what is still missing on chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from civic_ledger.bulk.runner import (
    BatchCallJob,
    BulkResult,
    BulkRunner,
    ChainCheck,
    RowError,
    journal_path_for,
)
from civic_ledger.bulk.runner import plan_batches as plan_rows
from civic_ledger.core.csvfile import DEFAULT_ENCODING, CsvRecords
from civic_ledger.core.encoding import (
    DIGITS,
    HEX32,
    MAX_CODE_LENGTH,
    ZERO32,
    check_code,
    parcel_id_of,
    shown,
)
from civic_ledger.core.exceptions import CsvFormatError

COLUMNS = ("cadastral_code", "owner", "data_hash", "area_m2", "land_use")
MAX_BATCH = 100  # TitleRegistry.MAX_BATCH
DEFAULT_BATCH = 50
CHECK_CHUNK = 500  # ids per `dataHashesOf` call
JOB = "titles-import"
ImportResult = BulkResult  # the parcel import's result is the runner's


@dataclass(frozen=True)
class ParcelRow:
    """One valid CSV row."""

    line: int
    code: str
    owner: bytes
    data_hash: bytes
    area: int
    land_use: int

    @property
    def parcel_id(self) -> int:
        return parcel_id_of(self.code)

    def as_parcel_data(self) -> tuple[int, bytes, int, int]:
        """The `TitleRegistry.ParcelData` tuple."""
        return (self.parcel_id, self.data_hash, self.area, self.land_use)


# ------------------------------------------------------------------ parsing


def _hex32(value: str, what: str) -> bytes:
    if not HEX32.fullmatch(value):
        raise ValueError(f"{what} must be 0x followed by 64 hex digits, got {shown(value)}")
    raw = bytes.fromhex(value[2:])
    if raw == ZERO32:
        raise ValueError(f"{what} must not be zero")
    return raw


def _int(value: str, what: str, low: int, high: int) -> int:
    if not DIGITS.fullmatch(value) or len(value) > 80:
        raise ValueError(f"{what} must be a whole number, got {shown(value)}")
    number = int(value)
    if not low <= number <= high:
        raise ValueError(f"{what} must be between {low} and {high}, got {shown(value)}")
    return number


def parse_row(line: int, record: dict[str, str | None]) -> ParcelRow:
    """Validate one CSV record (raises ValueError with the reason, naming the field)."""
    missing = [c for c in COLUMNS if record.get(c) is None]
    if missing:
        raise ValueError(f"missing field(s) {', '.join(missing)} (expected {len(COLUMNS)} columns)")
    code = check_code(record["cadastral_code"] or "")
    return ParcelRow(
        line=line,
        code=code,
        owner=_hex32((record["owner"] or "").strip(), "owner"),
        data_hash=_hex32((record["data_hash"] or "").strip(), "data_hash"),
        area=_int((record["area_m2"] or "").strip(), "area_m2", 1, 2**128 - 1),
        land_use=_int((record["land_use"] or "").strip(), "land_use", 0, 2**32 - 1),
    )


def read_parcels_csv(
    path: Path, *, encoding: str = DEFAULT_ENCODING
) -> tuple[list[ParcelRow], list[RowError]]:
    """Parse and validate `path` (text in `encoding`). Returns the valid rows and the bad ones (with line numbers);
    a second row with an already-seen cadastral code is bad. A file that cannot be read as a
    CSV at all (not text in `encoding`, no or wrong header, broken quoting) raises CsvFormatError naming the
    file and line."""
    rows: list[ParcelRow] = []
    errors: list[RowError] = []
    first_seen: dict[str, int] = {}
    for line_start, record in CsvRecords(path, COLUMNS, CsvFormatError, encoding=encoding):
        # line_start: the last physical line of the record (1-based)
        code = (record.get("cadastral_code") or "").strip()[:MAX_CODE_LENGTH] or None
        if record.get(None):
            errors.append(RowError(line_start, f"too many fields ({len(COLUMNS)} expected)", code))
            continue
        try:
            row = parse_row(line_start, record)
        except ValueError as exc:
            errors.append(RowError(line_start, str(exc), code))
            continue
        if row.code in first_seen:
            errors.append(
                RowError(
                    line_start,
                    f"duplicate cadastral_code (first on line {first_seen[row.code]})",
                    row.code,
                )
            )
            continue
        first_seen[row.code] = line_start
        rows.append(row)
    return rows, errors


# ------------------------------------------------------------------ chain state


def check_against_chain(rows: Sequence[ParcelRow], titles: Any, identities: Any) -> ChainCheck:
    """Ask the chain which rows are already registered (same data: skip; different data: bad
    row) and whether every owner is an active identity (else: bad row)."""
    result = ChainCheck()
    active: dict[bytes, bool] = {}
    for start in range(0, len(rows), CHECK_CHUNK):
        chunk = rows[start : start + CHECK_CHUNK]
        hashes = titles.dataHashesOf([r.parcel_id for r in chunk])
        for row, on_chain in zip(chunk, hashes, strict=True):
            on_chain = bytes(on_chain)
            if on_chain == row.data_hash:
                result.on_chain.append(row)
            elif on_chain != ZERO32:
                result.errors.append(
                    RowError(
                        row.line,
                        f"parcel already registered with other data (0x{on_chain.hex()})",
                        row.code,
                    )
                )
            else:
                if row.owner not in active:
                    active[row.owner] = bool(identities.isActive(row.owner))
                if active[row.owner]:
                    result.todo.append(row)
                else:
                    result.errors.append(
                        RowError(
                            row.line,
                            f"owner 0x{row.owner.hex()} is not an active identity",
                            row.code,
                        )
                    )
    return result


def plan_batches(rows: Sequence[ParcelRow], batch_size: int) -> list[list[ParcelRow]]:
    """Consecutive batches of at most `batch_size` rows (file order kept)."""
    return plan_rows(rows, batch_size, MAX_BATCH)


# ------------------------------------------------------------------ import


@dataclass
class ParcelJob(BatchCallJob, name=JOB, method="registerBatch", max_batch=MAX_BATCH):
    """The parcel import as a job of the one bulk runner (`civic_ledger.bulk.runner`):
    `contract` is the TitleRegistry."""

    identities: Any

    def key(self, row: ParcelRow) -> str:
        return row.code

    def check(self, rows: Sequence[ParcelRow]) -> ChainCheck:
        return check_against_chain(rows, self.contract, self.identities)

    def arguments(self, rows: Sequence[ParcelRow]) -> tuple[Any, ...]:
        return ([r.owner for r in rows], [r.as_parcel_data() for r in rows])


class ParcelImporter(BulkRunner):
    """Runs one import of parcel rows into `titles`, signing with `sender`, journaled at
    `journal_path`: the bulk runner on a `ParcelJob` (see `BulkRunner` for its options and the
    journal, settling and sending rules; `batch_size` defaults to DEFAULT_BATCH here)."""

    def __init__(
        self, titles: Any, identities: Any, sender: Any, journal_path: Path, **options: Any
    ) -> None:
        options.setdefault("batch_size", DEFAULT_BATCH)
        super().__init__(ParcelJob(titles, identities), sender, journal_path, **options)


def default_journal_path(csv_path: Path, network: str) -> Path:
    """`<repo>/.journal/titles-import-<network>-<csv stem>.jsonl`."""
    return journal_path_for(JOB, csv_path, network)
