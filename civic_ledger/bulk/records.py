"""Bulk record issuance: CSV -> validated records -> chain check -> batched
`RecordRegistry.issueBatch`, on the one bulk runner (`civic_ledger.bulk.runner`).

CSV columns (header required):

    schema, subject[, evidence][, expires][, supersedes][, data][, <field>...]

- `schema`: the schema's name or id (it must exist and be active);
- `subject`: the subject's identity commitment (0x + 64 hex digits; an active identity);
- `evidence`: the evidence document as 0x + 64 hex digits, text:TEXT or @PATH (a path
  relative to the CSV's folder); only its hash goes on chain. Required by adverse schemas;
- `expires`: +30d, 2027-12-31, an ISO date-time or unix time; empty: the schema's validity;
- `supersedes`: the id of the subject's record (same schema) this one replaces;
- the record data, one column per field of the schema's layout, named like the field
  (`year`, `compliant`, ...), or the raw ABI-encoded words in `data` (0x-hex) instead. A
  file may mix schemas: a field column must be empty on the rows of a schema without that
  field.

`line` and `reason` (of a rejects file) are ignored; any other column is a data field.

Idempotence: the registry numbers records itself (a record id is not known before it is
issued), so an item is recognised in two ways, either of which skips it:

1. its key, `rec-` + a hash of what the row asks for (schema, subject, evidence hash, data
   hash, the expiry as written, supersedes), which the journal holds once its batch is mined:
   a re-run of the same file with the same journal, or a resume after a kill, skips it
   (batches left in flight are settled from the journal, never re-signed);
2. on chain: the subject already holds a record (even one revoked since) of the same schema,
   issuer, evidence hash, data and supersedes. This protects a re-run with another or a lost
   journal. The expiry is left out of this match (a relative `+30d` moves with the day), so
   an issuer who means to issue the same fact again gives it new evidence.

Two rows asking for the same record are a bad row (the second), as are rows whose data does
not fit the schema's layout, whose expiry is past or beyond what an adverse schema allows,
whose subject is not an active identity, or whose superseded record is not a live record of
the same subject and schema.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_abi import encode as abi_encode
from eth_utils import keccak

from civic_ledger.bulk.runner import BatchCallJob, ChainCheck, RowError
from civic_ledger.chain.logs import ape_log_reader
from civic_ledger.core.csvfile import DEFAULT_ENCODING, CsvRecords
from civic_ledger.core.documents import document_hash
from civic_ledger.core.encoding import HEX32, ZERO32, to_bytes32
from civic_ledger.core.exceptions import RecordsFileError
from civic_ledger.identity.layouts import check_data, encode_data, parse_layout
from civic_ledger.identity.record_input import UINT64_MAX, moment
from civic_ledger.identity.record_views import (
    SchemaView,
    get_schema,
    issued_records,
    resolve_schema,
)
from civic_ledger.identity.requests import RecordRequest

JOB = "records-import"
MAX_BATCH = 50  # RecordRegistry.MAX_BATCH_SIZE
DEFAULT_BATCH = 50
REQUIRED = ("schema", "subject")
OPTIONAL = ("evidence", "expires", "supersedes", "data")
IGNORED = ("line", "reason")  # a rejects file's own columns


@dataclass(frozen=True)
class RecordRow:
    """One valid CSV row: the record to issue and its import key."""

    line: int
    key: str
    request: RecordRequest


SchemaLookup = Callable[[str], SchemaView]


# ------------------------------------------------------------------ parsing


def _subject(text: str) -> bytes:
    if not HEX32.fullmatch(text):
        raise ValueError(f"subject must be 0x followed by 64 hex digits, got {text[:70]!r}")
    subject = bytes.fromhex(text[2:])
    if subject == ZERO32:
        raise ValueError("subject must not be zero")
    return subject


def _evidence(text: str, folder: Path) -> bytes:
    if not text:
        return ZERO32
    if text.startswith("@") and not Path(text[1:]).expanduser().is_absolute():
        text = "@" + str(folder / text[1:])
    try:
        return document_hash(text)
    except ValueError as exc:
        raise ValueError(f"evidence: {exc}") from None


def _data(schema: SchemaView, row: dict[str, str], fields: Sequence[str]) -> bytes:
    """The record data from the `data` column or from the layout's field columns."""
    layout = schema.field_layout
    names = [name for _, name in parse_layout(layout)]
    stray = [f for f in fields if f not in names and row.get(f, "").strip()]
    if stray:
        raise ValueError(f"column(s) {', '.join(stray)} not in schema {schema.name!r}'s layout")
    raw = row.get("data", "").strip()
    given = [n for n in names if row.get(n, "").strip()]
    if raw:
        if given:
            raise ValueError("give the data either in `data` or in field columns, not both")
        if not raw.startswith(("0x", "0X")):
            raise ValueError("data must be 0x-hex")
        try:
            data = bytes.fromhex(raw[2:])
        except ValueError:
            raise ValueError("data is not hexadecimal") from None
        check_data(layout, data)
        return data
    missing = [n for n in names if n not in given]
    if missing:
        raise ValueError(f"missing value(s) for field(s) {', '.join(missing)} of {schema.name!r}")
    for abi_type, name in parse_layout(layout):  # each field on its own: name the bad one
        try:
            encode_data(f"{abi_type} {name}", {name: row[name]})
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
        except Exception as exc:  # eth_abi's EncodingError: a value its type cannot hold
            if not type(exc).__module__.startswith("eth_abi"):
                raise
            shown = row[name].strip()[:40]
            raise ValueError(f"{name}: {shown!r} is out of range for {abi_type}") from None
    return encode_data(layout, {n: row[n] for n in names}) if names else b""


