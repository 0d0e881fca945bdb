"""The gateway's indexer on the 4-signer geth Clique devnet (needs geth 1.13.15:
tools/build-geth.sh), through a signer that is stopped and restarted, and through a network
split in two and joined again (a fork).

The suite is deployed the operator's way (`ape run deploy` on the devnet); identity batches are
then sent (raw, signed by the identity office's key) while the indexer follows signer 4. That
signer is stopped (SIGTERM) mid-workload and started again: the indexer sees the node go away
(RpcError, `node_error` in its status), then whatever the restarted signer shows - it may seal
a block or two out of turn on its stale head before syncing, a short fork the indexer must roll
back. Afterwards the index equals a fresh index of the same blocks read from signer 1
(`tests/gateway/compare.dump`), and every registered identity is in it.

The split: see `test_a_split_network_forks_and_both_sides_indexes_follow_the_join`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_utils import keccak
from gateway.compare import differences, dump, fresh_index
from sqlalchemy import select

from civic_dev.bench.city import PERSON, identity_batch
from civic_dev.devnet import clique
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
from .partitions import pause_sealing

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


@dataclass
class Deployed:
    net: LocalDevnet
    manifest: Manifest
    seconds: float


@pytest.fixture(scope="module")
def deployed(devnet: LocalDevnet, tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    begin = time.monotonic()
    manifest = deploy(devnet, tmp_path_factory.mktemp("gateway-devnet"))
    return Deployed(devnet, manifest, time.monotonic() - begin)


def step_to(indexer: Indexer, target: int) -> None:
    """Index up to block `target` (a step that finds a fork rolls back first, then indexes
    `max_blocks` from there: a few steps may be needed)."""
    for _ in range(5):
        if indexer.cursor()["block"] >= target:
            break
        indexer.step(max_blocks=target - indexer.cursor()["block"])
    assert indexer.cursor()["block"] == target and status(indexer.engine)["node_error"] is None


def assert_equals_fresh(indexer: Indexer, database: str, client: HttpClient,
                        manifest: Manifest) -> None:  # fmt: skip
    fresh = fresh_index(database, client, manifest, last=indexer.cursor()["block"])
    ours, theirs = dump(indexer.engine), dump(fresh.engine)
    for tables in (ours, theirs):  # the undo log is pruned by each step's head: when, not what
        tables.pop("undo")
        tables["gateway_meta"] = [
            r for r in tables["gateway_meta"] if dict(r)["key"] != "undo_from"
        ]
    assert differences(ours, theirs) == []


def subjects_in(indexer: Indexer) -> set[str]:
    with indexer.engine.connect() as conn:
        return set(conn.execute(select(schema.identities.c.subject)).scalars())


def test_the_index_through_a_restarted_signer_equals_a_fresh_index(deployed, tmp_path):
    net, manifest = deployed.net, deployed.manifest
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
    step_to(indexer, target)
    assert_equals_fresh(indexer, str(tmp_path / "fresh.sqlite"), first, manifest)
    assert set(workload.subjects) <= subjects_in(indexer)
    state = status(indexer.engine)
    print(f"\ngateway on the devnet: {failures} failed steps while signer 4 was down, "
          f"{state['reorgs']} reorg(s) seen, {state['events']} events up to block {target}; "
          f"deploy {deployed.seconds:.0f} s, this test {time.monotonic() - started:.0f} s")  # fmt: skip


def test_a_split_network_forks_and_both_sides_indexes_follow_the_join(deployed, tmp_path):
    """Sealing paused, the network is split in two pairs of signers chosen so that both can
    seal (Clique lets a signer seal one block in three: the last two sealers go to different
    sides) and the side with more weight is known (it gets the next block's in-turn signer).
    Each side mines a different batch with the same nonce; an indexer follows each side. Joined,
    the lighter side reorganises onto the heavier: its indexer rolls back its batch, and both
    indexes equal a fresh one."""
    net, manifest = deployed.net, deployed.manifest
    rpcs = [net.rpc(i, timeout=10) for i in range(4)]
    started = time.monotonic()
    head = pause_sealing(rpcs)
    before, last = clique.sealed(rpcs[0], [head - 1, head])
    index_of = {node.signer.address: i for i, node in enumerate(net.nodes)}
    a0, b0 = index_of[before.signer], index_of[last.signer]
    in_turn = index_of[clique.signers(rpcs[0])[(head + 1) % 4]]
    others = sorted({0, 1, 2, 3} - {a0, b0}, key=lambda i: i != in_turn)
    heavy, light = [a0, others[0]], [b0, others[1]]  # heavy seals 2 blocks, light 1

    indexers = {
        side[0]: Indexer.for_manifest(
            connect(str(tmp_path / f"side{side[0]}.sqlite")), rpcs[side[0]], manifest
        )
        for side in (heavy, light)
    }
    for indexer in indexers.values():
        indexer.step()
    enodes = [r.call("admin_nodeInfo")["enode"] for r in rpcs]

    def split() -> bool:
        # Removal is repeated: a node re-dialling the other (it still had it as a static peer)
        # while the other removes it can complete its handshake after the removal.
        for i in heavy:
            for j in light:
                rpcs[i].call("admin_removePeer", enodes[j])
                rpcs[j].call("admin_removePeer", enodes[i])
        time.sleep(0.5)
        return all(int(r.call("net_peerCount"), 16) == 1 for r in rpcs)

    wait_until(split, 30, "the network split in two pairs")

    office = net.agencies[alias_for("identity_office")]
    signer = KeySigner(office.address, office.hex)
    nonce = rpcs[0].nonce(office.address)
    identity = manifest.address_of("IdentityRegistry")
    sent = {}
    for side, tag in ((heavy, "heavy"), (light, "light")):
        entries = [(keccak(text=f"split:{tag}:{i}"), "0x" + keccak(text=f"split:{tag}:w{i}")[12:].hex(),
                    PERSON) for i in range(PER_BATCH)]  # fmt: skip
        tx = signer.sign({"chainId": rpcs[0].chain_id(), "nonce": nonce, "to": identity,
                          "data": "0x" + identity_batch(entries).hex(), "value": 0,
                          "gas": 1_500_000, "maxFeePerGas": MAX_FEE,
                          "maxPriorityFeePerGas": PRIORITY_FEE})  # fmt: skip
        rpcs[side[0]].send_raw(tx.raw)
        sent[side[0]] = (tx.tx_hash, {"0x" + e[0].hex() for e in entries})
    for rpc in rpcs:
        rpc.call("miner_start")
    for i, (tx_hash, _) in sent.items():
        wait_until(lambda i=i, h=tx_hash: rpcs[i].receipt(h) is not None, 30,
                   f"node {i}'s side to mine its batch")  # fmt: skip
    for i, indexer in indexers.items():
        indexer.step()
        assert sent[i][1] <= subjects_in(indexer), "each side indexes its own branch"
    assert rpcs[heavy[0]].block(head + 1)["hash"] != rpcs[light[0]].block(head + 1)["hash"]

    for i in heavy:
        for j in light:
            rpcs[i].call("admin_addPeer", enodes[j])
            rpcs[j].call("admin_addPeer", enodes[i])
    wait_until(lambda: min(r.block_number() for r in rpcs) >= head + 4
               and len({r.block(head + 4)["hash"] for r in rpcs}) == 1, 60,
               "the joined network to agree on 4 blocks after the split")  # fmt: skip
    target = head + 4
    for indexer in indexers.values():
        step_to(indexer, target)
        assert_equals_fresh(indexer, str(tmp_path / f"fresh{id(indexer)}.sqlite"), rpcs[0],
                            manifest)  # fmt: skip
    light_state = status(indexers[light[0]].engine)
    assert light_state["reorgs"] >= 1 and "rolled back" in light_state["last_reorg"]
    assert sent[heavy[0]][1] <= subjects_in(indexers[light[0]])
    assert not sent[light[0]][1] & subjects_in(indexers[light[0]])
    print(
        f"\ngateway on the split devnet: {light_state['last_reorg']}; "
        f"this test {time.monotonic() - started:.0f} s"
    )
