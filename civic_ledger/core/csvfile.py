"""Reading the CSV files agencies hand to the bulk commands."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def read_csv_text(path: Path, error: type[Exception]) -> str:
    """`path` as text (UTF-8, optional BOM). An unreadable file or a non-UTF-8 byte raises
    `error` with a one-line message naming the file (and the line of the bad byte)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error(f"{path}: cannot read the file ({exc.strerror})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise error(
            f"{path}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the CSV as UTF-8"
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