def _expiry(schema: SchemaView, text: str, now: int) -> int:
    expires = moment(text, now, "expires") if text else 0
    if expires and expires <= now:
        raise ValueError(f"expires {text!r} is not in the future")
    latest = now + schema.default_validity if schema.default_validity else 0
    if expires and schema.adverse and expires > latest:
        raise ValueError(f"expires {text!r} is later than adverse schema {schema.name!r} allows")
    return expires


def record_key(request: RecordRequest, expires_text: str) -> str:
    """The import key of a record: what the row asks for, hashed (no data in clear)."""
    types = ["uint64", "bytes32", "bytes32", "bytes32", "string", "bytes32"]
    values = [
        request.schema_id, request.subject, request.evidence_hash, keccak(request.data),
        expires_text, request.supersedes,
    ]  # fmt: skip
    digest = keccak(abi_encode(types, values))
    return "rec-" + digest.hex()[:40]


def parse_row(
    line: int, row: dict[str, str], fields: Sequence[str], schema_of: SchemaLookup, now: int,
    folder: Path,
) -> RecordRow:  # fmt: skip
    """Validate one CSV record (ValueError naming the field)."""
    try:
        schema = schema_of(row["schema"].strip())
    except (ValueError, LookupError) as exc:
        raise ValueError(f"schema: {exc}") from None
    if not schema.active:
        raise ValueError(f"schema {schema.name!r} is not active")
    evidence = _evidence(row.get("evidence", "").strip(), folder)
    if schema.adverse and evidence == ZERO32:
        raise ValueError(f"evidence is required for adverse schema {schema.name!r}")
    expires_text = row.get("expires", "").strip()
    supersedes = row.get("supersedes", "").strip()
    request = RecordRequest(
        schema_id=schema.schema_id,
        subject=_subject(row["subject"].strip()),
        evidence_hash=evidence,
        data=_data(schema, row, fields),
        expires_at=_expiry(schema, expires_text, now),
        supersedes=to_bytes32(supersedes) if supersedes else ZERO32,
    )
    return RecordRow(line, record_key(request, expires_text), request)


