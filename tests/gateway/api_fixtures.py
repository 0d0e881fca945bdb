"""Fixtures of the read API's tests: the demo city with certificates on top, indexed once per
session, and API clients over that index.

The demo registers no certificate schema, so `certified` marks its business-licence and
tax-penalty schemas as certificates and issues certificates in every state the contract
knows: valid, revoked (issued in error), superseded, expired, disputed (an adverse
certificate under an open dispute), plus a personal (non-certificate) record whose document
only its issuer and subject may read. Each certificate's evidence hash is the keccak-256 of a
document's bytes (`DOCUMENTS`). `certified` is session-scoped: tests that run after it in the
same session see these records and the chain 11 days later (the indexer's tests compare with
the chain as it is, so they are unaffected)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from fastapi.testclient import TestClient

from civic_ledger.access.roles import RoleId
from civic_ledger.chain.client import Web3Client
from civic_ledger.core.documents import content_hash
from civic_ledger.core.times import DAY
from civic_ledger.gateway.api import create_app
from civic_ledger.gateway.db import connect
from civic_ledger.gateway.indexer import Indexer
from civic_ledger.gateway.web import ApiSettings
from civic_ledger.identity import records as record_client
from civic_ledger.identity.records import RecordRequest, RevocationReason

LICENCE_LAYOUT = "uint64 licenceNo,uint16 sector"

#: name -> the document's bytes (its keccak-256 is the record's evidence hash)
DOCUMENTS = {
    "valid": b"Business licence 7001, Chain Labs Ltd, sector 62",
    "revoked": b"Business licence 7002, Chain Labs Ltd, sector 62 (issued in error)",
    "superseded": b"Business licence 7003, Chain Labs Ltd, sector 62",
    "replacement": b"Business licence 7004, Chain Labs Ltd, sector 62 (replaces 7003)",
    "expiring": b"Business licence 7005, Chain Labs Ltd, valid for ten days",
    "disputed": b"Tax penalty notice 2026-31, Data Forge Co",
    "personal": b"Tax return 2026 of Chain Labs Ltd: personal evidence",
}


def document_hash(name: str) -> str:
    return "0x" + content_hash(DOCUMENTS[name]).hex()


@dataclass(frozen=True)
class Certified:
    """What `certified` added: record ids by case, the agencies and subjects involved."""

    ids: dict[str, str]
    suite: Any
    scenario: Any
    engine: Any

    def account(self, name: str) -> Any:
        """An actor's account: an agency name, or `labs` / `forge` (the firms' controllers)."""
        sc = self.scenario
        return {"labs": sc.labs, "forge": sc.forge, "li": sc.li}.get(name) or sc.cast[name]

    def subject(self, firm: str) -> str:
        return "0x" + bytes(self.scenario.subjects[firm]).hex()


def _licence(sc: Any, number: int, name: str, **extra: Any) -> RecordRequest:
    return RecordRequest(
        schema_id=sc.licence,
        subject=sc.subjects["Chain Labs Ltd"],
        evidence_hash=content_hash(DOCUMENTS[name]),
        data=record_client.encode_data(LICENCE_LAYOUT, {"licenceNo": number, "sector": 62}),
        **extra,
    )


@pytest.fixture(scope="session")
def certified(city: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Certified:
    """The demo city, certificates in every state on top, indexed into one session database
    (the API tests only read it): SQLite, or the empty database $CIVIC_GATEWAY_TEST_URL names."""
    import ape

    suite, sc = city["suite"], city["scenario"]
    rr = suite["RecordRegistry"]
    admin, market, tax = sc.cast["data_bureau"], sc.cast["market_regulator"], sc.cast["tax_bureau"]
    rr.setCertificate(sc.licence, True, sender=admin)
    rr.setCertificate(sc.penalty, True, sender=admin)
    ids: dict[str, bytes] = {}
    now = int(ape.chain.pending_timestamp)
    ids["valid"] = record_client.issue(rr, _licence(sc, 7001, "valid"), sender=market)
    ids["revoked"] = record_client.issue(rr, _licence(sc, 7002, "revoked"), sender=market)
    record_client.revoke(rr, ids["revoked"], RevocationReason.ISSUED_IN_ERROR, sender=market)
    ids["superseded"] = record_client.issue(rr, _licence(sc, 7003, "superseded"), sender=market)
    replacement = _licence(sc, 7004, "replacement", supersedes=ids["superseded"])
    ids["replacement"] = record_client.issue(rr, replacement, sender=market)
    expiring = _licence(sc, 7005, "expiring", expires_at=now + 10 * DAY)
    ids["expiring"] = record_client.issue(rr, expiring, sender=market)
    personal = RecordRequest(
        schema_id=sc.compliance,
        subject=sc.subjects["Chain Labs Ltd"],
        evidence_hash=content_hash(DOCUMENTS["personal"]),
        data=record_client.encode_data(
            "uint16 year,bool compliant", {"year": 2026, "compliant": True}
        ),
    )
    ids["personal"] = record_client.issue(rr, personal, sender=tax)
    ape.chain.pending_timestamp = now + 11 * DAY  # the expiring licence lapses
    ape.chain.mine()
    penalty = RecordRequest(
        schema_id=sc.penalty,
        subject=sc.subjects["Data Forge Co"],
        evidence_hash=content_hash(DOCUMENTS["disputed"]),
        data=record_client.encode_data(
            "uint256 amount,uint16 article", {"amount": 9_000, "article": 12}
        ),
    )
    ids["disputed"] = record_client.issue(rr, penalty, sender=tax)
    record_client.dispute(rr, ids["disputed"], content_hash(b"appeal 2026-31"), sender=sc.forge)
    ape.chain.mine()

    # CIVIC_GATEWAY_TEST_URL: an empty PostgreSQL database to run these tests on instead
    url = os.environ.get("CIVIC_GATEWAY_TEST_URL") or str(
        tmp_path_factory.mktemp("gateway-api") / "gateway.sqlite"
    )
    engine = connect(url)
    Indexer.for_manifest(engine, Web3Client.from_ape(), city["manifest"]).step()
    return Certified({k: "0x" + bytes(v).hex() for k, v in ids.items()}, suite, sc, engine)


def make_client(certified: Certified, folder: Path, **settings: Any) -> TestClient:
    options = {"rate": 10_000.0, "burst": 10_000, **settings}
    app = create_app(certified.engine, documents=folder, settings=ApiSettings(**options))
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def api(certified: Certified, tmp_path: Path) -> Iterator[TestClient]:
    """An API over the certified city's index (no practical rate limit), documents in a fresh
    folder."""
    with make_client(certified, tmp_path / "documents") as client:
        yield client


def sign_in(api: TestClient, account: Any) -> str:
    """A bearer token for `account`: ask a challenge, sign it with the account's key."""
    challenge = api.post("/api/v1/auth/challenge", json={"address": account.address})
    assert challenge.status_code == 200, challenge.text
    signature = sign(account, challenge.json()["challenge"])
    session = api.post(
        "/api/v1/auth/session", json={"address": account.address, "signature": signature}
    )
    assert session.status_code == 200, session.text
    return session.json()["token"]


