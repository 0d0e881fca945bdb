"""The chain layer's one sender and one settle rule (issue #13): journal before broadcast, the
signed bytes re-broadcast instead of a new transaction, superseded nonces, StillPending."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from civic_ledger.chain.client import ChainClient, Receipt, Web3Client
from civic_ledger.chain.journal import Journal
from civic_ledger.chain.sender import Sender, TxRequest
from civic_ledger.chain.settle import settle, settle_journal
from civic_ledger.chain.signer import ApeSigner
from civic_ledger.core.exceptions import StillPending

HEADER = {"job": "chain-test", "chain_id": 1337}
GWEI = 10**9


@pytest.fixture
def client(networks: Any) -> Web3Client:
    return Web3Client(networks.provider.web3)


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    return Journal.open(tmp_path / "j.jsonl", HEADER)


def transfer(batch: int, to: str, value: int = 1) -> TxRequest:
    return TxRequest(batch=batch, keys=(f"k{batch}",), to=to, data=b"", gas=21_000, value=value)


def make_sender(client: Web3Client, account: Any, journal: Journal, **kw: Any) -> Sender:
    fee = 2 * client.base_fee() + GWEI
    return Sender(
        client, ApeSigner(account), journal, chain_id=client.chain_id(), max_fee=fee, **kw
    )


def test_sender_journals_then_broadcasts_in_nonce_order(client, journal, accounts):
    alice, bob = accounts[16], accounts[17]
    start = client.nonce(alice.address)
    outcomes = make_sender(client, alice, journal, window=3).run(
        transfer(i, bob.address) for i in range(5)
    )
    assert [o.signed.nonce for o in outcomes] == list(range(start, start + 5))
    assert all(o.ok for o in outcomes)
    assert client.nonce(alice.address) == start + 5
    again = Journal(journal.path)
    assert again.confirmed == {f"k{i}" for i in range(5)}
    assert not again.unresolved
    sent = [r for r in _records(journal.path) if r["type"] == "sent"]
    assert all(r["raw"].startswith("0x02") and r["sender"] == alice.address for r in sent)


def test_crash_between_journal_and_broadcast_sends_the_same_bytes_once(client, journal, accounts):
    """The journaled signed bytes are broadcast on resume: exactly one transaction per nonce,
    the one that was journaled (never a newly signed one)."""
    alice, bob = accounts[16], accounts[17]
    start = client.nonce(alice.address)
    sender = make_sender(client, alice, journal)
    signed = sender.sign(transfer(0, bob.address), start)
    journal.record_sent(
        0, ["k0"], signed.tx_hash, start, sender=alice.address, raw="0x" + signed.raw.hex()
    )
    # ... the process dies here, before broadcasting.
    assert client.receipt(signed.tx_hash) is None
    resumed = Journal(journal.path)
    outcomes = settle_journal(client, resumed)
    assert [o.state for o in outcomes] == ["mined"]
    assert outcomes[0].receipt.tx_hash == signed.tx_hash
    assert client.nonce(alice.address) == start + 1
    assert Journal(journal.path).confirmed == {"k0"}


def test_already_mined_transaction_is_adopted_not_resent(client, journal, accounts):
    alice, bob = accounts[16], accounts[17]
    outcome = make_sender(client, alice, journal).run([transfer(0, bob.address)])[0]
    nonce = client.nonce(alice.address)
    # Pretend the confirmation was never journaled: settle must adopt the mined transaction.
    from civic_ledger.chain.journal import SentBatch

    entry = SentBatch(
        0,
        ("k0",),
        outcome.signed.tx_hash,
        outcome.signed.nonce,
        alice.address,
        "0x" + outcome.signed.raw.hex(),
    )
    [settled] = settle(client, [entry])
    assert settled.state == "mined"
    assert client.nonce(alice.address) == nonce


def test_nonce_taken_by_another_transaction_is_superseded(client, journal, accounts):
    alice, bob, carol = accounts[16], accounts[17], accounts[18]
    start = client.nonce(alice.address)
    sender = make_sender(client, alice, journal)
    journaled = sender.sign(transfer(0, bob.address), start)
    journal.record_sent(0, ["k0"], journaled.tx_hash, start, sender=alice.address)  # no raw
    alice.transfer(carol, 5)  # another transaction takes the nonce
    [outcome] = settle(client, Journal(journal.path).unresolved, timeout=10)
    assert outcome.state == "superseded"
    assert client.receipt(journaled.tx_hash) is None


def test_legacy_entry_unknown_to_the_node_is_superseded(client, journal):
    journal.record_sent(0, ["k0"], "0x" + "ab" * 32, 10**6)  # old journals: no sender, no raw
    [outcome] = settle(client, Journal(journal.path).unresolved, timeout=5)
    assert outcome.state == "superseded"


class _StuckClient(ChainClient):
    """A node that accepts broadcasts but never mines (a stalled chain)."""

    def __init__(self) -> None:
        self.broadcasts = 0

    def nonce(self, address: str, tag: str = "latest") -> int:
        return 7

    def receipt(self, tx_hash: str) -> Receipt | None:
        return None

    def receipts(self, hashes: Any) -> list[Receipt | None]:
        return [None for _ in hashes]

    def send_raw(self, raw: bytes, *, rebroadcast: bool = False) -> None:
        self.broadcasts += 1

    def knows(self, tx_hash: str) -> bool:
        return True


def test_open_nonce_is_rebroadcast_and_never_given_up_silently(journal):
    journal.record_sent(0, ["k0"], "0x" + "cd" * 32, 7, sender="0x" + "11" * 20, raw="0x02aa")
    stuck = _StuckClient()
    with pytest.raises(StillPending, match="still pending"):
        settle(stuck, Journal(journal.path).unresolved, timeout=0.5, poll=0.05)
    assert stuck.broadcasts == 1


def _records(path: Path) -> list[dict[str, Any]]:
    import json

    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class _ReorgingClient(ChainClient):
    """A Clique node whose newest block is replaced: the transaction's first receipt (block 5,
    the head) vanishes with it, and the transaction is mined again in block 6."""

    confirmations = 1

    def __init__(self) -> None:
        # (head, the receipt's block or None) at each poll
        self.polls = [(5, 5), (5, None), (6, 6), (7, 6)]
        self.head = 5

    def block_number(self) -> int:
        return self.head

    def nonce(self, address: str, tag: str = "latest") -> int:
        return 7  # the transaction's own nonce: never taken by another

    def receipts(self, hashes: Any) -> list[Receipt | None]:
        self.head, block = self.polls.pop(0) if len(self.polls) > 1 else self.polls[0]
        return [None if block is None else Receipt(h, 1, block, 21_000) for h in hashes]

    def receipt(self, tx_hash: str) -> Receipt | None:
        return None

    def send_raw(self, raw: bytes, *, rebroadcast: bool = False) -> None:
        pass


def test_a_receipt_counts_only_once_a_block_is_built_on_it(journal):
    """On Clique the head block can be replaced: a receipt in it is not yet an outcome (the
    deploy's next step would meet a state without it). Settle waits for `confirmations`
    blocks on top and reports the receipt that survived."""
    journal.record_sent(0, ["k0"], "0x" + "cd" * 32, 7, sender="0x" + "11" * 20, raw="0x02aa")
    [outcome] = settle(_ReorgingClient(), Journal(journal.path).unresolved, timeout=5, poll=0.01)
    assert outcome.state == "mined"
    assert outcome.receipt is not None and outcome.receipt.block == 6
