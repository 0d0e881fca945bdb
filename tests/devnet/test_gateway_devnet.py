"""The gateway's indexer on the 4-signer geth Clique devnet (needs geth 1.13.15:
tools/build-geth.sh), through a signer that is stopped and restarted.

The suite is deployed the operator's way (`ape run deploy` on the devnet); identity batches are
then sent (raw, signed by the identity office's key) while the indexer follows signer 4. That
signer is stopped (SIGTERM) mid-workload and started again: the indexer sees the node go away
(RpcError, `node_error` in its status), then whatever the restarted signer shows - it may seal
a block or two out of turn on its stale head before syncing, a short fork the indexer must roll
back. Afterwards the index equals a fresh index of the same blocks read from signer 1
(`tests/gateway/compare.dump`), and every registered identity is in it exactly once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from eth_utils import keccak
from gateway.compare import differences, dump, fresh_index
from sqlalchemy import select

from civic_dev.bench.city import PERSON, identity_batch
from civic_dev.devnet.accounts import DEPLOYER_ALIAS, alias_for
from civic_dev.devnet.bench import MAX_FEE, PRIORITY_FEE
from civic_dev.devnet.local import LocalDevnet
from civic_ledger.chain.client import HttpClient
from civic_ledger.chain.manifest import Manifest
from civic_ledger.chain.signer import KeySigner
from civic_ledger.core.exceptions import RpcError
from civic_ledger.gateway import schema
from civic_ledger.gateway.db import connect
from civic_ledger.gateway.indexer import Indexer, status

from .conftest import PASSPHRASE

pytestmark = [pytest.mark.slow, pytest.mark.devnet]

ROOT = Path(__file__).resolve().parents[2]
BATCHES = 12
PER_BATCH = 3


def deploy(net: LocalDevnet, root: Path) -> Manifest:
    """`ape run deploy` on the devnet, as an operator runs it (without the catalogue's
    schemas and policies: fewer blocks to wait for, and the test makes its own events)."""
    data_folder = root / "ape-data"
    net.write_ape_accounts(data_folder, PASSPHRASE)
    manifest = root / "deployments" / "city-devnet.json"
    env = dict(os.environ, APE_DATA_FOLDER=str(data_folder), CIVIC_PASSPHRASE=PASSPHRASE)
    done = subprocess.run(
        [str(Path(sys.executable).with_name("ape")), "run", "deploy",
         "--network", f"ethereum:city-devnet:{net.nodes[0].url}", "--account", DEPLOYER_ALIAS,
         "--roles", str(net.roles_file), "--manifest", str(manifest), "--no-catalogue"],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return Manifest.load(manifest)


class Workload(threading.Thread):
    """Registers BATCHES x PER_BATCH identities, a batch every half second, through signer 1."""

    def __init__(self, net: LocalDevnet, identity: str) -> None:
        super().__init__(daemon=True)
        self.rpc = net.rpc(0, timeout=10)
        key = net.agencies[alias_for("identity_office")]
        self.signer = KeySigner(key.address, key.hex)
        self.identity = identity
        self.subjects: list[str] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            chain_id = self.rpc.chain_id()
            nonce = int(self.rpc.call("eth_getTransactionCount", self.signer.address,
                                      "pending"), 16)  # fmt: skip
            for batch in range(BATCHES):
                entries = []
                for i in range(PER_BATCH):
                    n = batch * PER_BATCH + i
                    subject = keccak(text=f"gateway-devnet:subject:{n}")
                    wallet = "0x" + keccak(text=f"gateway-devnet:wallet:{n}")[12:].hex()
                    entries.append((subject, wallet, PERSON))
                    self.subjects.append("0x" + subject.hex())
                signed = self.signer.sign({
                    "chainId": chain_id, "nonce": nonce + batch, "to": self.identity,
                    "data": "0x" + identity_batch(entries).hex(), "value": 0, "gas": 1_500_000,
                    "maxFeePerGas": MAX_FEE, "maxPriorityFeePerGas": PRIORITY_FEE,
                })  # fmt: skip
                self.rpc.send_raw(signed.raw)
                time.sleep(0.5)
        except BaseException as exc:  # reported by the test
            self.error = exc


def wait_until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_the_index_through_a_restarted_signer_equals_a_fresh_index(devnet, tmp_path):
    net = devnet
    begin = time.monotonic()
    manifest = deploy(net, tmp_path)
    deployed = time.monotonic() - begin
    follower = net.nodes[3]
    indexer = Indexer.for_manifest(connect(str(tmp_path / "followed.sqlite")),
                                   HttpClient(follower.url, timeout=5), manifest)  # fmt: skip
    workload = Workload(net, manifest.address_of("IdentityRegistry"))
    workload.start()
    failures = 0
    started = time.monotonic()
    stopped = restarted = False
    while workload.is_alive() or not restarted:
        elapsed = time.monotonic() - started
        if not stopped and elapsed > 2:
            assert net.stop(follower)
            stopped = True
        elif stopped and not restarted and elapsed > 6:
            net.start(follower, mine=True)
            restarted = True
        try:
            indexer.step()
        except RpcError:
            failures += 1
            assert status(indexer.engine)["node_error"]
        time.sleep(0.3)
    assert workload.error is None, workload.error
    assert failures > 0, "the indexer never saw its node go away"

    # All batches mined and the followed signer back on the canonical chain.
    first = net.rpc(0)
    sender = net.agencies[alias_for("identity_office")].address
    want = int(first.call("eth_getTransactionCount", sender, "pending"), 16)
    wait_until(lambda: first.nonce(sender) == want, 60, "every batch to be mined")
    target = first.block_number()
    follower_rpc = HttpClient(follower.url, timeout=5)
    wait_until(lambda: follower_rpc.block_number() >= target
               and follower_rpc.block(target)["hash"] == first.block(target)["hash"], 60,
               f"signer 4 to hold block {target} of signer 1's chain")  # fmt: skip
    for _ in range(5):  # a step that finds a fork rolls back first, then indexes max_blocks
        if indexer.cursor()["block"] >= target:
            break
        indexer.step(max_blocks=target - indexer.cursor()["block"])
    assert indexer.cursor()["block"] == target and status(indexer.engine)["node_error"] is None

    fresh = fresh_index(str(tmp_path / "fresh.sqlite"), first, manifest, last=target)
    ours, theirs = dump(indexer.engine), dump(fresh.engine)
    for tables in (ours, theirs):  # the undo log is pruned by each step's head: when, not what
        tables.pop("undo")
        tables["gateway_meta"] = [
            r for r in tables["gateway_meta"] if dict(r)["key"] != "undo_from"
        ]
    assert differences(ours, theirs) == []
    with indexer.engine.connect() as conn:
        indexed = list(conn.execute(select(schema.identities.c.subject)).scalars())
    assert sorted(s for s in indexed if s in set(workload.subjects)) == sorted(workload.subjects)
    state = status(indexer.engine)
    print(f"\ngateway on the devnet: {failures} failed steps while signer 4 was down, "
          f"{state['reorgs']} reorg(s) seen ({state['last_reorg']}), {state['events']} events "
          f"up to block {target}; deploy {deployed:.0f} s, faults and checks "
          f"{time.monotonic() - started:.0f} s")  # fmt: skip
