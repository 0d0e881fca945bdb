"""Network partitions of the 4-signer Clique devnet, every node its own host (`up --hosts`:
network namespaces on one bridge; needs root and geth 1.13.15).

Clique lets a signer seal one block in any N/2+1 = 3 consecutive blocks, so 2 signers alone
can add at most 2 blocks and then stop, and 3 keep sealing. The tests pause sealing first and
choose who goes where from the last two sealers, so what each side can do is known: which side
is heavier decides which blocks survive the heal.

Each test runs a transfer workload through the RPC node (the node applications use) and the
gateway's indexer following the RPC node, and prints a `partition figures:` line (also
appended to test-results/partitions.jsonl; `python tests/devnet/partitions.py` prints the
table). Every namespace, link and route a test creates is removed in `finally`.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from civic_dev.devnet import clique
from civic_dev.devnet.config import DevnetConfig, project_evm_version
from civic_dev.devnet.hosts import link_exists, netns_exists
from civic_dev.devnet.links import Links
from civic_dev.devnet.local import LocalDevnet
from civic_ledger.chain.client import HttpClient

from .conftest import require_geth
from .partitions import (
    Figures,
    Follower,
    Workload,
    chain_of,
    orphaned,
    pause_sealing,
    wait_mined_once,
    wait_one_head,
)

pytestmark = [pytest.mark.slow, pytest.mark.devnet]

SEED = "civic-ledger-partition-test"
PASSPHRASE = "partition-test-only"
CUT_SECONDS = 20


def require_root() -> None:
    """Namespaces need root and iproute2: skipped without on a developer machine, a failure
    under CI."""
    if os.geteuid() == 0 and shutil.which("ip"):
        return
    reason = "partition tests create network namespaces: they need root and iproute2"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def free_subnet() -> int:
    """A 198.18.k.0/24 no other devnet on this machine uses (k >= 300: away from `up
    --hosts`'s default 0)."""
    for k in range(300 + os.getpid() % 100, 512):
        if not link_exists(f"cvb{k}") and not netns_exists(f"civic{k}-rpc"):
            return k
    raise RuntimeError("no free 198.18.k.0/24 for the partition devnet")


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDevnet]:
    geth = require_geth()
    require_root()
    cfg = DevnetConfig(root=tmp_path_factory.mktemp("hosts-devnet"), nodes=4, period=1,
                       seed=SEED, evm_version=project_evm_version(), hosts=True,
                       subnet=free_subnet())  # fmt: skip
    devnet = LocalDevnet(cfg, geth)
    assert devnet.plan is not None
    try:
        devnet.up(PASSPHRASE, timeout=90)
        yield devnet
    finally:
        devnet.down()
        left = [h.netns for h in devnet.plan.hosts if netns_exists(h.netns)]
        left += [n for n in [devnet.plan.bridge, *(h.veth for h in devnet.plan.hosts)]
                 if link_exists(n)]  # fmt: skip
        assert not left, f"left behind: {left}"


@pytest.fixture
def links(net: LocalDevnet) -> Iterator[Links]:
    assert net.plan is not None
    cuts = Links(net.plan)
    try:
        yield cuts
    finally:
        cuts.heal_all()


def signer_rpcs(net: LocalDevnet) -> list[HttpClient]:
    return [net.rpc(i, timeout=3) for i in range(len(net.nodes))]


def last_sealers(net: LocalDevnet, rpc: HttpClient, head: int) -> tuple[int, int, int]:
    """Node indexes of the sealers of blocks head-1 and head, and of the signer in turn for
    head+1."""
    index_of = {n.signer_address: i for i, n in enumerate(net.nodes)}
    before, last = clique.sealed(rpc, [head - 1, head])
    in_turn = clique.signers(rpc)[(head + 1) % len(net.nodes)]
    return index_of[before.signer], index_of[last.signer], index_of[in_turn]


def names(indexes: list[int]) -> list[str]:
    return [f"node{i}" for i in indexes]