def sign(account: Any, text: str) -> str:
    """personal_sign of `text` by a test account (its private key)."""
    signed = Account.sign_message(encode_defunct(text=text), private_key=account.private_key)
    return "0x" + bytes(signed.signature).hex()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# ------------------------------------------------------------------ published access receipts


@dataclass(frozen=True)
class AnchoredBatch:
    """A batch the land registry anchored on top of the certified city (indexed): two
    deliveries of Li Wei's data under his grants and one under the open statistics grant."""

    root: str
    tree: Any
    receipts: list[Any]
    operator: Any  # the land registry's account (the batch's `operator`)
    subject: str  # Li Wei's commitment
    store: Path  # the land registry's leaf store (`data receipts-publish --store`)

    def body(self, receipts: list[Any] | None = None) -> dict[str, Any]:
        """The publish request for `receipts` (default: all), each with its proof."""
        return {"receipts": [self.item(r) for r in receipts or self.receipts]}

    def item(self, receipt: Any) -> dict[str, Any]:
        return {
            "grant_id": receipt.grant_id,
            "subject": "0x" + bytes(receipt.subject).hex(),
            "payload_hash": "0x" + bytes(receipt.payload_hash).hex(),
            "delivered_at": receipt.delivered_at,
            "proof": ["0x" + p.hex() for p in self.tree.proof(receipt.leaf)],
        }


@pytest.fixture(scope="session")
def anchored_batch(
    certified: Certified, city: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> AnchoredBatch:
    import ape
    from sqlalchemy import select

    from civic_ledger.data import receipts as rc
    from civic_ledger.gateway import schema

    sc = certified.scenario
    li = certified.subject("Li Wei")
    q = schema.data_requests
    with certified.engine.connect() as conn:
        mine = conn.execute(select(q.c.request_id).where(q.c.subject == li)).scalars().all()
        open_grant = conn.execute(
            select(q.c.request_id).where(q.c.subject == "0x" + "00" * 32, q.c.status == "granted")
        ).scalars().first()  # fmt: skip
    now = int(ape.chain.pending_timestamp)
    store = rc.LeafStore(tmp_path_factory.mktemp("receipts"))
    receipts = [
        rc.Receipt(grant, bytes.fromhex(li[2:]), content_hash(f"extract {grant}".encode()), now - 60)
        for grant in sorted(mine)
    ]  # fmt: skip
    receipts.append(rc.Receipt(open_grant, bytes(32), content_hash(b"statistics"), now - 30))
    store.add_many(receipts)
    registry = sc.cast["land_registry"]
    ex = certified.suite["DataExchange"]
    (root,) = rc.anchor_pending(ex, store, RoleId.REGISTRAR, sender=registry)
    indexer = Indexer.for_manifest(certified.engine, Web3Client.from_ape(), city["manifest"])
    while (step := indexer.step()).last < step.head:
        pass
    return AnchoredBatch("0x" + root.hex(), store.batch(root), receipts, registry, li,
                         store.path.parent)  # fmt: skip


def publish(api: TestClient, batch: AnchoredBatch, body: dict[str, Any] | None = None) -> Any:
    """POST the batch's receipts (or `body`) as its operator."""
    token = sign_in(api, batch.operator)
    return api.post(f"/api/v1/receipts/batches/{batch.root}", json=body or batch.body(),
                    headers=bearer(token))  # fmt: skip
