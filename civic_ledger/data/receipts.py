"""Access receipts: one per delivery of data under a grant, batched off-chain and anchored on
chain as a Merkle root (`DataExchange.anchorReceipts`: one slot per batch, whatever its size).

- `Receipt` and `leaf`: the leaf is keccak256(keccak256(abi.encode(uint64 grantId, bytes32
  subject, bytes32 payloadHash, uint64 deliveredAt))), exactly `DataExchange.receiptLeaf` (the
  double hash of OpenZeppelin's StandardMerkleTree: no leaf can pass for an inner node).
- `MerkleTree`: leaves sorted, pairs hashed sorted (OpenZeppelin `MerkleProof`'s commutative
  keccak), an odd node carried up; `proof(leaf)` is what `verifyReceipt` takes. No maintained
  Merkle library is in requirements.lock, so this is the small builder that matches MerkleProof.
  `proves(receipt, proof, root)` is the same check off chain (the gateway's, for receipts an
  agency publishes to it).
- `LeafStore`: the anchoring agency's local store of every batch's leaves (SQLite under a
  directory the caller passes). A batch is written before its root is sent, so a crash between
  the two leaves a batch marked unanchored, never an anchored root without its leaves.
- `record_delivery` refuses a delivery unless the chain says the grant is live now;
  `anchor_pending` anchors what was recorded; `verify` checks one receipt against the chain
  and `receipts_about` lists a subject's receipts, each verified.

No personal data: a receipt holds a grant id, a subject commitment (or zero), a payload hash
and a time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from eth_utils import keccak

from civic_ledger.core.encoding import UINT64_MAX, ZERO32
from civic_ledger.core.exceptions import InputError, ReceiptError
from civic_ledger.core.transact import Transact, direct

try:  # pycryptodome (eth-hash's backend, a runtime dependency) called directly: a batch
    # hashes every leaf twice and every pair once, and eth_utils' wrapper is a third of that cost
    from Crypto.Hash import keccak as _crypto_keccak

    def _keccak(data: bytes) -> bytes:
        return _crypto_keccak.new(digest_bits=256, data=data).digest()

except ImportError:  # pragma: no cover - eth_utils' keccak gives the same digests
    _keccak = keccak

MAX_BATCH = 2**32 - 1  # DataExchange.anchorReceipts takes a uint32 leaf count
STORE_FILE = "receipts.sqlite3"


@dataclass(frozen=True)
class Receipt:
    """IDataExchange.Receipt: one delivery of data under a grant."""

    grant_id: int
    subject: bytes
    payload_hash: bytes
    delivered_at: int

    def __post_init__(self) -> None:
        if not 0 < self.grant_id <= UINT64_MAX:
            raise InputError(f"grant id {self.grant_id} is out of range (1..{UINT64_MAX})")
        if len(self.subject) != 32 or len(self.payload_hash) != 32:
            raise InputError("subject and payload hash must be 32 bytes each")
        if self.payload_hash == ZERO32:
            raise InputError("a receipt needs the payload's hash")
        if not 0 < self.delivered_at <= UINT64_MAX:
            raise InputError(f"delivery time {self.delivered_at} is out of range")

    def as_tuple(self) -> tuple[int, bytes, bytes, int]:
        return (self.grant_id, bytes(self.subject), bytes(self.payload_hash), self.delivered_at)

    @cached_property
    def leaf(self) -> bytes:
        """The Merkle leaf (computed once: a batch uses it to store, sort and seal)."""
        return _leaf(self)


def leaf(receipt: Receipt) -> bytes:
    """The Merkle leaf of `receipt` (DataExchange.receiptLeaf)."""
    return receipt.leaf


def _leaf(receipt: Receipt) -> bytes:
    # abi.encode(uint64, bytes32, bytes32, uint64): four static 32-byte words, written directly
    # (eth_abi's encoder was most of a batch's cost; tests/data/test_receipts.py checks the
    # leaf against DataExchange.receiptLeaf)
    encoded = (
        receipt.grant_id.to_bytes(32, "big")
        + bytes(receipt.subject)
        + bytes(receipt.payload_hash)
        + receipt.delivered_at.to_bytes(32, "big")
    )
    return _keccak(_keccak(encoded))


def _pair(a: bytes, b: bytes) -> bytes:
    return _keccak(a + b) if a < b else _keccak(b + a)


class MerkleTree:
    """A Merkle tree of distinct 32-byte leaves in OpenZeppelin MerkleProof's hashing."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        if not leaves:
            raise ReceiptError("a batch needs at least one receipt")
        ordered = sorted(bytes(x) for x in leaves)
        if len(set(ordered)) != len(ordered):
            raise ReceiptError("a batch holds the same receipt twice")
        self.levels: list[list[bytes]] = [ordered]
        while len(self.levels[-1]) > 1:
            level = self.levels[-1]
            parents = [_pair(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                parents.append(level[-1])
            self.levels.append(parents)
        self._index = {value: i for i, value in enumerate(ordered)}

    @property
    def root(self) -> bytes:
        return self.levels[-1][0]

    def proof(self, value: bytes) -> list[bytes]:
        """The sibling hashes from `value` up to the root (ReceiptError if not a leaf)."""
        try:
            i = self._index[bytes(value)]
        except KeyError:
            raise ReceiptError("this receipt is not in the batch") from None
        path = []
        for level in self.levels[:-1]:
            sibling = i ^ 1
            if sibling < len(level):
                path.append(level[sibling])
            i //= 2
        return path


def process_proof(value: bytes, proof: Sequence[bytes]) -> bytes:
    """The root `proof` leads to from `value` (MerkleProof.processProof)."""
    node = bytes(value)
    for sibling in proof:
        node = _pair(node, bytes(sibling))
    return node


MAX_PROOF = 32  # a batch holds at most 2**32 - 1 leaves: no proof is longer


def published(receipt: Receipt, tree: MerkleTree) -> dict[str, Any]:
    """What a gateway is given to show `receipt` to its subject: the receipt's fields and its
    Merkle proof in `tree` (its batch), as JSON values."""
    return {
        "grant_id": receipt.grant_id,
        "subject": "0x" + receipt.subject.hex(),
        "payload_hash": "0x" + receipt.payload_hash.hex(),
        "delivered_at": receipt.delivered_at,
        "proof": ["0x" + p.hex() for p in tree.proof(receipt.leaf)],
    }


def proves(receipt: Receipt, proof: Sequence[bytes], root: bytes) -> bool:
    """Whether `proof` leads from `receipt`'s leaf to `root` (what `verifyReceipt` checks,
    off chain: the gateway's check of a published receipt against an indexed root)."""
    return len(proof) <= MAX_PROOF and process_proof(leaf(receipt), proof) == bytes(root)


# ------------------------------------------------------------------------------ the store

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    root BLOB PRIMARY KEY,
    agency_role INTEGER NOT NULL,
    leaf_count INTEGER NOT NULL,
    anchored INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS receipts (
    leaf BLOB PRIMARY KEY,
    grant_id INTEGER NOT NULL,
    subject BLOB NOT NULL,
    payload_hash BLOB NOT NULL,
    delivered_at INTEGER NOT NULL,
    root BLOB REFERENCES batches(root)
);
CREATE INDEX IF NOT EXISTS receipts_by_subject ON receipts(subject);
CREATE INDEX IF NOT EXISTS receipts_by_root ON receipts(root);
"""


@dataclass(frozen=True)
class StoredReceipt:
    """A receipt with the batch it is in (None: recorded, not yet batched)."""

    receipt: Receipt
    root: bytes | None
    anchored: bool


class LeafStore:
    """The anchoring agency's receipts and batches, in `directory`/receipts.sqlite3."""

    def __init__(self, directory: Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / STORE_FILE
        with self._db() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path)
        try:
            with db:  # one transaction, committed (fsynced by SQLite) or rolled back
                yield db
        finally:
            db.close()

    def add(self, receipt: Receipt) -> bytes:
        """Record a delivery (not yet batched); returns its leaf."""
        value = leaf(receipt)
        with self._db() as db:
            try:
                db.execute(
                    "INSERT INTO receipts VALUES (?, ?, ?, ?, ?, NULL)",
                    (
                        value,
                        receipt.grant_id,
                        receipt.subject,
                        receipt.payload_hash,
                        receipt.delivered_at,
                    ),
                )
            except sqlite3.IntegrityError:
                raise ReceiptError("this receipt is already recorded") from None
        return value

    def add_many(self, receipts: Sequence[Receipt]) -> list[bytes]:
        """Record many deliveries in one SQLite transaction (all or none); returns the leaves."""
        values = [leaf(r) for r in receipts]
        rows = [(v, r.grant_id, r.subject, r.payload_hash, r.delivered_at)
                for v, r in zip(values, receipts, strict=True)]  # fmt: skip
        with self._db() as db:
            try:
                db.executemany("INSERT INTO receipts VALUES (?, ?, ?, ?, ?, NULL)", rows)
            except sqlite3.IntegrityError:
                raise ReceiptError("a receipt is already recorded (or given twice)") from None
        return values

    def pending(self) -> list[Receipt]:
        """Receipts recorded and not yet in a batch."""
        with self._db() as db:
            rows = db.execute(
                "SELECT grant_id, subject, payload_hash, delivered_at FROM receipts "
                "WHERE root IS NULL ORDER BY rowid"
            ).fetchall()
        return [Receipt(g, bytes(s), bytes(p), t) for g, s, p, t in rows]

    def seal(self, receipts: Sequence[Receipt], agency_role: int) -> MerkleTree:
        """Put `receipts` in a new batch (before its root is sent); returns its tree."""
        tree = MerkleTree([leaf(r) for r in receipts])
        with self._db() as db:
            db.execute(
                "INSERT INTO batches VALUES (?, ?, ?, 0)", (tree.root, agency_role, len(receipts))
            )
            db.executemany(
                "UPDATE receipts SET root = ? WHERE leaf = ? AND root IS NULL",
                [(tree.root, leaf(r)) for r in receipts],
            )
        return tree

    def mark_anchored(self, root: bytes) -> None:
        with self._db() as db:
            db.execute("UPDATE batches SET anchored = 1 WHERE root = ?", (bytes(root),))

    def unanchored(self) -> list[tuple[bytes, int]]:
        """(root, agency role) of sealed batches whose root was not (yet) seen anchored."""
        with self._db() as db:
            rows = db.execute("SELECT root, agency_role FROM batches WHERE anchored = 0").fetchall()
        return [(bytes(root), role) for root, role in rows]

    def batch(self, root: bytes) -> MerkleTree:
        """The tree of batch `root`, rebuilt from its leaves."""
        with self._db() as db:
            rows = db.execute("SELECT leaf FROM receipts WHERE root = ?", (bytes(root),)).fetchall()
        if not rows:
            raise ReceiptError(f"no batch with root 0x{bytes(root).hex()} in {self.path}")
        return MerkleTree([bytes(row[0]) for row in rows])

    def receipts_about(self, subject: bytes) -> list[StoredReceipt]:
        """Every receipt about `subject`, in delivery order."""
        with self._db() as db:
            rows = db.execute(
                "SELECT r.grant_id, r.subject, r.payload_hash, r.delivered_at, r.root, "
                "COALESCE(b.anchored, 0) FROM receipts r LEFT JOIN batches b ON r.root = b.root "
                "WHERE r.subject = ? ORDER BY r.delivered_at, r.rowid",
                (bytes(subject),),
            ).fetchall()
        return [
            StoredReceipt(Receipt(g, bytes(s), bytes(p), t), bytes(root) if root else None, bool(a))
            for g, s, p, t, root, a in rows
        ]

    def anchored_roots(self) -> list[bytes]:
        """The roots of the batches seen anchored, oldest first."""
        with self._db() as db:
            rows = db.execute("SELECT root FROM batches WHERE anchored = 1 ORDER BY rowid")
            return [bytes(row[0]) for row in rows.fetchall()]

    def batch_receipts(self, root: bytes) -> list[Receipt]:
        """The receipts of batch `root` (empty when the store has no such batch)."""
        with self._db() as db:
            rows = db.execute(
                "SELECT grant_id, subject, payload_hash, delivered_at FROM receipts "
                "WHERE root = ? ORDER BY rowid",
                (bytes(root),),
            ).fetchall()
        return [Receipt(g, bytes(s), bytes(p), t) for g, s, p, t in rows]

    def find(self, value: bytes) -> Receipt | None:
        """The receipt whose leaf is `value` (None when this store has none)."""
        with self._db() as db:
            row = db.execute(
                "SELECT grant_id, subject, payload_hash, delivered_at FROM receipts WHERE leaf = ?",
                (bytes(value),),
            ).fetchone()
        return Receipt(row[0], bytes(row[1]), bytes(row[2]), row[3]) if row else None

    def root_of(self, receipt: Receipt) -> bytes | None:
        with self._db() as db:
            row = db.execute(
                "SELECT root FROM receipts WHERE leaf = ?", (leaf(receipt),)
            ).fetchone()
        return bytes(row[0]) if row and row[0] is not None else None


# ------------------------------------------------------------------------------ the chain


def record_delivery(exchange: Any, store: LeafStore, receipt: Receipt) -> bytes:
    """Record a delivery under a grant the chain says is live now; returns the leaf.
    ReceiptError (nothing recorded) when the grant is not live."""
    if not exchange.isGrantLive(receipt.grant_id):
        raise ReceiptError(f"grant {receipt.grant_id} is not live: no delivery under it")
    return store.add(receipt)


def record_deliveries(exchange: Any, store: LeafStore, receipts: Sequence[Receipt]) -> list[bytes]:
    """Record many deliveries at once, each grant checked live once; nothing is recorded if
    one grant is not live (ReceiptError naming it)."""
    for grant_id in sorted({r.grant_id for r in receipts}):
        if not exchange.isGrantLive(grant_id):
            raise ReceiptError(f"grant {grant_id} is not live: no delivery under it")
    return store.add_many(receipts)


def anchor_pending(
    exchange: Any, store: LeafStore, agency_role: int, *,
    sender: Any, transact: Transact = direct, max_batch: int = 10_000,
) -> list[bytes]:  # fmt: skip
    """Seal the pending receipts into batches of at most `max_batch` and anchor each root
    (batches sealed earlier and not yet anchored go first); returns the roots anchored."""
    if not 0 < max_batch <= MAX_BATCH:
        raise InputError(f"batch size {max_batch} is out of range (1..{MAX_BATCH})")
    pending = store.pending()
    for start in range(0, len(pending), max_batch):
        store.seal(pending[start : start + max_batch], agency_role)
    anchored = []
    for root, role in store.unanchored():
        if int(exchange.batchOf(root).anchoredAt) == 0:
            count = len(store.batch(root).levels[0])
            transact(
                f"anchor {count} access receipts",
                exchange.anchorReceipts,
                role,
                root,
                count,
                sender=sender,
            )
        store.mark_anchored(root)
        anchored.append(root)
    return anchored


def verify(exchange: Any, store: LeafStore, receipt: Receipt) -> bool:
    """True when `receipt` is in a batch of `store` whose root the chain has anchored, the
    contract accepts its proof (`verifyReceipt`), and the anchoring agency is a party of the
    grant (its owner or its recipient): a batch vouches only for its own agency's deliveries."""
    root = store.root_of(receipt)
    return root is not None and _verify_in(exchange, store.batch(root), root, receipt)


def receipts_about(exchange: Any, store: LeafStore, subject: bytes) -> list[tuple[Receipt, bool]]:
    """Every receipt of `store` about `subject`, in delivery order, each with whether it
    verifies against the chain now (False for one not yet anchored). One tree per batch."""
    trees: dict[bytes, MerkleTree] = {}
    result = []
    for stored in store.receipts_about(subject):
        root = stored.root
        if root is None or not stored.anchored:
            result.append((stored.receipt, False))
            continue
        tree = trees.get(root) or trees.setdefault(root, store.batch(root))
        result.append((stored.receipt, _verify_in(exchange, tree, root, stored.receipt)))
    return result


def _verify_in(exchange: Any, tree: MerkleTree, root: bytes, receipt: Receipt) -> bool:
    proof = tree.proof(leaf(receipt))
    if not exchange.verifyReceipt(root, receipt.as_tuple(), proof):
        return False
    request = exchange.requestOf(receipt.grant_id)
    parties = {int(request.recipientRole), int(exchange.resourceOf(request.resourceId).ownerRole)}
    return int(exchange.batchOf(root).agencyRole) in parties
