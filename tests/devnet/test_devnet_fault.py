"""Fault tolerance of the 4-signer Clique devnet (needs geth 1.13.15: tools/build-geth.sh).

While a workload of signed raw transfers runs, one signer is stopped with SIGTERM; the other
three keep sealing; the stopped node restarts from its data dir and catches up to the same
head; every transaction is mined exactly once and the balances add up.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from web3 import Web3
from web3.middleware import ExtraDataToPOAMiddleware

from civic_dev.devnet import clique
from civic_dev.devnet.bench import (
    block_receipts,
    canonical_transactions,
    sign_transfer,
    wait_nonces,
)
from civic_dev.devnet.keys import derive_key, write_ape_account
from civic_dev.devnet.local import LocalDevnet
from civic_ledger.chain.client import HttpClient
from civic_ledger.chain.poa import ensure_poa_middleware

pytestmark = [pytest.mark.slow, pytest.mark.devnet]

SENDERS = 4
RECIPIENTS = 8
SEND_INTERVAL = 0.04  # ~25 tx/s offered load


@dataclass(frozen=True)
class Sent:
    tx_hash: str
    sender: str
    nonce: int
    to: str
    value: int


class Workload(threading.Thread):
    """Submits transfers (explicit nonces, raw signed) through web3.py until stopped."""

    def __init__(self, net: LocalDevnet) -> None:
        super().__init__(daemon=True)
        self.net = net
        self.w3 = Web3(Web3.HTTPProvider(net.nodes[0].url, request_kwargs={"timeout": 10}))
        self.w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
        self.senders = [net.agencies[a] for a in list(net.agencies)[:SENDERS]]
        self.recipients = [
            derive_key(net.cfg.seed, "recipient", i).address for i in range(RECIPIENTS)
        ]
        self.nonces = {
            k.address: self.w3.eth.get_transaction_count(k.address, "pending") for k in self.senders
        }
        self.start_nonces = dict(self.nonces)
        self.sent: list[Sent] = []
        self.errors: list[BaseException] = []
        self._halt = threading.Event()

    def run(self) -> None:
        i = 0
        while not self._halt.is_set():
            key = self.senders[i % SENDERS]
            to = self.recipients[(i * 7) % RECIPIENTS]
            value = 10**15 + i
            nonce = self.nonces[key.address]
            raw, tx_hash = sign_transfer(
                key, chain_id=self.net.cfg.chain_id, nonce=nonce, to=to, value=value
            )
            try:
                returned = self.w3.eth.send_raw_transaction(raw)
            except Exception as exc:  # recorded and asserted on by the test
                self.errors.append(exc)
                return
            assert "0x" + bytes(returned).hex() == tx_hash
            self.nonces[key.address] = nonce + 1
            self.sent.append(Sent(tx_hash, key.address, nonce, to, value))
            i += 1
            time.sleep(SEND_INTERVAL)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=15)


def balances(rpc: HttpClient, addresses: list[str], block: int) -> dict[str, int]:
    results = rpc.batch([("eth_getBalance", [a, hex(block)]) for a in addresses])
    return {a: int(b, 16) for a, b in zip(addresses, results, strict=True)}


def wait_same_head(rpcs: list[HttpClient], timeout: float) -> str:
    """Wait until every node reports the same latest block hash; return it."""
    head: set[str] = set()

    def agree() -> bool:
        nonlocal head
        head = {r.block()["hash"] for r in rpcs}
        return len(head) == 1

    clique.wait_until(agree, timeout, "all nodes to agree on the head block", interval=0.1)
    return head.pop()


def test_chain_survives_a_stopped_signer(devnet: LocalDevnet) -> None:
    t_begin = time.monotonic()
    node0, victim = HttpClient(devnet.nodes[0].url, timeout=5.0), devnet.nodes[3]
    victim_rpc = HttpClient(victim.url, timeout=5.0)
    rpcs = [HttpClient(n.url, timeout=5.0) for n in devnet.nodes]

    load = Workload(devnet)
    accounts = [k.address for k in load.senders] + load.recipients
    start_block = node0.block_number()
    before = balances(node0, accounts, start_block)
    load.start()
    time.sleep(4)

    # 1. SIGTERM one signer; the other three keep sealing without it.
    assert devnet.stop(victim)
    stopped_at = node0.block_number()
    clique.wait_until(lambda: node0.block_number() >= stopped_at + 8, 40, "8 blocks without node3")
    while_down = clique.sealed(node0, range(stopped_at + 2, node0.block_number() + 1))
    assert len(while_down) >= 6
    assert victim.signer.address not in {b.signer for b in while_down}
    assert len({b.signer for b in while_down}) == 3

    # 2. Restart it from its data dir: it rejoins and catches up to the others' head.
    devnet.start(victim)
    devnet.wait_peers(timeout=30, nodes=[victim])
    target = node0.block_number()
    clique.wait_until(
        lambda: (
            victim_rpc.block_number() >= target
            and victim_rpc.block(target)["hash"] == node0.block(target)["hash"]
        ),
        60,
        "node3 to catch up",
    )
    time.sleep(3)  # some load after the restart too
    load.stop()
    assert not load.errors, load.errors
    assert len(load.sent) > 100

    # 3. Every transaction mined exactly once, nonces contiguous, on every node.
    expected_nonce = {
        a: load.start_nonces[a] + sum(1 for s in load.sent if s.sender == a)
        for a in load.start_nonces
    }
    wait_nonces(node0, expected_nonce, timeout=60)
    head_hash = wait_same_head(rpcs, timeout=30)
    head = int(node0.call("eth_getBlockByHash", head_hash, False)["number"], 16)
    sent_hashes = {s.tx_hash for s in load.sent}
    assert len(sent_hashes) == len(load.sent)
    included = [
        (n, h)
        for n, h in canonical_transactions(victim_rpc, start_block + 1, head)
        if h in sent_hashes
    ]
    counts = Counter(h for _, h in included)
    assert set(counts) == sent_hashes, "some transactions were never mined"
    assert max(counts.values()) == 1, "a transaction was mined twice"
    receipts = block_receipts(victim_rpc, [n for n, _ in included])
    assert all(receipts[h]["status"] == "0x1" for h in sent_hashes)
    for sender in load.start_nonces:
        nonces = sorted(s.nonce for s in load.sent if s.sender == sender)
        assert nonces == list(range(load.start_nonces[sender], expected_nonce[sender]))
        assert (
            int(victim_rpc.call("eth_getTransactionCount", sender, hex(head)), 16)
            == (expected_nonce[sender])
        )

    # 4. Final balances equal the expected state (read from the restarted node).
    expected = dict(before)
    for s in load.sent:
        r = receipts[s.tx_hash]
        fee = int(r["gasUsed"], 16) * int(r["effectiveGasPrice"], 16)
        expected[s.sender] -= s.value + fee
        expected[s.to] += s.value
    assert balances(victim_rpc, accounts, head) == expected
    assert balances(node0, accounts, head) == expected

    elapsed = time.monotonic() - t_begin
    print(
        f"\nfault scenario: {len(load.sent)} txs over blocks {start_block + 1}..{head}, "
        f"node3 down for blocks {stopped_at}..{target}, {elapsed:.1f} s "
        f"(devnet up in {devnet.up_report.seconds:.1f} s)"  # type: ignore[attr-defined]
    )


def test_signer_votes_take_effect(devnet: LocalDevnet) -> None:
    node0 = HttpClient(devnet.nodes[0].url, timeout=5.0)
    everyone = sorted(n.signer.address for n in devnet.nodes)
    assert sorted(clique.signers(node0)) == everyone
    target = devnet.nodes[3].signer.address

    after_drop, _ = devnet.vote(target, authorize=False, timeout=60)
    assert target not in after_drop and len(after_drop) == 3
    # The remaining three keep sealing; node3 still follows the chain as a non-signer.
    head = node0.block_number()
    clique.wait_until(lambda: node0.block_number() >= head + 4, 30, "blocks with 3 signers")
    recent = clique.sealed(node0, range(head + 1, head + 5))
    assert target not in {b.signer for b in recent}

    after_add, _ = devnet.vote(target, authorize=True, timeout=60)
    assert sorted(after_add) == everyone
    clique.wait_for_rotation(node0, [target], timeout=60, since=node0.block_number() + 1)


def test_ape_works_on_the_clique_chain(devnet: LocalDevnet, tmp_path: Path) -> None:
    """Ape reads PoA headers (with ensure_poa_middleware) and signs with a keystore account
    written without prompts, as `ape run devnet up` writes the agency accounts."""
    from ape import chain, networks
    from ape_accounts.accounts import KeyfileAccount

    alias, key = list(devnet.agencies.items())[5]
    assert write_ape_account(tmp_path, alias, key, "pw") == "created"
    account = KeyfileAccount(keyfile_path=tmp_path / "accounts" / f"{alias}.json")
    assert account.address == key.address
    with networks.parse_network_choice(devnet.nodes[0].url) as provider:
        ensure_poa_middleware(provider)
        assert chain.chain_id == devnet.cfg.chain_id
        assert chain.blocks.head.number > 0  # Ape parses Clique headers
        latest = provider.web3.eth.get_block("latest")
        assert len(latest["proofOfAuthorityData"]) == 32 + 65  # vanity + seal
        account.set_autosign(True, passphrase="pw")
        sink = "0x000000000000000000000000000000000000bEEF"
        before = provider.get_balance(sink)
        receipt = account.transfer(sink, 12345)
        assert receipt.status == 1
        assert provider.get_balance(sink) == before + 12345
