"""The document service: the issuer uploads the document a record's evidence hash names; a
certificate's document is public, personal evidence is served to its issuer and subject only.
The attacks: a body that is not the named document, an oversized upload, an unknown hash, an
upload by someone who is not the issuer, a stranger reading personal evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from civic_ledger.core.exceptions import DocumentError
from civic_ledger.gateway.documents import DocumentStore

from .api_fixtures import DOCUMENTS, bearer, document_hash, make_client, sign_in


def url(name: str) -> str:
    return f"/api/v1/documents/{document_hash(name)}"


def test_the_issuer_uploads_a_certificate_and_anyone_reads_it(api, certified, tmp_path):
    market = sign_in(api, certified.account("market_regulator"))
    assert api.get(url("valid")).status_code == 404  # not uploaded yet
    stored = api.put(url("valid"), content=DOCUMENTS["valid"], headers=bearer(market))
    assert stored.status_code == 200, stored.text
    assert stored.json() == {"hash": document_hash("valid"), "bytes": len(DOCUMENTS["valid"]),
                             "stored": "new"}  # fmt: skip
    again = api.put(url("valid"), content=DOCUMENTS["valid"], headers=bearer(market))
    assert again.json()["stored"] == "already stored"  # idempotent
    read = api.get(url("valid"))  # no token: a certificate is public
    assert read.status_code == 200 and read.content == DOCUMENTS["valid"]
    digits = document_hash("valid")[2:]
    assert (tmp_path / "documents" / digits[:2] / digits).read_bytes() == DOCUMENTS["valid"]
    assert not list((tmp_path / "documents").rglob(".upload-*"))


def test_personal_evidence_is_for_its_issuer_and_subject_only(api, certified):
    tax = sign_in(api, certified.account("tax_bureau"))
    assert (
        api.put(url("personal"), content=DOCUMENTS["personal"], headers=bearer(tax)).status_code
        == 200
    )
    assert api.get(url("personal")).status_code == 401
    for stranger in ("forge", "market_regulator"):
        token = sign_in(api, certified.account(stranger))
        response = api.get(url("personal"), headers=bearer(token))
        assert response.status_code == 403 and list(response.json()) == ["error"], stranger
    for allowed in (tax, sign_in(api, certified.account("labs"))):
        response = api.get(url("personal"), headers=bearer(allowed))
        assert response.status_code == 200 and response.content == DOCUMENTS["personal"]


def test_exploit_a_body_that_is_not_the_named_document_is_422_naming_both(api, certified):
    market = sign_in(api, certified.account("market_regulator"))
    forged = b"Business licence 7001, Chain Labs Ltd, sector 99"
    response = api.put(url("valid"), content=forged, headers=bearer(market))
    assert response.status_code == 422
    message = response.json()["error"]
    assert document_hash("valid") in message and "0x" in message.replace(document_hash("valid"), "")
    assert api.get(url("valid")).status_code == 404  # nothing stored


def test_exploit_only_the_issuer_uploads(api, certified):
    assert api.put(url("valid"), content=DOCUMENTS["valid"]).status_code == 401
    for other in ("tax_bureau", "labs"):  # another agency; the subject itself
        token = sign_in(api, certified.account(other))
        response = api.put(url("valid"), content=DOCUMENTS["valid"], headers=bearer(token))
        assert response.status_code == 403, other


def test_an_unknown_hash_is_404_and_a_malformed_one_422(api, certified):
    market = sign_in(api, certified.account("market_regulator"))
    body = b"a document no record names"
    from civic_ledger.core.documents import content_hash

    unknown = "0x" + content_hash(body).hex()
    response = api.put(f"/api/v1/documents/{unknown}", content=body, headers=bearer(market))
    assert response.status_code == 404
    assert api.get(f"/api/v1/documents/{unknown}").status_code == 404
    bad = api.put("/api/v1/documents/0x1234", content=body, headers=bearer(market))
    assert bad.status_code == 422 and "hash" in bad.json()["error"]


def test_exploit_an_oversized_upload_is_413_and_nothing_is_stored(certified, tmp_path):
    with make_client(certified, tmp_path / "documents", max_document_bytes=16) as small:
        market = sign_in(small, certified.account("market_regulator"))
        response = small.put(url("valid"), content=DOCUMENTS["valid"], headers=bearer(market))
        assert response.status_code == 413 and list(response.json()) == ["error"]

        def chunks():  # no Content-Length: the limit holds while streaming
            yield DOCUMENTS["valid"][:10]
            yield DOCUMENTS["valid"][10:]

        streamed = small.put(url("valid"), content=chunks(), headers=bearer(market))
        assert streamed.status_code == 413
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_the_store_checks_the_hash_and_writes_once(tmp_path: Path):
    store = DocumentStore(tmp_path)
    with pytest.raises(DocumentError, match="keccak-256"):
        store.put(document_hash("valid"), b"something else")
    assert store.put(document_hash("valid"), DOCUMENTS["valid"]) is True
    assert store.put(document_hash("valid"), DOCUMENTS["valid"]) is False
    with pytest.raises(DocumentError):
        store.path_of("../../etc/passwd")
