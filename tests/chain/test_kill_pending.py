"""Kill -9 a bulk job while its transactions are pending, then resume (issue #13).

On a private anvil whose mining is switched off, the parcel import (the product's bulk runner)
and the benchmark's import are SIGKILLed once the journal shows transactions sent but unmined.
Then:

* resumed while the transactions are still pending, the job neither re-signs nor sends
  anything: it waits, and stops with StillPending (the old benchmark marked such a batch
  failed after 120 s and sent it again — a double send);
* after the node dropped them from its pool, the resume broadcasts the journaled signed bytes
  (the same transactions, the same nonces);
* with mining back on, the resume completes.

Nonce accounting proves nothing was sent twice: every nonce the signer used belongs to a
transaction the journal recorded, every item is on chain exactly once.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from civic_dev.bench.runner import city_on_anvil
from civic_ledger.bulk.sample import register_sample_owners, sample_owners, write_sample_csv
from civic_ledger.chain.client import HttpClient
from civic_ledger.identity.records import records_of

pytestmark = pytest.mark.slow
DRIVER = Path(__file__).with_name("kill_driver.py")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def node() -> Any:
    with city_on_anvil() as deployed:
        yield deployed


def journal_lines(path: Path) -> list[dict[str, Any]]:
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    out = []
    for file in files:
        for line in file.read_text().splitlines():
            with contextlib.suppress(json.JSONDecodeError):  # a line torn by the kill
                out.append(json.loads(line))
    return out


def sent_hashes(path: Path) -> set[str]:
    return {r["tx"] for r in journal_lines(path) if r.get("type") == "sent"}


def start(config: dict[str, Any], tmp: Path, name: str) -> subprocess.Popen[str]:
    config_file = tmp / f"{name}.json"
    config_file.write_text(json.dumps(config))
    env = dict(os.environ, CIVIC_SETTLE_TIMEOUT="8")
    return subprocess.Popen(
        [sys.executable, str(DRIVER), str(config_file)], cwd=ROOT, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def kill_when(process: subprocess.Popen[str], condition: Any, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"finished before the kill:\n{process.stdout.read()}"
        assert time.monotonic() < deadline, "the job never sent a transaction"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def finish(process: subprocess.Popen[str], timeout: float = 600) -> tuple[int, str]:
    out, _ = process.communicate(timeout=timeout)
    return process.returncode, out


def nonce(rpc: HttpClient, address: str, tag: str = "latest") -> int:
    return rpc.nonce(address, tag)


def test_parcel_import_killed_with_pending_transactions(node, tmp_path):
    anvil, rpc, city, _ = node
    from ape import accounts

    registrar = accounts.test_accounts[7]
    owners = sample_owners(6, namespace="kill")
    register_sample_owners(city.identities, owners, accounts.test_accounts[1])
    csv_path = tmp_path / "parcels.csv"
    write_sample_csv(csv_path, 60, owners, prefix="KILL")
    journal = tmp_path / "parcels.jsonl"
    config = {
        "url": anvil.url, "job": "parcels", "csv": str(csv_path), "journal": str(journal),
        "batch": 10, "window": 3, "signer": 7,
        "contracts": {"TitleRegistry": city.titles.address,
                      "IdentityRegistry": city.identities.address},
    }  # fmt: skip
    start_nonce = nonce(rpc, registrar.address)

    # Mining off: the import's first batches stay in the pool; kill it there.
    rpc.call("evm_setAutomine", False)
    rpc.call("evm_setIntervalMining", 0)
    first = start(config, tmp_path, "parcels-1")
    kill_when(first, lambda: len(sent_hashes(journal)) >= 3 if journal.exists() else False)
    pending = sent_hashes(journal)
    assert nonce(rpc, registrar.address, "latest") == start_nonce  # nothing mined yet

    # 1. Resumed while still pending: it waits, gives up with StillPending, sends nothing new.
    code, out = finish(start(config, tmp_path, "parcels-2"))
    assert code == 3 and "still pending" in out, out
    assert sent_hashes(journal) == pending
    assert nonce(rpc, registrar.address, "pending") == start_nonce + len(pending)

    # 2. The node loses its pool; the resume broadcasts the journaled bytes, then completes.
    rpc.call("anvil_dropAllTransactions")
    rpc.call("evm_setIntervalMining", 1)
    code, out = finish(start(config, tmp_path, "parcels-3"))
    assert code == 0, out
    result = json.loads(out.strip().splitlines()[-1])
    assert result["ok"] and result["recovered"] == 10 * len(pending)

    # Every parcel once; every nonce used belongs to a journaled transaction.
    hashes = sent_hashes(journal)
    assert pending <= hashes
    assert nonce(rpc, registrar.address) - start_nonce == len(hashes) == 6
    receipts = rpc.receipts(sorted(hashes))
    assert all(r is not None and r.ok for r in receipts)
    from civic_ledger.bulk.parcels import read_parcels_csv

    rows, _ = read_parcels_csv(csv_path)
    on_chain = city.titles.dataHashesOf([r.parcel_id for r in rows])
    assert all(bytes(h) == r.data_hash for h, r in zip(on_chain, rows, strict=True))
    rpc.call("evm_setAutomine", True)


def test_benchmark_import_killed_with_pending_transactions(node, tmp_path):
    anvil, rpc, city, schema_id = node
    from ape import accounts

    office = accounts.test_accounts[1]
    journal_dir = tmp_path / "journals"
    config = {
        "url": anvil.url, "job": "bench", "count": 60, "run_id": "kill", "window": 4,
        "journal_dir": str(journal_dir), "schema_id": schema_id,
        "contracts": {name: city.contracts[name].address
                      for name in ("IdentityRegistry", "TitleRegistry", "RecordRegistry")},
    }  # fmt: skip
    start_nonce = nonce(rpc, office.address)
    rpc.call("evm_setAutomine", False)
    rpc.call("evm_setIntervalMining", 0)
    first = start(config, tmp_path, "bench-1")
    kill_when(first, lambda: bool(sent_hashes(journal_dir)) if journal_dir.exists() else False)
    pending = sent_hashes(journal_dir)

    # Still pending: no batch is marked failed and sent again (the old benchmark's bug).
    code, out = finish(start(config, tmp_path, "bench-2"))
    assert code == 3 and "still pending" in out, out
    assert sent_hashes(journal_dir) == pending

    rpc.call("evm_setIntervalMining", 1)
    code, out = finish(start(config, tmp_path, "bench-3"))
    assert code == 0, out
    rpc.call("evm_setAutomine", True)

    # Exactly once: each sent transaction mined once, each record issued once per subject.
    lines = journal_lines(journal_dir)
    sends = Counter(r["tx"] for r in lines if r.get("type") == "sent")
    assert set(sends.values()) == {1}
    identities_sent = {
        r["tx"] for r in lines if r.get("type") == "sent" and r.get("sender") == office.address
    }
    assert nonce(rpc, office.address) - start_nonce == len(identities_sent)
    from civic_dev.bench import city as bench_city

    people = 60 // 5
    per_subject = [len(records_of(city.records, bench_city.subject("kill", i)))
                   for i in range(people)]  # fmt: skip
    assert per_subject == [5] * people
