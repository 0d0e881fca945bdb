"""Reading and writing the CSV files agencies hand to (and get from) the commands: the one
place a CSV file's bytes become text and back.

Every CSV is read and written in one encoding, UTF-8 unless the command's `--encoding` says
otherwise (`gb18030` for files saved by Chinese-locale spreadsheets); a byte-order mark at the
start is accepted and dropped. An undecodable file is an error naming the file, the line of the
first bad byte and the encoding to try; a file given as another encoding that is in fact UTF-8
text is refused too (decoding it would silently turn its names into other characters, and
their hashes into other commitments).
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DEFAULT_ENCODING = "utf-8"
OTHER_ENCODING = "gb18030"  # what a non-UTF-8 file from the city's spreadsheets usually is
BOM = "\ufeff"


def check_encoding(name: str) -> str:
    """The canonical name of text encoding `name` ("UTF8" -> "utf-8"); ValueError if Python
    knows no such text encoding."""
    try:
        info = codecs.lookup(name.strip())
    except (LookupError, ValueError):
        raise ValueError(
            f"unknown encoding {name!r} (e.g. {DEFAULT_ENCODING} or {OTHER_ENCODING})"
        ) from None
    if not getattr(info, "_is_text_encoding", True):
        raise ValueError(f"{name!r} is not a text encoding")
    return info.name


def _is_utf8(encoding: str) -> bool:
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def read_csv_text(path: Path, error: type[Exception], *, encoding: str = DEFAULT_ENCODING) -> str:
    """`path` as text in `encoding` (a leading byte-order mark dropped). An unreadable file or
    an undecodable byte raises `error` with a one-line message naming the file, the line of the
    bad byte and the encoding to try."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error(f"{path}: cannot read the file ({exc.strerror})") from None
    utf8 = _is_utf8(encoding)
    if not utf8 and not raw.isascii() and _decodes_as_utf8(raw):
        raise error(
            f"{path}: the file is UTF-8 text, not {encoding}; leave out --encoding "
            f"(or give --encoding {DEFAULT_ENCODING})"
        )
    try:
        text = raw.decode("utf-8-sig" if utf8 else encoding)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        hint = f"--encoding {OTHER_ENCODING}" if utf8 else f"--encoding {DEFAULT_ENCODING}"
        raise error(
            f"{path}:{line}: not {encoding} text (byte 0x{raw[exc.start]:02x}); "
            f"try {hint}, or save the CSV as UTF-8"
        ) from None
    return text.removeprefix(BOM)


def _decodes_as_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return True


@contextmanager
def csv_writer(
    path: Path,
    error: type[Exception],
    *,
    encoding: str = DEFAULT_ENCODING,
    append: bool = False,
    private: bool = False,
) -> Iterator[Any]:
    """A `csv.writer` on `path` in `encoding` (replaced, or appended to with `append`; created
    with owner-only permissions when `private`). A value the encoding cannot hold raises
    `error` naming the file."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
    try:
        fd = os.open(path, flags, 0o600 if private else 0o666)
    except OSError as exc:
        raise error(f"{path}: cannot write the file ({exc.strerror})") from None
    with os.fdopen(fd, "a" if append else "w", newline="", encoding=encoding) as handle:
        try:
            yield csv.writer(handle)
        except UnicodeEncodeError as exc:
            raise error(
                f"{path}: {exc.object[exc.start : exc.end]!r} cannot be written as {encoding}; "
                f"use --encoding {DEFAULT_ENCODING}"
            ) from None


def check_header(
    path: Path,
    fieldnames: Sequence[str] | None,
    required: Sequence[str],
    error: type[Exception],
    *,
    expected: str = "",
    missing_words: str = "header lacks column(s)",
) -> list[str]:
    """The header of a CSV file (names stripped) once it holds every `required` column, none
    twice; else `error` naming the file and line. The messages show the `expected` header
    (default: the required columns, comma-separated)."""
    expected = expected or ",".join(required)
    header = [(h or "").strip() for h in fieldnames or []]
    if not header:
        raise error(f"{path}: empty file; expected a header: {expected}")
    missing = [c for c in required if c not in header]
    if missing:
        hint = ""
        if len(header) == 1 and any(d in header[0] for d in ";\t|"):
            hint = " (columns must be separated by commas)"
        raise error(f"{path}:1: {missing_words} {', '.join(missing)}{hint}; expected: {expected}")
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    if repeated:
        raise error(f"{path}:1: header repeats column(s) {', '.join(repeated)}")
    return header


def csv_lines(rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """Each row as one line of CSV text (the dialect `csv_writer` writes), for a CSV that is
    streamed rather than written to a file (the gateway's exports)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


class CsvRecords:
    """The records of a CSV file under its header: `header` (checked by `check_header`, which
    `header_options` go to), then, iterated, `(line, record)` for every record that is not blank
    (all its fields, extra ones included, empty) — `line` the record's last physical line,
    `record[None]` its fields beyond the header. A file that is not text in `encoding`, lacks
    the header or breaks CSV quoting raises `error` naming the file and line."""

    def __init__(
        self, path: Path, required: Sequence[str], error: type[Exception], *,
        encoding: str = DEFAULT_ENCODING, **header_options: Any,
    ) -> None:  # fmt: skip
        self.path, self.error = path, error
        text = read_csv_text(path, error, encoding=encoding)
        self._reader = csv.DictReader(io.StringIO(text, newline=""))
        with self._readable():
            self.header = check_header(path, self._reader.fieldnames, required, error,
                                       **header_options)  # fmt: skip
        self._reader.fieldnames = self.header

    def __iter__(self) -> Iterator[tuple[int, dict[Any, Any]]]:
        with self._readable():
            for record in self._reader:
                values = [*record.values(), *(record.get(None) or [])]  # type: ignore[call-overload]
                if any(isinstance(v, str) and v.strip() for v in values):
                    yield self._reader.line_num, record

    @contextmanager
    def _readable(self) -> Iterator[None]:
        try:
            yield
        except csv.Error as exc:
            line = self._reader.line_num
            raise self.error(f"{self.path}:{line}: not a readable CSV ({exc})") from None
