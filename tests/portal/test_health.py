"""The agency dashboard's chain health: the node's head, its last block's time and the Clique
signers with the last block each sealed (`portal/health.py`, `chain/clique.py`), read at most
once per few seconds; a node without the clique API shows the signers as unknown for it; a
process without a node says so; a node that fails is one line on the page."""

from __future__ import annotations

from typing import Any

from civic_ledger.chain import clique
from civic_ledger.chain.client import Web3Client
from civic_ledger.portal.health import ChainHealth, attach_chain

from .fake_node import SIGNERS, FakeNode
from .helpers import main_text


def test_clique_reads_signers_and_sealers():
    node = FakeNode(head=100)
    assert clique.signers(node) == [a for a in SIGNERS]
    sealed = clique.block_signers(node, range(0, 4))
    assert sealed == {1: SIGNERS[1], 2: SIGNERS[2], 3: SIGNERS[0]}  # genesis: no signer
    assert clique.signers(FakeNode(clique=False)) is None
    assert clique.block_signers(FakeNode(clique=False), range(1, 4)) == {}


def test_chain_health_is_cached_and_finds_each_signers_last_block():
    node, now = FakeNode(head=500), [0.0]
    health = ChainHealth(node, ttl=5.0, window=64, clock=lambda: now[0])
    found = health.read()
    assert found["reached"] and found["head"] == 500 and found["head_time"] == node.head_time
    last = {s["address"]: s["last_sealed"] for s in found["signers"]}
    assert last[SIGNERS[0]] == 500 and last[SIGNERS[1]] == 499
    assert last[SIGNERS[2]] is None  # silent in the window
    assert node.calls["clique_getSigner"] == 64  # one window, one batch
    now[0] = 4.9
    health.read()
    assert node.calls["eth_blockNumber"] == 1  # cached
    now[0] = 5.0
    node.head = 501
    assert health.read()["head"] == 501 and node.calls["eth_blockNumber"] == 2


def test_a_node_that_does_not_answer_is_one_line_and_cached():
    class Dead(FakeNode):
        def call(self, method: str, *params: Any) -> Any:
            self.calls[method] += 1
            from civic_ledger.core.exceptions import RpcError

            raise RpcError(method, "no answer from http://node:8545: connection refused")

    node = Dead()
    health = ChainHealth(node, clock=lambda: 0.0)
    found = health.read()
    assert not found["reached"] and "connection refused" in found["error"]
    health.read()
    assert node.calls["eth_blockNumber"] == 1


def test_dashboard_shows_the_signers(portal):
    attach_chain(portal.app, FakeNode(head=500))
    page = portal.get("/dashboard")
    assert page.status_code == 200
    text = main_text(page.text)
    assert "Chain health" in text and 'id="signers"' in page.text
    assert "Signers (3)" in text and SIGNERS[0] in text
    assert "499" in text and "none in the last 64 blocks" in text
    assert 'id="node-head"' in page.text and 'id="last-block-time"' in page.text


def test_dashboard_without_clique_says_the_signers_are_unknown(portal, certified):
    attach_chain(portal.app, Web3Client.from_ape())  # the test chain has no clique API
    page = portal.get("/dashboard")
    assert page.status_code == 200
    assert 'id="signers-unknown"' in page.text
    assert "signers are unknown for this node" in main_text(page.text)
    assert 'id="node-head"' in page.text


def test_dashboard_without_a_node_or_with_a_dead_one(portal):
    page = portal.get("/dashboard")
    assert "does not reach the node itself" in main_text(page.text)
    attach_chain(portal.app, FakeNode(clique=False))
    attach_chain(portal.app, None)
    assert "does not reach the node itself" in main_text(portal.get("/dashboard").text)

    class Dead(FakeNode):
        def call(self, method: str, *params: Any) -> Any:
            from civic_ledger.core.exceptions import RpcError

            raise RpcError(method, "no answer from <script>alert(1)</script>")

    attach_chain(portal.app, Dead())
    page = portal.get("/dashboard")
    assert page.status_code == 200 and "The node did not answer" in main_text(page.text)
    assert "<script>alert" not in page.text  # escaped
