"""Bulk identity registration: CSV -> validated registrations -> chain check -> batched
`IdentityRegistry.registerBatch`, on the one bulk runner (`civic_ledger.bulk.runner`).

CSV columns (header required; `line` and `reason` of a rejects file and other extra columns
are ignored):

    official_id, kind, controller[, salt]

`kind` is person, enterprise or agency; `controller` the wallet that will act for the
identity. Only the subject commitment `keccak256(salt, official id)` goes on chain (and into
the journal, as the item's key); the official id and its salt stay in the office's salts table
(`--salts-out`, written before the first transaction: a crash can never lose the link to a
person).

Idempotence and resume: an item is its subject, so it is recognised on chain by
`statusOf(subject)`. A row without a salt takes the salt the salts table already holds for its
official id, and a fresh random one only if it has none: re-running the same file (the
original, or the salts table itself) after an interruption or a success derives the same
subjects, so what is registered is skipped and nothing is registered twice. The runner
settles batches left in flight (re-broadcast as journaled, never re-signed).

Bad rows: a malformed field, an official id or controller repeated in the file, a controller
that already acts for another identity on chain (typically: the file re-run with another
salts table).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from civic_ledger.bulk.runner import BatchCallJob, ChainCheck, RowError
from civic_ledger.core.commitments import normalize_official_id, parse_salt
from civic_ledger.core.csvfile import DEFAULT_ENCODING, CsvRecords, read_csv_text
from civic_ledger.core.encoding import ZERO32
from civic_ledger.core.exceptions import RegistrationsFileError
from civic_ledger.identity.enums import Kind, Status
from civic_ledger.identity.registrations import CSV_COLUMNS, MAX_OFFICIAL_ID, Registration

JOB = "identity-import"
MAX_BATCH = 100  # IdentityRegistry.MAX_BATCH_SIZE


def _parse_kind(text: str) -> Kind:
    value = text.strip()
    if not value:
        raise ValueError("kind is empty (person, enterprise or agency)")
    if value.isdigit() and value not in ("1", "2", "3"):
        raise ValueError(f"unknown kind {value!r}: person, enterprise or agency")
    return Kind.parse(value)


def known_salts(path: Path | None, encoding: str = DEFAULT_ENCODING) -> dict[str, bytes]:
    """Official id -> salt from a salts table (`--salts-out`) if it exists; unreadable rows
    are left out (the table is append-only and written by this tool)."""
    if path is None or not path.is_file():
        return {}
    salts: dict[str, bytes] = {}
    text = read_csv_text(path, RegistrationsFileError, encoding=encoding)
    for row in csv.DictReader(io.StringIO(text, newline="")):
        try:
            official_id = normalize_official_id(row.get("official_id") or "")
            salts.setdefault(official_id, parse_salt((row.get("salt") or "").strip()))
        except ValueError:
            continue
    return salts


def parse_row(line: int, row: dict[str | None, Any], salts: dict[str, bytes]) -> Registration:
    """One CSV record as a Registration (ValueError naming the field)."""
    if row.get(None):
        raise ValueError(f"too many fields ({len([k for k in row if k is not None])} columns)")
    missing = [c for c in CSV_COLUMNS if row.get(c) is None]
    if missing:
        raise ValueError(f"missing field(s) {', '.join(missing)}")
    official_id = row["official_id"] or ""
    if len(official_id.strip()) > MAX_OFFICIAL_ID:
        raise ValueError(
            f"official_id is {len(official_id.strip())} characters (at most {MAX_OFFICIAL_ID})"
        )
    kind = _parse_kind(row["kind"] or "")
    salt: bytes | str | None = (row.get("salt") or "").strip() or None
    registration = Registration.new(
        official_id, (row["controller"] or "").strip(), kind, salt, line
    )
    if salt is None and registration.official_id in salts:  # the salt of an earlier run
        registration = Registration.new(
            official_id, registration.controller, kind, salts[registration.official_id], line
        )
    return registration


def read_identities_csv(
    path: Path, salts_file: Path | None = None, *, encoding: str = DEFAULT_ENCODING
) -> tuple[list[Registration], list[RowError]]:
    """Parse and validate `path`: the good registrations and the bad rows (line, reason). Rows
    without a salt reuse the one `salts_file` holds for their official id, else get a fresh
    one. A file that cannot be read as such a CSV (not UTF-8, header, quoting) raises
    RegistrationsFileError naming the file and line."""
    salts = known_salts(salts_file, encoding)
    registrations: list[Registration] = []
    errors: list[RowError] = []
    seen_ids: dict[str, int] = {}
    seen_controllers: dict[str, int] = {}
    records = CsvRecords(
        path, CSV_COLUMNS, RegistrationsFileError, encoding=encoding,
        expected=f"{','.join(CSV_COLUMNS)}[,salt]", missing_words="missing column(s)",
    )  # fmt: skip
    for line, row in records:
        try:
            registration = parse_row(line, row, salts)
        except ValueError as exc:
            errors.append(RowError(line, str(exc)))
            continue
        first = seen_ids.get(registration.official_id)
        taken = seen_controllers.get(registration.controller)
        if first is not None:
            errors.append(RowError(line, f"official id repeated (first on line {first})"))
        elif taken is not None:
            errors.append(
                RowError(
                    line, f"controller {registration.controller} repeated (first on line {taken})"
                )
            )
        else:
            seen_ids[registration.official_id] = line
            seen_controllers[registration.controller] = line
            registrations.append(registration)
    return registrations, errors


def check_against_chain(identity: Any, registrations: Sequence[Registration]) -> ChainCheck:
    """Registered subjects are done; a controller already acting for another identity is a
    bad row (it would revert its batch after earlier batches were applied)."""
    result = ChainCheck()
    for r in registrations:
        if int(identity.statusOf(r.subject)) != Status.NONE:
            result.on_chain.append(r)
            continue
        taken = bytes(identity.subjectOf(r.controller))
        if taken != ZERO32:
            result.errors.append(
                RowError(
                    r.line,
                    f"controller {r.controller} already controls identity 0x{taken.hex()} "
                    "(re-running an interrupted import? use the salts file written by the "
                    "first run, so the same salts are used)",
                )
            )
            continue
        result.todo.append(r)
    return result


@dataclass
class IdentityJob(BatchCallJob, name=JOB, method="registerBatch", max_batch=MAX_BATCH):
    """The identity registration import as a job of the one bulk runner: `contract` is the
    IdentityRegistry."""

    def key(self, registration: Registration) -> str:
        return "0x" + registration.subject.hex()  # never the official id

    def check(self, registrations: Sequence[Registration]) -> ChainCheck:
        return check_against_chain(self.contract, registrations)

    def arguments(self, registrations: Sequence[Registration]) -> tuple[Any, ...]:
        return ([r.as_tuple() for r in registrations],)
