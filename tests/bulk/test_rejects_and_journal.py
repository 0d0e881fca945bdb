"""The bulk runner's shared pieces without a chain: the rejects file (original columns plus
line and reason, re-importable) and the rule that a key the journal holds as confirmed is done
without asking the chain again."""

from __future__ import annotations

import csv
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from civic_ledger.bulk.rejects import default_rejects_path, write_rejects
from civic_ledger.bulk.runner import BulkRunner, ChainCheck, RowError, confirmed_keys
from civic_ledger.chain.client import ChainRef
from civic_ledger.chain.journal import Journal
from civic_ledger.chain.signer import KeySigner


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="") as handle:
        return list(csv.reader(handle))


def test_rejects_keep_the_original_columns_with_line_and_reason(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "\ufeffcode,owner,area\n"
        "A-1,0xaa,10\n"
        "\n"
        'A-2,"0xbb, quoted",x\n'  # line 4
        "A-3\n"  # line 5: too few fields
        "A-4,0xcc,7,extra\n"  # line 6: too many
    )
    out = default_rejects_path(source)
    assert out == tmp_path / "in.rejects.csv"
    errors = [RowError(6, "too many fields"), RowError(4, "area must be a number"),
              RowError(5, "missing field(s)"), RowError(4, "second reason, not kept")]  # fmt: skip
    assert write_rejects(source, errors, out) == 3
    assert _rows(out) == [
        ["line", "reason", "code", "owner", "area"],
        ["4", "area must be a number", "A-2", "0xbb, quoted", "x"],
        ["5", "missing field(s)", "A-3", "", ""],
        ["6", "too many fields", "A-4", "0xcc", "7", "extra"],
    ]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # it holds what the input held

    # a rejects file rejected again: its old line/reason columns are replaced, not repeated
    again = tmp_path / "again.csv"
    write_rejects(out, [RowError(2, "still bad")], again)
    assert _rows(again) == [
        ["line", "reason", "code", "owner", "area"],
        ["2", "still bad", "A-2", "0xbb, quoted", "x"],
    ]


@dataclass
class CountingJob:
    """A job whose chain check only records what it was asked about."""

    asked: list[str] = field(default_factory=list)
    name: str = "test-job"
    max_batch: int = 10
    address: str = "0x" + "12" * 20

    def key(self, item: str) -> str:
        return item

    def line(self, item: str) -> int:
        return 2

    def check(self, items: Sequence[str]) -> ChainCheck:
        self.asked.extend(items)
        return ChainCheck(on_chain=list(items))

    def calldata(self, items: Sequence[str]) -> bytes:
        raise AssertionError("nothing is sent")

    def preflight(self, items: Sequence[str], sender: Any) -> None:
        raise AssertionError("nothing is sent")

    def failure_reason(self, items: Sequence[str], sender: Any) -> str:
        raise AssertionError("nothing is sent")


class OfflineClient:
    def chain_ref(self) -> ChainRef:
        return ChainRef(1337, "0x" + "00" * 32)


def test_keys_the_journal_holds_as_confirmed_are_not_checked_again(tmp_path: Path) -> None:
    path, job = tmp_path / "j.jsonl", CountingJob()
    signer = KeySigner.from_key("0x" + "01" * 32)
    first = BulkRunner(job, signer, path, batch_size=5, client=OfflineClient())  # type: ignore[arg-type]
    first.journal.record_sent(0, ["a", "b"], "0x" + "ab" * 32, 0)
    first.journal.record_confirmed(0)
    first.journal.close()
    assert confirmed_keys(path, job) == {"a", "b"}
    assert confirmed_keys(path, CountingJob(name="other-job")) == set()

    runner = BulkRunner(job, signer, path, batch_size=5, client=OfflineClient())  # type: ignore[arg-type]
    result = runner.run(["a", "b", "c"])
    assert job.asked == ["c"]  # a and b: done by the journal's word
    assert result.already_on_chain == 3 and result.imported == 0
    assert Journal(path).state.open_run is False
