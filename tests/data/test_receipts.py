"""Access receipts: the Python leaf encoding and tree match the contract's, anchoring is one
root per batch, every anchored receipt verifies and no forged one does; a subject lists and
verifies the receipts about them; a delivery needs a live grant."""

from __future__ import annotations

import random

import pytest
from eth_utils import keccak
from reverts import reverts

from civic_ledger.core import transact
from civic_ledger.core.exceptions import ReceiptError
from civic_ledger.data import client, receipts
from civic_ledger.data.receipts import LeafStore, MerkleTree, Receipt

from .conftest import OWNER_ROLE, RECIPIENT_ROLE, data_request, h

ZERO = b"\x00" * 32


def _receipt(grant: int, i: int, subject: bytes = ZERO, at: int = 1_700_000_000) -> Receipt:
    return Receipt(grant, subject, keccak(text=f"payload-{i}"), at + i)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13])
def test_tree_proofs_verify_off_chain(size):
    tree = MerkleTree([_receipt(1, i).leaf for i in range(size)])
    for value in tree.levels[0]:
        assert receipts.process_proof(value, tree.proof(value)) == tree.root


def test_tree_refuses_empty_and_duplicates():
    with pytest.raises(ReceiptError, match="at least one"):
        MerkleTree([])
    with pytest.raises(ReceiptError, match="twice"):
        MerkleTree([_receipt(1, 0).leaf] * 2)


def test_leaf_matches_the_contract(exchange):
    for i, subject in enumerate((ZERO, h("subject"))):
        r = _receipt(2**64 - 1 - i, i, subject)
        assert bytes(exchange.receiptLeaf(r.as_tuple())) == r.leaf


def test_anchor_verify_list_and_forgeries(exchange, make_resource, requester, steward, tmp_path):
    rid = make_resource()
    grant = client.request_data(exchange, data_request(rid), sender=requester)
    store = LeafStore(tmp_path / "leaves")
    subject = h("dora")
    delivered = [_receipt(grant, i, subject if i % 3 == 0 else ZERO) for i in range(7)]
    for r in delivered:
        receipts.record_delivery(exchange, store, r)
    roots = receipts.anchor_pending(exchange, store, OWNER_ROLE, sender=steward, max_batch=4)
    assert len(roots) == 2  # one transaction (one root) per batch
    batch = exchange.batchOf(roots[0])
    assert (batch.agencyRole, batch.leafCount) == (OWNER_ROLE, 4)
    assert all(receipts.verify(exchange, store, r) for r in delivered)

    about = [r for r in delivered if r.subject == subject]
    mine = store.receipts_about(subject)
    assert [s.receipt for s in mine] == about and all(s.anchored for s in mine)
    assert receipts.receipts_about(exchange, store, subject) == [(r, True) for r in about]
    late = _receipt(grant, 99, subject)  # delivered, not yet anchored: listed, not verified
    receipts.record_delivery(exchange, store, late)
    assert receipts.receipts_about(exchange, store, subject)[-1] == (late, False)

    # forgeries: a changed field with the genuine proof, a proof against an unanchored root
    genuine = delivered[0]
    root = store.root_of(genuine)
    proof = store.batch(root).proof(genuine.leaf)
    for forged in (
        Receipt(genuine.grant_id, genuine.subject, h("other payload"), genuine.delivered_at),
        Receipt(genuine.grant_id + 1, genuine.subject, genuine.payload_hash, genuine.delivered_at),
        Receipt(genuine.grant_id, ZERO, genuine.payload_hash, genuine.delivered_at),
        Receipt(genuine.grant_id, genuine.subject, genuine.payload_hash, genuine.delivered_at + 1),
    ):
        assert not exchange.verifyReceipt(root, forged.as_tuple(), proof)
    lone = MerkleTree([genuine.leaf])  # a root nobody anchored
    assert not exchange.verifyReceipt(lone.root, genuine.as_tuple(), [])
    # second preimage: an inner node is reachable from its level with the rest of a proof,
    # but no receipt hashes to it (leaves are hashed twice); its children as receipt fields fail
    tree = store.batch(root)
    left, right = tree.levels[0][0], tree.levels[0][1]
    inner = tree.levels[1][0]
    rest = tree.proof(left)[1:]
    assert receipts.process_proof(inner, rest) == root
    for a, b in ((left, right), (right, left)):
        assert not exchange.verifyReceipt(root, (1, a, b, 1), rest)
    # a random proof of the right length
    rng = random.Random(16)
    fake = [rng.randbytes(32) for _ in proof]
    assert not exchange.verifyReceipt(root, genuine.as_tuple(), fake)


