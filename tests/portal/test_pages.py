"""The portal's pages without a browser (TestClient over the whole app): every page answers
from the index, every bad input is a page saying what is wrong with a 4xx status and nothing
stored, and the security headers, CSRF tokens and session cookie hold."""

from __future__ import annotations

import time
from typing import Any

import pytest
from gateway.api_fixtures import publish, sign

from .helpers import DOCUMENTS, csrf_of, document_hash, main_text, sold_parcel

CSP = "default-src 'self'; script-src 'self'; frame-ancestors 'none'"


def verify(portal: Any, case: str) -> Any:
    return portal.get(
        "/verify", params={"record": case_id(portal, case), "document": document_hash(case)}
    )


def case_id(portal: Any, case: str) -> str:
    return portal.certified.ids[case]


@pytest.fixture
def site(portal: Any, certified: Any) -> Any:
    portal.certified = certified
    return portal


@pytest.mark.parametrize(
    ("case", "status", "words"),
    [
        ("valid", "valid", "has not been revoked"),
        ("revoked", "revoked", "it was issued in error"),
        ("disputed", "disputed", "has disputed it"),
        ("expiring", "expired", "its time has run out"),
    ],
)
def test_verify_by_id_and_hash(site, case, status, words):
    page = verify(site, case)
    assert page.status_code == 200
    assert f'data-status="{status}"' in page.text
    text = main_text(page.text)
    assert words in text
    assert site.certified.ids[case] in text  # the record, its issuer and deciding tx shown
    assert "Deciding transaction" in text and "Issuer" in text


def test_verify_unknown_and_wrong_document(site):
    page = site.get("/verify", params={"record": site.certified.ids["valid"],
                                       "document": document_hash("revoked")})  # fmt: skip
    assert page.status_code == 200 and 'data-status="unknown"' in page.text
    assert "may be forged" in main_text(page.text)


def test_verify_record_standing_by_id_alone(site):
    page = site.get("/verify", params={"record": site.certified.ids["disputed"]})
    assert 'data-status="disputed"' in page.text


def test_verify_by_qr_payload(site, certified):
    from civic_ledger.identity.certificates import payload_for

    registry = certified.suite["RecordRegistry"].address
    chain_id = int(certified.suite["RecordRegistry"].provider.chain_id)
    rid, doc = certified.ids["valid"], document_hash("valid")
    payload = payload_for(chain_id, registry, bytes.fromhex(rid[2:]), bytes.fromhex(doc[2:]))
    page = site.get("/verify", params={"payload": payload})
    assert page.status_code == 200 and 'data-status="valid"' in page.text
    foreign = payload_for(
        chain_id, "0x" + "12" * 20, bytes.fromhex(rid[2:]), bytes.fromhex(doc[2:])
    )
    page = site.get("/verify", params={"payload": foreign})
    assert page.status_code == 422 and "foreign or forged" in main_text(page.text)
    other_chain = payload_for(
        chain_id + 1, registry, bytes.fromhex(rid[2:]), bytes.fromhex(doc[2:])
    )
    page = site.get("/verify", params={"payload": other_chain})
    assert page.status_code == 422 and "another chain" in main_text(page.text)


def upload(
    site: Any, record: str, content: bytes, kind: str = "text/plain", token: str | None = ""
) -> Any:
    form = site.get("/verify")
    csrf = csrf_of(form.text) if token == "" else token
    data = {"record": record} | ({"csrf": csrf} if csrf is not None else {})
    return site.post("/verify", data=data, files={"document": ("doc.txt", content, kind)})


def test_verify_by_upload(site, tmp_path):
    page = upload(site, site.certified.ids["valid"], DOCUMENTS["valid"])
    assert page.status_code == 200 and 'data-status="valid"' in page.text
    page = upload(site, site.certified.ids["valid"], DOCUMENTS["valid"] + b" (altered)")
    assert 'data-status="unknown"' in page.text
    assert not (tmp_path / "documents").exists() or not any((tmp_path / "documents").iterdir())


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"record": "0x1234"}, 422, "must be 0x followed by 64"),
        ({"record": "<script>alert(1)</script>"}, 422, "must be 0x followed by 64"),
        ({"record": "0x" + "ab" * 32, "document": "nope"}, 422, "document hash must be"),
        ({"document": "0x" + "ab" * 32}, 422, "together with the document hash"),
        ({"payload": "CIVIC:1:1:zz"}, 422, "not a certificate's QR payload"),
        ({"payload": "x" * 400}, 414, "too long"),
    ],
)
def test_verify_refusals(site, params, status, words):
    page = site.get("/verify", params=params)
    assert page.status_code == status
    assert words in main_text(page.text)
    assert "<script>alert" not in page.text  # escaped wherever it is shown


