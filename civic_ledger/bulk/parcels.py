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

The import journals every batch (see `civic_ledger.chain.journal`) before broadcasting it, so after
an interruption a re-run first settles the batches whose outcome it does not know (by receipt),
then sends only what is still missing on chain.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_utils import keccak

from civic_ledger.chain.journal import Journal
from civic_ledger.csvfile import read_csv_text
from civic_ledger.errors import explain

COLUMNS = ("cadastral_code", "owner", "data_hash", "area_m2", "land_use")
MAX_BATCH = 100  # TitleRegistry.MAX_BATCH
DEFAULT_BATCH = 50
DEFAULT_WINDOW = 8  # batches in flight before waiting for receipts
MAX_CODE_LENGTH = 64
CHECK_CHUNK = 500  # ids per `dataHashesOf` call
PENDING_TIMEOUT = 180  # s to wait for a still-pending transaction of an interrupted run
JOB = "titles-import"

_HEX32 = re.compile(r"0x[0-9a-fA-F]{64}")
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
_DIGITS = re.compile(r"[0-9]+")
ZERO32 = b"\x00" * 32
SHOWN_VALUE = 40  # characters of a bad value quoted in an error


def parcel_id_of(code: str) -> int:
    """The parcel id of a cadastral code: uint256(keccak256(utf8(code)))."""
    return int.from_bytes(keccak(text=code), "big")


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


@dataclass(frozen=True)
class RowError:
    """A row that cannot be imported, with its line number in the CSV file."""

    line: int
    reason: str
    code: str | None = None

    def __str__(self) -> str:
        where = f"line {self.line}" + (f" ({self.code})" if self.code else "")
        return f"{where}: {self.reason}"


class CsvFormatError(ValueError):
    """The file as a whole cannot be read (missing header columns, not a CSV)."""


# ------------------------------------------------------------------ parsing


def _shown(value: str) -> str:
    """A bad value for an error message: quoted, and cut if long."""
    if len(value) > SHOWN_VALUE:
        return repr(value[: SHOWN_VALUE - 10]) + f"… ({len(value)} characters)"
    return repr(value)


def _hex32(value: str, what: str) -> bytes:
    if not _HEX32.fullmatch(value):
        raise ValueError(f"{what} must be 0x followed by 64 hex digits, got {_shown(value)}")
    raw = bytes.fromhex(value[2:])
    if raw == ZERO32:
        raise ValueError(f"{what} must not be zero")
    return raw


def _int(value: str, what: str, low: int, high: int) -> int:
    # ASCII digits only: int() would also take "1_000", " 7", "١٢" or "+5".
    if not _DIGITS.fullmatch(value) or len(value) > 80:
        raise ValueError(f"{what} must be a whole number, got {_shown(value)}")
    number = int(value)
    if not low <= number <= high:
        raise ValueError(f"{what} must be between {low} and {high}, got {_shown(value)}")
    return number


def check_code(value: str) -> str:
    """A cadastral code: 1-64 ASCII letters, digits or ._/- (starting with a letter or digit).
    Raises ValueError naming the problem; returns the code without surrounding blanks."""
    code = value.strip()
    if not code:
        raise ValueError("empty cadastral_code")
    if len(code) > MAX_CODE_LENGTH or not _CODE.fullmatch(code):
        raise ValueError(
            f"cadastral_code {_shown(code)} must be 1-{MAX_CODE_LENGTH} letters, digits or ._/-"
        )
    return code


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


def _decode(path: Path) -> str:
    """The file as text (UTF-8, optional BOM); a non-UTF-8 byte is a CsvFormatError naming
    its line."""
    return read_csv_text(path, CsvFormatError)


def _check_header(path: Path, fieldnames: Sequence[str] | None) -> list[str]:
    header = [(h or "").strip() for h in fieldnames or []]
    if not header:
        raise CsvFormatError(f"{path}: empty file; expected a header: {','.join(COLUMNS)}")
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        hint = ""
        if len(header) == 1 and any(d in header[0] for d in ";\t|"):
            hint = " (columns must be separated by commas)"
        raise CsvFormatError(
            f"{path}:1: header lacks column(s) {', '.join(missing)}{hint}; "
            f"expected: {','.join(COLUMNS)}"
        )
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    if repeated:
        raise CsvFormatError(f"{path}:1: header repeats column(s) {', '.join(repeated)}")
    return header


def read_parcels_csv(path: Path) -> tuple[list[ParcelRow], list[RowError]]:
    """Parse and validate `path`. Returns the valid rows and the bad ones (with line numbers);
    a second row with an already-seen cadastral code is bad. A file that cannot be read as a
    CSV at all (not UTF-8, no or wrong header, broken quoting) raises CsvFormatError naming the
    file and line."""
    rows: list[ParcelRow] = []
    errors: list[RowError] = []
    first_seen: dict[str, int] = {}
    reader = csv.DictReader(io.StringIO(_decode(path), newline=""))
    try:
        reader.fieldnames = _check_header(path, reader.fieldnames)
        for record in reader:
            line_start = reader.line_num  # last physical line of the record (1-based)
            if not any((v or "").strip() for v in record.values() if isinstance(v, str)):
                continue  # blank line
            code = (record.get("cadastral_code") or "").strip()[:MAX_CODE_LENGTH] or None
            if record.get(None):  # type: ignore[call-overload]
                errors.append(
                    RowError(line_start, f"too many fields ({len(COLUMNS)} expected)", code)
                )
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
    except csv.Error as exc:
        raise CsvFormatError(f"{path}:{reader.line_num}: not a readable CSV ({exc})") from None
    return rows, errors