def test_a_two_two_split_stalls_and_resumes_on_one_head(
    net: LocalDevnet, links: Links, tmp_path: Path
) -> None:
    """2|2: the side with the sealer of block h-1 and the signer in turn for h+1 seals h+1
    (in turn) and h+2, the other side (with the RPC node) one out-of-turn block h+1; then both
    stall: no fork grows. Joined, the lighter side drops its block, its transactions are mined
    again on the heavier chain, exactly once, and sealing resumes on one head."""
    rpcs = signer_rpcs(net)
    rpc_node = HttpClient(net.rpc_url, timeout=3)
    head = pause_sealing(rpcs)
    a0, b0, turn = last_sealers(net, rpcs[0], head)
    rest = [i for i in range(4) if i not in (a0, b0)]
    a1 = turn if turn in rest else rest[0]  # with the in-turn signer, side A is the heavier
    heavy, light = [a0, a1], [b0, next(i for i in rest if i != a1)]

    load = Workload(net, net.agencies["civic-treasury"], net.rpc_url)
    follower = Follower(net.rpc_url, tmp_path / "index.sqlite")
    links.split([names(heavy), [*names(light), "rpc"]])
    cut_at = time.monotonic()
    for rpc in rpcs:
        rpc.call("miner_start")
    load.start()
    follower.start()
    time.sleep(CUT_SECONDS)
    branches = [chain_of(rpcs[heavy[0]], head + 1), chain_of(rpcs[light[0]], head + 1)]
    sealed = {"heavy side": len(branches[0]), "light side": len(branches[1])}
    # The stall: Clique's limit (one block in 3 per signer) stops each pair after 2 blocks.
    assert sealed == {"heavy side": 2, "light side": 1}, sealed
    assert rpc_node.block_number() == head + 1, "the RPC node follows its side"
    assert rpcs[heavy[1]].block_number() == head + 2 and rpcs[light[1]].block_number() == head + 1

    links.join()
    healed_at = time.monotonic()
    recover, _ = wait_one_head([*rpcs, rpc_node], beyond=head + 2, timeout=90)
    time.sleep(3)  # some load on the joined network too
    load.stop()
    assert load.fatal is None, load.fatal
    lost = wait_mined_once(load, rpc_node, head + 1)
    index = follower.stop()
    figures = Figures(
        "split 2|2", healed_at - cut_at, sealed, orphaned(branches, rpc_node), recover,
        len(load.sent), lost, len(load.errors), index["reorgs"], index["max_depth"],
        index["node_errors"], notes=f"RPC node on the light side; {index['last_reorg']}",
    )  # fmt: skip
    figures.report()
    assert lost == 0
    assert figures.blocks_lost == 1, "the light side's block h+1 is replaced"
    assert chain_of(rpc_node, head + 1)[head + 1] == branches[0][head + 1]
    assert index["reorgs"] >= 1 and index["max_depth"] >= 1, "the indexer saw the light block go"