def test_upload_refusals(site):
    rid = site.certified.ids["valid"]
    assert upload(site, rid, b"x", token=None).status_code == 403  # no CSRF field
    assert upload(site, rid, b"x", token="forged.token").status_code == 403
    page = upload(site, rid, b"<html><script>alert(1)</script></html>", kind="text/html")
    assert page.status_code == 415 and "not accepted" in main_text(page.text)
    assert upload(site, rid, b"").status_code == 422
    assert upload(site, "0xnothex", b"abc").status_code == 422
    big = upload(site, rid, b"0" * (5 * 1024 * 1024 + 10))
    assert big.status_code == 413 and "larger than 5 MB" in main_text(big.text)
    wrong = site.post("/verify", content=b"record=1", headers={"content-type": "application/json"})
    assert wrong.status_code == 415


def test_parcel_after_a_sale(site, certified):
    parcel_id, seller, buyer = sold_parcel(certified)
    page = site.get("/parcels", params={"parcel": parcel_id}, follow_redirects=True)
    assert page.status_code == 200
    text = main_text(page.text)
    assert buyer in text and seller in text and "sold" in text
    assert "Property tax" in text and "Open liens" in text
    printable = site.get(page.url.path + "/print")
    assert printable.status_code == 200
    assert "<svg" in printable.text and str(page.url.path) in printable.text  # the QR leads back
    assert site.get("/parcels/0x" + "00" * 31 + "01").status_code == 404
    assert site.get("/parcels/not-a-parcel").status_code == 422
    assert site.get("/parcels/" + "9" * 78).status_code == 422
    assert site.get("/parcels", params={"parcel": "<b>x</b>"}).status_code == 422


def test_fund_and_dashboard(site):
    fund = site.get("/fund")
    assert fund.status_code == 200
    assert 'href="/api/v1/fund/payouts.csv"' in fund.text and 'id="chart-months"' in fund.text
    assert "research" in main_text(fund.text) and "rent" in main_text(fund.text)
    assert site.get("/api/v1/fund/payouts.csv").status_code == 200
    board = site.get("/dashboard")
    assert board.status_code == 200
    text = main_text(board.text)
    assert "Indexer lag" in text and "Chain head" in text and "registrations" in text
    assert 'id="chart-activity"' in board.text


def test_security_headers_on_every_page(site):
    for path in (
        "/",
        "/verify",
        "/fund",
        "/dashboard",
        "/me",
        "/verify?record=bad",
        "/static/portal.css",
    ):
        page = site.get(path)
        assert page.headers["content-security-policy"].startswith(CSP), path
        assert page.headers["x-frame-options"] == "DENY", path
        assert page.headers["x-content-type-options"] == "nosniff", path
    # no inline script anywhere: only the one static file
    home = site.get("/").text
    assert "<script>" not in home and '<script src="/static/portal.js"' in home


def test_every_post_form_carries_a_csrf_token(site):
    for path in ("/verify", "/me"):
        html = site.get(path).text
        forms = html.count('method="post"')
        assert forms and html.count('name="csrf"') == forms, path


def sign_in(site: Any, account: Any, signer: Any = None) -> Any:
    page = site.get("/me")
    asked = site.post(
        "/me/challenge", data={"csrf": csrf_of(page.text), "address": account.address}
    )
    assert asked.status_code == 200, main_text(asked.text)
    challenge = asked.text.split('id="challenge"', 1)[1].split(">", 1)[1].split("</textarea>")[0]
    import html as html_module

    text = html_module.unescape(challenge)
    signature = sign(signer or account, text)
    return site.post("/me/session", data={"csrf": csrf_of(asked.text), "address": account.address,
                                          "signature": signature}, follow_redirects=False)  # fmt: skip


def test_sign_in_shows_records_and_data_requests(site, certified):
    li = certified.scenario.li
    answer = sign_in(site, li)
    assert answer.status_code == 303 and answer.headers["location"] == "/me"
    cookie = answer.headers["set-cookie"]
    assert "civic_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Max-Age=" in cookie
    assert li.address.lower() not in answer.headers["location"].lower()
    me = site.get("/me")
    assert me.headers["cache-control"] == "no-store"
    text = main_text(me.text)
    subject = "0x" + bytes(certified.scenario.subjects["Li Wei"]).hex()
    assert subject in text
    assert 'id="my-data-requests"' in me.text and "granted" in text and "receipts, anchored" in text
    assert "records dispute RECORD_ID" in text and "data deletion-ask GRANT_ID" in text
    out = site.post("/me/signout", data={"csrf": csrf_of(me.text)}, follow_redirects=False)
    assert out.status_code == 303 and 'civic_session=""' in out.headers["set-cookie"]


