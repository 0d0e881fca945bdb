"""Files generated from the code (`python -m civic_dev.<module> --write | --check`): one rule
for rewriting them and for telling that a checked-in copy is out of date."""

from __future__ import annotations

from pathlib import Path


def write_or_check(path: Path, wanted: str, argv: list[str], module: str, part: str = "") -> int:
    """With `--write` in `argv`: write `wanted` to `path`. Otherwise exit status 1, saying how
    to regenerate it, when `path` differs from `wanted`. `part`: what of the file is generated
    (default: all of it)."""
    if "--write" in argv:
        path.write_text(wanted, encoding="utf-8")
        print(f"wrote the {part} of {path}" if part else f"wrote {path}")
        return 0
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if current != wanted:
        print(f"{path} is out of date: python -m {module} --write")
        return 1
    print(f"{path}: {part + ' ' if part else ''}up to date")
    return 0