def test_an_isolated_signer_rejoins_and_reorgs_to_the_majority(
    net: LocalDevnet, links: Links, tmp_path: Path
) -> None:
    """1|3: the signer in turn for h+1 is cut off; it seals h+1 alone (in turn, the heavier
    block) and stops; the other three (with the RPC node) keep sealing. Rejoined, the isolated
    signer drops its block for the majority's longer chain and seals in turn again."""
    rpcs = signer_rpcs(net)
    rpc_node = HttpClient(net.rpc_url, timeout=3)
    head = pause_sealing(rpcs)
    a0, b0, turn = last_sealers(net, rpcs[0], head)
    lone = turn if turn not in (a0, b0) else next(i for i in range(4) if i not in (a0, b0))
    majority = [i for i in range(4) if i != lone]

    load = Workload(net, net.agencies["civic-deployer"], net.rpc_url)
    follower = Follower(net.rpc_url, tmp_path / "index.sqlite")
    links.split([names([lone]), [*names(majority), "rpc"]])
    cut_at = time.monotonic()
    for rpc in rpcs:
        rpc.call("miner_start")
    load.start()
    follower.start()
    time.sleep(CUT_SECONDS)
    branches = [chain_of(rpcs[lone], head + 1), chain_of(rpcs[majority[0]], head + 1)]
    sealed = {"isolated": len(branches[0]), "majority": len(branches[1])}
    assert sealed["isolated"] == 1, "alone, a signer seals one block and stops"
    assert sealed["majority"] >= CUT_SECONDS * 0.6, "three of four signers keep sealing"
    majority_sealers = {b.signer for b in clique.sealed(rpcs[majority[0]],
                                                        range(head + 2, head + 8))}  # fmt: skip
    assert majority_sealers == {net.nodes[i].signer_address for i in majority}

    links.join()
    healed_at = time.monotonic()
    recover, now = wait_one_head([*rpcs, rpc_node], beyond=head + sealed["majority"], timeout=90)
    lone_reorged = chain_of(rpcs[lone], head + 1)[head + 1] != branches[0][head + 1]
    clique.wait_for_rotation(rpcs[0], [net.nodes[lone].signer_address], timeout=30, since=now)
    load.stop()
    assert load.fatal is None, load.fatal
    lost = wait_mined_once(load, rpc_node, head + 1)
    index = follower.stop()
    figures = Figures(
        "isolate 1 of 4", healed_at - cut_at, sealed, orphaned(branches, rpc_node), recover,
        len(load.sent), lost, len(load.errors), index["reorgs"], index["max_depth"],
        index["node_errors"],
        notes="isolated signer reorged 1 block (its own); RPC node with the majority",
    )  # fmt: skip
    figures.report()
    assert lost == 0 and lone_reorged and figures.blocks_lost == 1
    assert index["reorgs"] == 0, "the RPC node stayed on the majority chain"


def test_an_isolated_rpc_node_fails_clearly_then_resumes(
    net: LocalDevnet, links: Links, tmp_path: Path
) -> None:
    """The RPC node's link goes down: the signers keep sealing, clients (the workload, the
    indexer) get `no answer from http://…` errors naming the node, and once the link is back
    the node catches up and every transaction sent through it - retried with the same signed
    bytes - is mined once."""
    rpcs = signer_rpcs(net)
    rpc_node = HttpClient(net.rpc_url, timeout=3)
    start = rpc_node.block_number()
    load = Workload(net, net.agencies["civic-identity-office"], net.rpc_url)
    follower = Follower(net.rpc_url, tmp_path / "index.sqlite")
    load.start()
    follower.start()
    time.sleep(3)
    links.cut("rpc")
    cut_at = time.monotonic()
    before = rpcs[0].block_number()
    time.sleep(CUT_SECONDS)
    sealed = {"signers": rpcs[0].block_number() - before}
    assert sealed["signers"] >= CUT_SECONDS * 0.6, "the signers do not need the RPC node"
    assert load.errors and follower.node_errors > 0
    message = load.errors[0][1]
    assert "no answer from " + net.rpc_url in message, message

    links.heal("rpc")
    healed_at = time.monotonic()
    recover, _ = wait_one_head([*rpcs, rpc_node], beyond=rpcs[0].block_number(), timeout=90)
    errors_then = len(load.errors)
    time.sleep(3)
    load.stop()
    assert load.fatal is None, load.fatal
    assert len(load.errors) == errors_then, "sends succeed again after the heal"
    lost = wait_mined_once(load, rpc_node, start + 1)
    index = follower.stop()
    figures = Figures(
        "isolate the RPC node", healed_at - cut_at, sealed, 0, recover, len(load.sent), lost,
        len(load.errors), index["reorgs"], index["max_depth"], index["node_errors"],
        notes=f"first client error: {message[:90]}",
    )  # fmt: skip
    figures.report()
    assert lost == 0 and index["reorgs"] == 0