def read_records_csv(
    path: Path, schema_of: SchemaLookup, now: int, *, encoding: str = DEFAULT_ENCODING
) -> tuple[list[RecordRow], list[RowError]]:
    """Parse and validate `path` (`schema_of` resolves a schema name or id; `now` is the chain
    time relative expiries count from). Returns the good rows and the bad ones; a file that
    cannot be read as a CSV raises RecordsFileError naming the file and line."""
    rows: list[RecordRow] = []
    errors: list[RowError] = []
    first_seen: dict[str, int] = {}
    superseded: dict[bytes, int] = {}
    records = CsvRecords(path, REQUIRED, RecordsFileError, encoding=encoding)
    header = records.header
    fields = [h for h in header if h and h not in (*REQUIRED, *OPTIONAL, *IGNORED)]
    for line, record in records:
        try:
            if record.get(None):
                raise ValueError(f"too many fields ({len(header)} columns in the header)")
            if any(record.get(c) is None for c in header):
                raise ValueError(f"missing field(s) ({len(header)} columns in the header)")
            row = parse_row(line, record, fields, schema_of, now, path.parent)
        except ValueError as exc:
            errors.append(RowError(line, " ".join(str(exc).split())[:300]))
            continue
        old = row.request.supersedes
        if row.key in first_seen:
            errors.append(RowError(line, f"same record as line {first_seen[row.key]}"))
        elif old != ZERO32 and old in superseded:
            errors.append(RowError(line, f"supersedes the same record as line {superseded[old]}"))
        else:
            first_seen[row.key] = line
            if old != ZERO32:
                superseded[old] = line
            rows.append(row)
    return rows, errors


def schema_lookup(registry: Any) -> SchemaLookup:
    """A schema by name or id from `registry`, each asked once (LookupError if unknown)."""
    cache: dict[str, SchemaView] = {}

    def lookup(text: str) -> SchemaView:
        if text not in cache:
            if not text:
                raise ValueError("empty schema")
            if text.isascii() and text.isdigit() and int(text) > UINT64_MAX:
                raise ValueError(f"schema id {text} is out of range")
            if text.isdigit() and not text.isascii():
                raise ValueError(f"schema {text!r}: ASCII digits only")
            cache[text] = get_schema(registry, resolve_schema(registry, text))
        return cache[text]

    return lookup


# ------------------------------------------------------------------ chain state


def _fingerprint(schema_id: int, issuer: str, evidence: bytes, data: bytes, old: bytes) -> tuple:
    return (schema_id, issuer.lower(), bytes(evidence), bytes(data), bytes(old))


def check_against_chain(
    rows: Sequence[RecordRow], registry: Any, identities: Any, issuer: str
) -> ChainCheck:
    """Rows already issued by `issuer` (same schema, evidence, data, supersedes) are done; a
    subject that is not an active identity, or a superseded record that is not a live record
    of the row's subject and schema, is a bad row."""
    result = ChainCheck()
    issued: dict[bytes, set[tuple]] = {}
    active: dict[bytes, bool] = {}
    logs = ape_log_reader()  # one reader: what it learns of the node's limits serves every row
    for row in rows:
        r = row.request
        if r.subject not in issued:
            issued[r.subject] = {
                _fingerprint(i.schema_id, i.issuer, i.evidence_hash, i.data, i.supersedes)
                for i in issued_records(registry, r.subject, logs=logs)
            }
            active[r.subject] = bool(identities.isActive(r.subject))
        mine = _fingerprint(r.schema_id, issuer, r.evidence_hash, r.data, r.supersedes)
        if mine in issued[r.subject]:
            result.on_chain.append(row)
        elif not active[r.subject]:
            result.errors.append(
                RowError(row.line, f"subject 0x{r.subject.hex()} is not an active identity")
            )
        elif r.supersedes != ZERO32 and (problem := _supersede_problem(registry, r)):
            result.errors.append(RowError(row.line, problem))
        else:
            result.todo.append(row)
    return result


def _supersede_problem(registry: Any, request: RecordRequest) -> str | None:
    old = registry.getRecord(request.supersedes)
    shown = f"supersedes 0x{request.supersedes.hex()}"
    if int(old.issuedAt) == 0:
        return f"{shown}: no such record"
    if bytes(old.subject) != request.subject or int(old.schemaId) != request.schema_id:
        return f"{shown}: a record of another subject or schema"
    if int(old.revokedAt) != 0:
        return f"{shown}: already revoked"
    return None


# ------------------------------------------------------------------ import


@dataclass
class RecordJob(BatchCallJob, name=JOB, method="issueBatch", max_batch=MAX_BATCH):
    """The record import as a job of the one bulk runner: `contract` is the RecordRegistry,
    `issuer` the signing address."""

    identities: Any
    issuer: str

    def check(self, rows: Sequence[RecordRow]) -> ChainCheck:
        return check_against_chain(rows, self.contract, self.identities, self.issuer)

    def arguments(self, rows: Sequence[RecordRow]) -> tuple[Any, ...]:
        return ([r.request.as_tuple() for r in rows],)
