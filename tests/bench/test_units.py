"""Fast checks of the benchmark's pure parts: batch sizing, journal, calldata, report verdicts."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from eth_abi import decode
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from civic_dev.bench import city
from civic_dev.bench.gas import GasRow
from civic_dev.bench.report import markdown
from civic_dev.bench.runner import BenchOptions, BenchResult
from civic_dev.bench.throughput import GAS_MARGIN, ThroughputRow, choose_batch_size
from civic_ledger.chain.journal import Journal


def _items_per_block(size: int, overhead: float, per_item: float, limit: int) -> int:
    tx = math.ceil((overhead + size * per_item) * (1 + GAS_MARGIN))
    return 0 if tx > limit else (limit // tx) * size


@settings(max_examples=25, deadline=None)
@given(
    overhead=st.integers(min_value=21_000, max_value=200_000),
    per_item=st.integers(min_value=20_000, max_value=600_000),
    max_batch=st.integers(min_value=1, max_value=100),
)
def test_batch_size_packs_blocks_best(overhead: int, per_item: int, max_batch: int) -> None:
    limit = 30_000_000
    size = choose_batch_size(overhead, per_item, limit, max_batch)
    assert 1 <= size <= max_batch
    best = max(_items_per_block(b, overhead, per_item, limit) for b in range(1, max_batch + 1))
    if best:  # some batch fits: ours fits and is (one of) the best
        assert _items_per_block(size, overhead, per_item, limit) == best


def test_batch_size_prefers_two_full_transactions_over_one_oversized() -> None:
    # 100 parcels of 220k would be 22M: one per block. 67 fit twice (~29.6M).
    assert choose_batch_size(60_000, 220_000, 30_000_000, 100) == 67


def test_journal_keeps_the_first_plan_and_its_batches(tmp_path: Path) -> None:
    """The bench journals through the chain layer's journal: the first plan wins on resume."""
    path = tmp_path / "j.jsonl"
    journal = Journal.open(path, {"job": "bench-records"})
    assert journal.record_plan({"batch_size": 10}) == {"batch_size": 10}
    journal.record_sent(0, ["0"], "0xaa", 5)
    journal.record_confirmed(0, tx="0xaa", block=7, gas_used=123)
    journal.record_sent(1, ["1"], "0xbb", 6)
    journal.close()
    with path.open("a") as fh:
        fh.write('{"type": "sent", "batch": 2, "ke')  # a crash mid-line

    reopened = Journal.open(path, {"job": "bench-records"})
    assert reopened.record_plan({"batch_size": 99}) == {"batch_size": 10}
    assert reopened.confirmed == {"0"}
    assert [(b.batch, b.tx, b.nonce) for b in reopened.unresolved] == [(1, "0xbb", 6)]


def test_batch_calldata_round_trips() -> None:
    entries = [(city.subject("u", i), city.controller("u", i), city.PERSON) for i in range(3)]
    data = city.identity_batch(entries)
    assert data[:4] == keccak(text="registerBatch((bytes32,address,uint8)[])")[:4]
    (decoded,) = decode(["(bytes32,address,uint8)[]"], data[4:])
    assert [(s, a.lower(), k) for s, a, k in decoded] == [(s, a.lower(), k) for s, a, k in entries]
    parcels = [city.parcel_data("u", i) for i in range(2)]
    owners, back = decode(
        ["bytes32[]", "(uint256,bytes32,uint128,uint32)[]"],
        city.parcel_batch([entries[0][0]] * 2, parcels)[4:],
    )
    assert list(back) == parcels and list(owners) == [entries[0][0]] * 2


def test_signatures_match_the_compiled_contracts(project: Any) -> None:
    contracts = {name: getattr(project, name) for name in city.USED}
    city.check_signatures(contracts)  # the real ABI has every function the benchmark calls
    moved = dict(city.USED)
    moved["RecordRegistry"] = ("issue(bytes32)",)
    original = city.USED
    try:
        city.USED = moved  # type: ignore[misc]
        with pytest.raises(city.SignatureMissing, match=r"RecordRegistry\.issue\(bytes32\)"):
            city.check_signatures(contracts)
    finally:
        city.USED = original  # type: ignore[misc]


def _result() -> BenchResult:
    rows = [
        GasRow("cheap", "A.f", 60.0, "B.g", 100.0, True, "n1"),
        GasRow("dear", "A.h", 90.0, "B.k", 100.0, True, "n2"),
        GasRow("workflow", "A.s", 900.0, "B.t", 100.0, False, "n3"),
        GasRow("no anchor", "A.u", 50.0, "B.v", None, True, "n4"),
    ]
    tp = [
        ThroughputRow("identities", 10, 0, 1, 10, 50_000.0, 1.0, 1, 30_000_000, 1, is_target=False),
        ThroughputRow(
            "parcels", 1000, 0, 10, 100, 300_000.0, 11.0, 11, 30_000_000, 1, block_interval=1.0
        ),
    ]
    return BenchResult(
        options=BenchOptions(throughput=1000), started=datetime(2026, 1, 1, tzinfo=UTC),
        gas_rows=rows, throughput_rows=tp,
    )  # fmt: skip


def test_verdicts_follow_the_targets() -> None:
    rows = _result().gas_rows
    assert [r.verdict for r in rows] == ["met", "missed", "not comparable", "n/a"]
    parcels = _result().throughput_rows[1]
    assert parcels.limit == pytest.approx(100.0)
    assert parcels.ratio == pytest.approx(1000 / 11 / 100)


def test_markdown_has_command_tables_and_ratios() -> None:
    text = markdown(_result(), "ape run bench --throughput 1000")
    assert "ape run bench --throughput 1000" in text
    assert "| 1 | cheap | `A.f` | 60 |" in text and "0.60x" in text and "✅ met" in text
    assert "| 2 | dear |" in text and "❌ missed" in text
    assert "not comparable" in text and "9.00x" in text
    assert (
        "| parcels | 1,000 | 10 x ≤100 | 300,000 | 11.0 | 11 | 1.00 | 90.9 | 100.0 | 91% | ✅ met |"
        in text
    )
    assert "set-up, no target" in text