def test_a_subject_sees_each_access_receipt_verified(site, certified, anchored_batch):
    """The receipts the land registry published: each with its grant, purpose, time, batch and
    "verified against root R anchored in block N"; a stored receipt whose proof was altered at
    rest shows as not verified (the proof is recomputed on every view); in Chinese too."""
    from sqlalchemy import update

    from civic_ledger.gateway import queries, schema

    batch = anchored_batch
    assert publish(site, batch).status_code == 200
    assert sign_in(site, certified.scenario.li).status_code == 303
    me = site.get("/me")
    text = main_text(me.text)
    with certified.engine.connect() as conn:
        block = queries.receipt_batch(conn, batch.root)["block"]
    assert 'id="my-receipts"' in me.text
    assert text.count(f"Verified against root {batch.root} anchored in block {block:,}") == 2
    for receipt in batch.receipts[:2]:
        assert "0x" + receipt.payload_hash.hex() in text
    assert "statistics" not in text and "0x" + batch.receipts[2].payload_hash.hex() not in text
    chinese = main_text(site.get("/me?lang=zh-CN").text)
    assert chinese.count("已对照") == 2 and batch.root in chinese
    a = schema.access_receipts
    leaf = "0x" + batch.receipts[0].leaf.hex()
    with certified.engine.begin() as conn:
        (proof,) = conn.execute(select_proof(a, leaf)).one()
        conn.execute(update(a).where(a.c.leaf == leaf).values(proof='["0x' + "ee" * 32 + '"]'))
    try:
        text = main_text(site.get("/me?lang=en").text)
        assert "Not verified: its proof does not lead to the batch's root" in text
        assert text.count("Verified against root") == 1
    finally:
        with certified.engine.begin() as conn:
            conn.execute(update(a).where(a.c.leaf == leaf).values(proof=proof))


def select_proof(table: Any, leaf: str) -> Any:
    from sqlalchemy import select

    return select(table.c.proof).where(table.c.leaf == leaf)


def test_forged_expired_and_cross_site_sign_ins(site, certified):
    sc = certified.scenario
    forged = sign_in(site, sc.li, signer=sc.forge)  # someone else's key
    assert forged.status_code == 401 and "civic_session" not in forged.headers.get("set-cookie", "")
    assert "does not match" in main_text(forged.text)
    page = site.get("/me")
    junk = site.post("/me/session", data={"csrf": csrf_of(page.text), "address": sc.li.address,
                                          "signature": "0x1234"})  # fmt: skip
    assert junk.status_code == 401 and "130 hexadecimal" in main_text(junk.text)
    bad_address = site.post(
        "/me/challenge", data={"csrf": csrf_of(page.text), "address": "<script>"}
    )
    assert bad_address.status_code == 422 and "<script>" not in bad_address.text
    # a form posted from another site carries no (valid) token
    assert site.post("/me/challenge", data={"address": sc.li.address}).status_code == 403
    site.cookies.clear()
    assert (
        site.post(
            "/me/challenge", data={"csrf": csrf_of(page.text), "address": sc.li.address}
        ).status_code
        == 403
    )
    # an expired challenge
    auth = site.app.state.gateway.auth
    page = site.get("/me")
    asked = site.post("/me/challenge", data={"csrf": csrf_of(page.text), "address": sc.li.address})
    text = asked.text.split('id="challenge"', 1)[1].split(">", 1)[1].split("</textarea>")[0]
    import html as html_module

    signature = sign(sc.li, html_module.unescape(text))
    later = auth.clock
    auth.clock = lambda: time.time() + 3600
    try:
        late = site.post("/me/session", data={"csrf": csrf_of(asked.text), "address": sc.li.address,
                                              "signature": signature})  # fmt: skip
    finally:
        auth.clock = later
    assert late.status_code == 401 and "expired" in main_text(late.text)


def test_an_expired_session_is_forgotten(site, certified):
    assert sign_in(site, certified.scenario.li).status_code == 303
    auth = site.app.state.gateway.auth
    later = auth.clock
    auth.clock = lambda: time.time() + 3600
    try:
        me = site.get("/me")
    finally:
        auth.clock = later
    assert 'id="ask-challenge"' in me.text and 'civic_session=""' in me.headers["set-cookie"]


def test_nothing_indexed_yet_is_a_page(tmp_path):
    from fastapi.testclient import TestClient

    from civic_ledger.gateway.api import create_app
    from civic_ledger.gateway.db import connect, migrate

    engine = connect(str(tmp_path / "empty.sqlite"))
    migrate(engine)
    client = TestClient(create_app(engine, documents=tmp_path / "documents"))
    page = client.get("/fund")
    assert page.status_code == 503 and page.headers["retry-after"] == "10"
    assert "has not indexed anything yet" in main_text(page.text)
    assert client.get("/api/v1/fund/rounds").json()["error"]  # the API still answers JSON
