"""What every bulk import command must do with a bad row, a re-run and a kill, checked once for
all of them (`records import`, `tax import`): each test module passes its command (`invoke`),
its CSV and a count of what the chain holds."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

Invoke = Callable[..., Any]  # invoke(*args) -> a result with .exit_code and .text


def import_file(path: Path, header: str, rows: list[str], bad_row: str | None = None) -> Path:
    """Write the CSV `path`: `header`, `rows`, and `bad_row` (when given) as line 4, where
    `bad_row_refuses_the_file` expects it."""
    lines = [header.strip(), *rows]
    if bad_row is not None:
        lines.insert(3, bad_row)
    path.write_text("\n".join(lines) + "\n")
    return path


def bad_row_refuses_the_file(
    invoke: Invoke, path: Path, tmp_path: Path, *, to_send: int, column: str,
    count: Callable[[], int],
) -> list[dict[str, str]]:  # fmt: skip
    """`--check` reports the bad row (line 4) and what would be sent; the import refuses the
    whole file and sends nothing; returns the rows of the rejects file written next to it."""
    journal = ["--journal", str(tmp_path / "j.jsonl")]
    checked = invoke(str(path), "--check", *journal)
    assert checked.exit_code == 1 and f"to send: {to_send}" in checked.text, checked.text
    refused = invoke(str(path), *journal)
    assert refused.exit_code == 1 and "nothing sent" in refused.text, refused.text
    assert "line 4" in refused.text and column in refused.text, refused.text
    assert count() == 0
    with path.with_suffix(".rejects.csv").open() as handle:
        return list(csv.DictReader(handle))


def reruns_send_nothing(
    invoke: Invoke, args: list[str], path: Path, tmp_path: Path, *, noun: str, total: int,
    count: Callable[[], int],
) -> None:  # fmt: skip
    """The whole (fixed) file imported again sends nothing: with the same journal (`args`) from
    its keys, with another one from what the chain holds."""
    rerun = invoke(*args)
    assert rerun.exit_code == 0 and f"imported 0 {noun}" in rerun.text, rerun.text
    assert f"already on chain {total}" in rerun.text
    other = invoke(str(path), "--journal", str(tmp_path / "j3.jsonl"))
    assert other.exit_code == 0, other.text
    assert f"imported 0 {noun} in 0 transactions" in other.text
    assert count() == total


def killed_import_resumes(
    invoke: Invoke, args: list[str], journal: Path, kill_imports: Any, *, kill_after: int,
    noun: str, total: int, count: Callable[[], int],
) -> list[int]:  # fmt: skip
    """The import killed after broadcasting batch `kill_after` resumes from `journal` and
    completes, and a third run sends nothing; returns the batches the journal saw sent."""
    kill_imports(kill_after)
    killed = invoke(*args)
    assert killed.exit_code == 1 and "killed" in killed.text, killed.text
    kill_imports(None)
    assert count() < total

    resumed = invoke(*args)
    assert resumed.exit_code == 0, resumed.text
    assert "resumed an interrupted import" in resumed.text
    assert count() == total
    done = invoke(*args)
    assert done.exit_code == 0 and f"imported 0 {noun} in 0 transactions" in done.text
    assert count() == total
    entries = [json.loads(line) for line in journal.read_text().splitlines()]
    return sorted(e["batch"] for e in entries if e["type"] == "sent")