def test_anchor_is_the_agencys_and_once(exchange, steward, third, requester):
    root = h("root")
    # the land registry's anchorer anchoring in the tax bureau's name; a third agency without
    # the anchoring function at all
    with reverts("DataUnauthorizedAgency", role=RECIPIENT_ROLE):
        exchange.anchorReceipts(RECIPIENT_ROLE, root, 1, sender=steward)
    with reverts("AccessManagedUnauthorized"):
        exchange.anchorReceipts(OWNER_ROLE, root, 1, sender=third)
    exchange.anchorReceipts(OWNER_ROLE, root, 1, sender=steward)
    with reverts("DataBatchExists"):
        exchange.anchorReceipts(OWNER_ROLE, root, 1, sender=steward)


def test_no_delivery_without_a_live_grant(exchange, make_resource, requester, steward, tmp_path):
    rid = make_resource()
    grant = client.request_data(exchange, data_request(rid), sender=requester)
    client.revoke_grant(exchange, grant, 1, sender=steward)
    store = LeafStore(tmp_path)
    with pytest.raises(ReceiptError, match="not live"):
        receipts.record_delivery(exchange, store, _receipt(grant, 0))
    assert store.pending() == []


def test_crash_between_seal_and_anchor_resumes(exchange, steward, tmp_path):
    store = LeafStore(tmp_path)
    store.add(_receipt(1, 0))
    store.seal(store.pending(), OWNER_ROLE)  # sealed, then the process died before sending
    roots = receipts.anchor_pending(exchange, store, OWNER_ROLE, sender=steward)
    assert len(roots) == 1 and exchange.batchOf(roots[0]).anchoredAt > 0
    assert receipts.anchor_pending(exchange, store, OWNER_ROLE, sender=steward) == []


class _Crash(Exception):
    """The process dying right after a broadcast was mined, before the store heard of it."""


def test_rerun_after_an_interrupted_anchor_sends_each_root_once(exchange, steward, tmp_path):
    store = LeafStore(tmp_path)
    for i in range(2):
        store.add(_receipt(1, i))

    def send_then_die(label, method, *args, sender, **kwargs):
        transact.direct(label, method, *args, sender=sender, **kwargs)
        raise _Crash

    with pytest.raises(_Crash):  # two batches sealed, the first anchored, the store not told
        receipts.anchor_pending(exchange, store, OWNER_ROLE, sender=steward,
                                transact=send_then_die, max_batch=1)  # fmt: skip
    assert len(store.unanchored()) == 2 and store.pending() == []
    sent = transact.Recording()
    roots = receipts.anchor_pending(exchange, store, OWNER_ROLE, sender=steward, transact=sent)
    assert len(roots) == 2 and len(sent.receipts) == 1  # only the batch not yet on chain
    assert all(exchange.batchOf(root).anchoredAt > 0 for root in roots)
    assert store.unanchored() == []
    assert receipts.anchor_pending(exchange, store, OWNER_ROLE, sender=steward, transact=sent) == []
    assert len(sent.receipts) == 1


def test_duplicate_delivery_refused(tmp_path):
    store = LeafStore(tmp_path)
    store.add(_receipt(1, 0))
    with pytest.raises(ReceiptError, match="already recorded"):
        store.add(_receipt(1, 0))
    with pytest.raises(client.InputError, match="payload"):
        Receipt(1, ZERO, ZERO, 1)


def test_a_batch_vouches_only_for_its_agencys_grants(
    exchange, make_resource, requester, agency, manager, chain, tmp_path
):
    """A third agency anchors receipts of a grant between two others: the proof checks
    (inclusion) but the receipt does not verify as a delivery under that grant."""
    from .conftest import THIRD_ROLE, _grant_roles

    rid = make_resource()
    grant = client.request_data(exchange, data_request(rid), sender=requester)
    rogue = _grant_roles(
        manager, agency["deployer"], chain, agency["market_regulator"], "DATA_RECEIPTS"
    )
    store = LeafStore(tmp_path)
    forged = _receipt(grant, 0)
    receipts.record_delivery(exchange, store, forged)
    [root] = receipts.anchor_pending(exchange, store, THIRD_ROLE, sender=rogue)
    proof = store.batch(root).proof(forged.leaf)
    assert exchange.verifyReceipt(root, forged.as_tuple(), proof)
    assert not receipts.verify(exchange, store, forged)
