"""The bulk import on a private anvil: it imports everything exactly once, and an interrupted
import (including a transaction journaled but never broadcast) resumes without duplicates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from civic_dev.bench import city
from civic_dev.bench.runner import city_on_anvil
from civic_dev.bench.throughput import PER_PERSON, BulkImport, city_target
from civic_ledger.chain.journal import Journal
from civic_ledger.identity.records import records_of

pytestmark = pytest.mark.slow

COUNT = 130  # parcels and records; 26 owners


@pytest.fixture(scope="module")
def chain() -> Any:
    """Our suite on a private anvil (1 s blocks), with Ape connected to it."""
    with city_on_anvil() as (node, rpc, our, schema_id):
        rpc.call("evm_setIntervalMining", 1)
        yield our, city_target(our, node.url, schema_id, block_time=1), rpc


def _sent_per_batch(journal_dir: Path) -> dict[tuple[str, int], int]:
    counts: dict[tuple[str, int], int] = {}
    for path in journal_dir.glob("*.jsonl"):
        for line in path.read_text().splitlines():
            entry = json.loads(line)
            if entry.get("type") == "sent":
                key = (path.name, entry["batch"])
                counts[key] = counts.get(key, 0) + 1
    return counts


def test_interrupted_import_resumes_without_duplicates(chain: Any, tmp_path: Path) -> None:
    our, target, _ = chain
    run = "resume"
    first = BulkImport(target, COUNT, journal_dir=tmp_path, run_id=run, stop_after=1)
    partial = first.run()
    assert [r.txs for r in partial] == [1, 1, 1]  # one batch of each kind, then "crash"

    # A batch journaled as sent whose transaction never reached the node (crash between
    # journaling and broadcasting): the resume must resend it, not wait for it forever.
    records_journal = next(tmp_path.glob(f"*-records-{run}.jsonl"))
    journal = Journal(records_journal)
    journal.record_sent(1, ["1"], "0x" + "ab" * 32, 10**6)
    journal.close()

    resumed = BulkImport(target, COUNT, journal_dir=tmp_path, run_id=run).run()
    by_kind = {r.kind: r for r in resumed}
    people = COUNT // PER_PERSON
    assert by_kind["identities"].items + by_kind["identities"].resumed == people
    assert by_kind["parcels"].items + by_kind["parcels"].resumed == COUNT
    assert by_kind["records"].items + by_kind["records"].resumed == COUNT
    assert by_kind["parcels"].resumed == partial[1].items > 0

    # On chain: every identity, parcel and record exactly once.
    assert all(our.identities.isActive(city.subject(run, i)) for i in range(people))
    hashes = our.titles.dataHashesOf([city.parcel_id(run, i) for i in range(COUNT)])
    assert all(bytes(h) == city.parcel_data(run, i)[1] for i, h in enumerate(hashes))
    per_subject = [len(records_of(our.records, city.subject(run, i))) for i in range(people)]
    assert per_subject == [PER_PERSON] * people
    # The never-broadcast batch was sent again: exactly twice in the journal, others once.
    sends = _sent_per_batch(tmp_path)
    assert sends.pop((records_journal.name, 1)) == 2
    assert set(sends.values()) == {1}

    again = BulkImport(target, COUNT, journal_dir=tmp_path, run_id=run).run()
    assert [r.items for r in again] == [0, 0, 0]  # nothing left: a rerun sends nothing
    assert len(records_of(our.records, city.subject(run, 0))) == PER_PERSON


def test_throughput_figures_are_consistent(chain: Any, tmp_path: Path) -> None:
    _, target, _ = chain
    rows = BulkImport(target, 100, journal_dir=tmp_path, run_id="figures").run()
    for row in rows:
        assert row.items > 0 and row.txs >= 1 and row.gas_per_item > 0
        assert row.limit == pytest.approx(30_000_000 / row.gas_per_item)
        assert row.items_per_second > 0 and row.ratio > 0
        assert row.txs == -(-row.items // row.batch_size)  # batches cut as planned
