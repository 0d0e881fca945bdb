"""Reading the CSV files agencies hand to the bulk commands."""

from __future__ import annotations

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
