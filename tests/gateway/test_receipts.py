"""Access receipts published by the anchoring agency (POST /api/v1/receipts/batches/{root}):
each checked against the root the gateway indexed, stored all or none, shown to the subject's
controller only (GET /api/v1/subjects/{commitment}/receipts) with its verification recomputed;
a forged receipt or proof, a stranger's upload, an unknown root are refused, nothing stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select

from civic_ledger.data.receipts import Receipt
from civic_ledger.gateway import queries, schema

from .api_fixtures import bearer, make_client, publish, sign_in


def stored(certified: Any, batch: Any) -> int:
    a = schema.access_receipts
    with certified.engine.connect() as conn:
        return conn.execute(select(func.count()).where(a.c.root == batch.root)).scalar() or 0


def forget(certified: Any, batch: Any) -> None:
    """Drop what earlier tests published of the batch (this test's own table)."""
    a = schema.access_receipts
    with certified.engine.begin() as conn:
        conn.execute(delete(a).where(a.c.root == batch.root))


def test_publish_and_the_subject_sees_each_receipt_verified(api, certified, anchored_batch):
    batch = anchored_batch
    forget(certified, batch)
    first = publish(api, batch)
    assert first.status_code == 200, first.text
    assert first.json() == {"root": batch.root, "received": 3, "stored": 3, "already_stored": 0}
    again = publish(api, batch)  # idempotent
    assert again.json()["stored"] == 0 and again.json()["already_stored"] == 3
    token = sign_in(api, certified.scenario.li)
    answer = api.get(f"/api/v1/subjects/{batch.subject}/receipts", headers=bearer(token))
    assert answer.status_code == 200, answer.text
    receipts = answer.json()["receipts"]
    assert len(receipts) == 2  # the open grant's receipt names no subject: not Li Wei's
    with certified.engine.connect() as conn:
        block = queries.receipt_batch(conn, batch.root)["block"]
    for item in receipts:
        assert item["verified"] and item["problem"] is None
        assert (
            item["verification"] == f"verified against root {batch.root} anchored in block {block}"
        )
        assert item["batch"]["tx_hash"].startswith("0x") and item["purpose"] is not None
        assert item["recipient_role"] is not None and item["owner_role"] is not None
    # another wallet (Data Forge's controller) may not read Li Wei's receipts
    other = sign_in(api, certified.scenario.forge)
    refused = api.get(f"/api/v1/subjects/{batch.subject}/receipts", headers=bearer(other))
    assert refused.status_code == 403
    assert api.get(f"/api/v1/subjects/{batch.subject}/receipts").status_code == 401


def tampered(batch: Any, **change: Any) -> dict[str, Any]:
    """The batch's publish body with the first receipt's fields changed (its proof kept)."""
    body = batch.body()
    body["receipts"][0] = {**body["receipts"][0], **change}
    return body


def test_a_forged_receipt_or_proof_is_refused_and_nothing_stored(api, certified, anchored_batch):
    batch = anchored_batch
    forget(certified, batch)
    first = batch.receipts[0]
    sibling = batch.body()["receipts"][1]["proof"]
    cases = {
        "another payload": tampered(batch, payload_hash="0x" + "ab" * 32),
        "a later delivery": tampered(batch, delivered_at=first.delivered_at + 1),
        "another grant": tampered(batch, grant_id=first.grant_id + 1),
        "another subject": tampered(batch, subject=certified.subject("Chain Labs Ltd")),
        "another receipt's proof": tampered(batch, proof=sibling),
        "no proof": tampered(batch, proof=[]),
        "a forged sibling": tampered(batch, proof=["0x" + "cd" * 32]),
    }
    for name, body in cases.items():
        answer = publish(api, batch, body)
        assert answer.status_code == 422, name
        error = answer.json()["error"]
        assert "receipt 0" in error and "proof does not lead to the batch's root" in error, name
        assert "nothing stored" in error, name
        assert stored(certified, batch) == 0, name
    # the same receipt twice in one request
    duplicate = batch.body()
    duplicate["receipts"].append(duplicate["receipts"][0])
    assert "repeats receipt 0" in publish(api, batch, duplicate).json()["error"]
    assert stored(certified, batch) == 0


def test_only_the_anchoring_account_publishes_to_a_known_root(api, certified, anchored_batch):
    batch = anchored_batch
    forget(certified, batch)
    url = f"/api/v1/receipts/batches/{batch.root}"
    assert api.post(url, json=batch.body()).status_code == 401
    li = sign_in(api, certified.scenario.li)
    stranger = api.post(url, json=batch.body(), headers=bearer(li))
    assert stranger.status_code == 403 and "anchored this batch" in stranger.json()["error"]
    token = sign_in(api, batch.operator)
    unknown = api.post("/api/v1/receipts/batches/0x" + "12" * 32, json=batch.body(),
                       headers=bearer(token))  # fmt: skip
    assert unknown.status_code == 404 and "no indexed batch" in unknown.json()["error"]
    assert (
        api.post("/api/v1/receipts/batches/junk", json={}, headers=bearer(token)).status_code == 422
    )
    bad = {
        "not JSON": dict(content=b"{not json", headers={"content-type": "application/json"}),
        "no receipts": dict(json={"receipts": []}),
        "a long proof": dict(json=tampered(batch, proof=["0x" + "11" * 32] * 33)),
        "a malformed hash": dict(json=tampered(batch, subject="0x12")),
        "a huge grant id": dict(json=tampered(batch, grant_id=2**64)),
    }
    for name, kwargs in bad.items():
        headers = {**bearer(token), **kwargs.pop("headers", {})}
        answer = api.post(url, headers=headers, **kwargs)
        assert answer.status_code == 422, (name, answer.text)
        assert answer.json()["error"], name
    form = api.post(url, data={"receipts": "x"}, headers=bearer(token))
    assert form.status_code == 415
    huge = api.post(url, content=b"[" + b" " * (11 * 1024 * 1024) + b"]",
                    headers={**bearer(token), "content-type": "application/json"})  # fmt: skip
    assert huge.status_code == 413
    assert stored(certified, batch) == 0


def test_verification_reasons():
    """What `receipt_problem` says for each way a stored receipt can fail (a fork took the
    batch away, a grant no longer indexed, a mismatched subject or party)."""
    from civic_ledger.data.receipts import MerkleTree

    subject = bytes.fromhex("11" * 32)
    receipt = Receipt(7, subject, bytes.fromhex("22" * 32), 1_700_000_000)
    other = Receipt(8, subject, bytes.fromhex("33" * 32), 1_700_000_001)
    tree = MerkleTree([receipt.leaf, other.leaf])
    root = "0x" + tree.root.hex()
    proof = tree.proof(receipt.leaf)
    batch = {"agency_role": 5}
    grant = {"subject": "0x" + subject.hex(), "recipient_role": 9, "owner_role": 5}
    assert queries.receipt_problem(receipt, proof, root, batch, grant) is None
    assert queries.receipt_problem(receipt, proof, root, None, grant) == "batch"
    assert queries.receipt_problem(receipt, tree.proof(other.leaf), root, batch, grant) == "proof"
    assert queries.receipt_problem(receipt, proof, root, batch, None) == "grant"
    assert queries.receipt_problem(receipt, proof, root, batch,
                                   {**grant, "subject": "0x" + "44" * 32}) == "subject"  # fmt: skip
    assert queries.receipt_problem(receipt, proof, root, {"agency_role": 6}, grant) == "party"
    assert set(queries.RECEIPT_PROBLEMS) == {"batch", "proof", "grant", "subject", "party"}


def test_the_agency_publishes_with_the_command(certified, city, anchored_batch, accounts, tmp_path):
    """`data receipts-publish` signs in as the anchoring account and publishes every anchored
    batch of its store; run again, nothing new; another account is refused by the gateway in
    one line."""
    import json

    from hostile.harness import invoke
    from portal.browser import serving

    import civic_ledger.cli.data_receipts  # noqa: F401  (registers the receipts commands)
    from civic_ledger.cli.data import data

    batch = anchored_batch
    forget(certified, batch)
    alias = {a.address: f"TEST::{i}" for i, a in enumerate(accounts)}
    manifest = str(city["suite"].manifest.path)
    command = data.commands["receipts-publish"]
    with make_client(certified, tmp_path / "documents") as client, serving(client.app) as url:

        def publish_as(account: Any, *roots: str) -> Any:
            return invoke(command, [*roots, "--gateway", url, "--store", str(batch.store),
                                    "--account", alias[account.address], "--json",
                                    "--manifest", manifest])  # fmt: skip

        first = publish_as(batch.operator)
        assert first.exit_code == 0, first.output
        result = json.loads(first.stdout)["result"]
        assert result["batches"] == [{"root": batch.root, "receipts": 3, "new": 3}]
        assert stored(certified, batch) == 3
        again = json.loads(publish_as(batch.operator, batch.root).stdout)["result"]
        assert again["batches"] == [{"root": batch.root, "receipts": 3, "new": 0}]
        stranger = publish_as(certified.scenario.li)
        assert stranger.exit_code == 1 and stranger.stderr.count("Error:") == 1
        assert "the gateway refused (403)" in stranger.stderr
        assert "only the account that anchored this batch" in stranger.stderr