# ------------------------------------------------------------------ chain state


@dataclass
class ChainCheck:
    """Rows split by what the chain already holds."""

    todo: list[ParcelRow] = field(default_factory=list)
    on_chain: list[ParcelRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


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
    if not 1 <= batch_size <= MAX_BATCH:
        raise ValueError(f"batch size must be between 1 and {MAX_BATCH}")
    return [list(rows[i : i + batch_size]) for i in range(0, len(rows), batch_size)]


# ------------------------------------------------------------------ import


@dataclass
class ImportResult:
    """What one run did."""

    rows: int = 0
    imported: int = 0  # parcels sent fresh by this run (and mined)
    already_on_chain: int = 0
    recovered: int = 0  # parcels of batches from an interrupted run found applied
    resumed: bool = False  # the journal's last run stopped before it finished
    confirmed_before: int = 0  # parcels the journal already held as confirmed
    unsettled_batches: int = 0  # batches of the interrupted run whose outcome was unknown
    dropped: int = 0  # parcels of such batches found never mined (or reverted): re-checked
    bad_rows: list[RowError] = field(default_factory=list)
    failed_batches: list[tuple[int, str]] = field(default_factory=list)
    transactions: int = 0
    gas_used: int = 0
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.imported / self.seconds if self.seconds else 0.0

    @property
    def ok(self) -> bool:
        return not self.bad_rows and not self.failed_batches


@dataclass
class _InFlight:
    number: int
    rows: list[ParcelRow]
    tx: str


ProgressFn = Callable[[int], None]


class ParcelImporter:
    """Runs one import of `rows` into `titles`, signing with `sender`, journaled at `journal_path`.

    `on_sent(batch_number)` / `on_confirmed(batch_number)` are test hooks (e.g. to simulate a
    crash between broadcast and receipt).
    """

    def __init__(
        self,
        titles: Any,
        identities: Any,
        sender: Any,
        journal_path: Path,
        *,
        batch_size: int = DEFAULT_BATCH,
        window: int = DEFAULT_WINDOW,
        fresh: bool = False,
        source: str = "",
        on_sent: Callable[[int], None] | None = None,
        on_confirmed: Callable[[int], None] | None = None,
    ) -> None:
        self.titles = titles
        self.identities = identities
        self.sender = sender
        self.batch_size = batch_size
        self.window = max(1, window)
        self.on_sent = on_sent
        self.on_confirmed = on_confirmed
        from ape import networks

        self.provider = networks.provider
        self.web3 = self.provider.web3
        header = {
            "job": JOB,
            "chain_id": self.provider.chain_id,
            "genesis": self.web3.eth.get_block(0)["hash"].hex(),
            "contract": str(titles.address),
            "source": source,
        }
        self.journal = Journal.open(journal_path, header, fresh=fresh)

    # -------------------------------------------------------------- main entry

    def run(
        self,
        rows: Sequence[ParcelRow],
        *,
        bad_rows: Iterable[RowError] = (),
        progress: ProgressFn | None = None,
        planned: Callable[[int], None] | None = None,
    ) -> ImportResult:
        """Settle unresolved batches, check the chain, send what is missing.
        `planned(n)` is told how many parcels will be sent; `progress(k)` after each batch."""
        started = time.perf_counter()
        result = ImportResult(rows=len(rows), bad_rows=list(bad_rows))
        try:
            self._settle_unresolved(result)
            check = check_against_chain(rows, self.titles, self.identities)
            result.already_on_chain = len(check.on_chain)
            result.bad_rows.extend(check.errors)
            result.bad_rows.sort(key=lambda e: e.line)
            if planned:
                planned(len(check.todo))
            self._send_all(plan_batches(check.todo, self.batch_size), result, progress)
            self.journal.record_event(
                "finished",
                imported=result.imported,
                transactions=result.transactions,
                already_on_chain=result.already_on_chain,
                failed_batches=len(result.failed_batches),
                bad_rows=len(result.bad_rows),
            )
        finally:
            result.seconds = time.perf_counter() - started
            self.journal.close()
        return result

    # -------------------------------------------------------------- steps

    def _settle_unresolved(self, result: ImportResult) -> None:
        """Resolve batches journaled as sent by an interrupted run, from their receipts, and
        journal what this run resumes (a `resume` record)."""
        result.resumed = self.journal.state.open_run
        result.confirmed_before = len(self.journal.confirmed)
        unresolved = self.journal.unresolved
        result.unsettled_batches = len(unresolved)
        recovered: list[int] = []
        dropped: list[int] = []
        for batch in unresolved:
            receipt = self._receipt(batch.tx) if batch.tx else None
            if receipt is None:
                self.journal.record_failed(
                    batch.batch, batch.tx, "not mined (dropped or never sent)"
                )
                dropped.append(batch.batch)
                result.dropped += len(batch.keys)
            elif receipt["status"] == 1:
                self.journal.record_confirmed(
                    batch.batch,
                    tx=batch.tx,
                    block=receipt["blockNumber"],
                    gas_used=receipt["gasUsed"],
                    note="recovered after interruption",
                )
                recovered.append(batch.batch)
                result.recovered += len(batch.keys)
            else:
                self.journal.record_failed(batch.batch, batch.tx, "reverted")
                dropped.append(batch.batch)
                result.dropped += len(batch.keys)
        if result.resumed:
            self.journal.record_event(
                "resume",
                confirmed_before=result.confirmed_before,
                recovered=result.recovered,
                recovered_batches=recovered,
                dropped=result.dropped,
                dropped_batches=dropped,
            )

    def _send_all(
        self, batches: list[list[ParcelRow]], result: ImportResult, progress: ProgressFn | None
    ) -> None:
        nonce = self.sender.nonce
        in_flight: list[_InFlight] = []
        for rows in batches:
            in_flight.append(self._send(rows, nonce))
            nonce += 1
            result.transactions += 1
            if len(in_flight) >= self.window:
                self._confirm(in_flight.pop(0), result, progress)
        while in_flight:
            self._confirm(in_flight.pop(0), result, progress)

    def _send(self, rows: list[ParcelRow], nonce: int) -> _InFlight:
        txn = self.titles.registerBatch.as_transaction(
            [r.owner for r in rows],
            [r.as_parcel_data() for r in rows],
            sender=self.sender,
            nonce=nonce,
        )
        signed = self.sender.sign_transaction(txn)
        if signed is None:
            raise RuntimeError("the account refused to sign the batch transaction")
        tx_hash = "0x" + bytes(signed.txn_hash).hex()
        number = self.journal.new_batch_number()
        self.journal.record_sent(number, [r.code for r in rows], tx_hash, nonce)
        self.web3.eth.send_raw_transaction(bytes(signed.serialize_transaction()))
        if self.on_sent:
            self.on_sent(number)
        return _InFlight(number, rows, tx_hash)

    def _confirm(self, batch: _InFlight, result: ImportResult, progress: ProgressFn | None) -> None:
        receipt = self.web3.eth.wait_for_transaction_receipt(batch.tx, timeout=300)
        if receipt["status"] == 1:
            self.journal.record_confirmed(
                batch.number, tx=batch.tx, block=receipt["blockNumber"], gas_used=receipt["gasUsed"]
            )
            result.imported += len(batch.rows)
            result.gas_used += receipt["gasUsed"]
        else:
            reason = self._revert_reason(batch)
            self.journal.record_failed(batch.number, batch.tx, reason)
            result.failed_batches.append(
                (batch.number, f"lines {batch.rows[0].line}-{batch.rows[-1].line}: {reason}")
            )
        if self.on_confirmed:
            self.on_confirmed(batch.number)
        if progress:
            progress(len(batch.rows))

    def _receipt(self, tx: str) -> Any:
        """The receipt of a journaled transaction. While the node still holds it as pending,
        wait for it; None if the node does not know it (never broadcast, or lost with a node's
        transaction pool): its parcels are then checked on chain and sent again. Connection
        errors propagate: an unreachable node says nothing about the batch."""
        from web3.exceptions import TimeExhausted, TransactionNotFound

        try:
            return self.web3.eth.get_transaction_receipt(tx)
        except TransactionNotFound:
            pass
        try:
            self.web3.eth.get_transaction(tx)
        except TransactionNotFound:
            return None
        try:
            return self.web3.eth.wait_for_transaction_receipt(tx, timeout=PENDING_TIMEOUT)
        except TimeExhausted:
            raise RuntimeError(
                f"transaction {tx} of the interrupted run is still pending after "
                f"{PENDING_TIMEOUT} s; re-run once it is mined or dropped (sending its parcels "
                "again now could register them twice)"
            ) from None

    def _revert_reason(self, batch: _InFlight) -> str:
        """Replay the failed batch as a call to get a readable reason."""
        try:
            self.titles.registerBatch.call(
                [r.owner for r in batch.rows],
                [r.as_parcel_data() for r in batch.rows],
                sender=self.sender,
            )
        except Exception as exc:
            return explain(exc)
        return "reverted (state changed since; re-run to retry)"


def default_journal_path(csv_path: Path, network: str) -> Path:
    """`<repo>/.journal/titles-import-<network>-<csv stem>.jsonl`."""
    from civic_ledger.paths import ROOT

    return ROOT / ".journal" / f"{JOB}-{network}-{csv_path.stem}.jsonl"
