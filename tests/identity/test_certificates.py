"""E-certificates (issue #16): a schema marked as a certificate by the records administrator,
one view call verifying a presented certificate from its record id and document hash, and the
QR payload. The exploits come first: a forged document, a record of a schema that is not a
certificate, a revoked, an expired and a disputed certificate must never read Valid."""

from __future__ import annotations

import ape
import pytest
from reverts import reverts

from civic_ledger.core.encoding import ZERO32
from civic_ledger.core.exceptions import PayloadError
from civic_ledger.identity import certificates as certs
from civic_ledger.identity.certificates import CertificateStatus, Payload
from civic_ledger.identity.records import RevocationReason

from .helpers import DAY, callers, evidence

UNKNOWN, VALID, REVOKED, EXPIRED, DISPUTED = (
    CertificateStatus.UNKNOWN,
    CertificateStatus.VALID,
    CertificateStatus.REVOKED,
    CertificateStatus.EXPIRED,
    CertificateStatus.DISPUTED,
)
NOTHING = (UNKNOWN, 0, ape.utils.ZERO_ADDRESS, 0, 0)


@pytest.fixture
def licence(records, schemas, data_bureau) -> int:
    records.setCertificate(schemas.licence, True, sender=data_bureau)
    return schemas.licence


def status(records, record_id: bytes, document: bytes) -> tuple:
    answer = records.verifyCertificate(record_id, document)
    return (CertificateStatus(answer[0]), int(answer[1]), answer[2], int(answer[3]), int(answer[4]))


def test_a_valid_certificate_verifies_with_its_issuer_schema_and_expiry(
    records, licence, acme, issue, market
):
    expiry = ape.chain.pending_timestamp + 365 * DAY
    rid = issue(licence, acme.subject, evidence_hash=evidence("licence-0042"), expires_at=expiry)
    assert status(records, rid, evidence("licence-0042")) == (
        VALID, 0, market.address, licence, expiry,
    )  # fmt: skip


def test_exploit_forged_document_hash_reads_unknown_and_reveals_nothing(
    records, licence, acme, issue
):
    rid = issue(licence, acme.subject, evidence_hash=evidence("licence-0042"))
    assert status(records, rid, evidence("licence-0042 (altered)")) == NOTHING
    assert status(records, rid, ZERO32) == NOTHING
    assert status(records, b"\x42" * 32, evidence("licence-0042")) == NOTHING  # no such record


def test_exploit_a_record_issued_without_evidence_never_verifies(records, licence, acme, issue):
    """Zero is no document: a record without evidence hash does not verify with hash zero."""
    rid = issue(licence, acme.subject, evidence_hash=ZERO32)
    assert status(records, rid, ZERO32) == NOTHING


def test_exploit_a_record_of_a_non_certificate_schema_reads_unknown(
    records, schemas, licence, acme, issue, data_bureau
):
    tax = issue(schemas.tax_ok, acme.subject, evidence_hash=evidence("tax-2026"))
    assert status(records, tax, evidence("tax-2026")) == NOTHING
    rid = issue(licence, acme.subject, evidence_hash=evidence("licence-7"))
    records.setCertificate(licence, False, sender=data_bureau)  # unmarked: no longer verifies
    assert status(records, rid, evidence("licence-7")) == NOTHING


def test_exploit_a_revoked_certificate_reads_revoked_with_its_reason(
    records, licence, acme, issue, market
):
    rid = issue(licence, acme.subject, evidence_hash=evidence("licence-9"))
    records.revoke(rid, RevocationReason.OTHER, evidence("fraud finding"), sender=market)
    assert status(records, rid, evidence("licence-9"))[:2] == (REVOKED, RevocationReason.OTHER)
    # superseded: the old licence reads revoked, code 3; the new one is valid
    old = issue(licence, acme.subject, evidence_hash=evidence("licence-10"))
    new = issue(licence, acme.subject, evidence_hash=evidence("licence-11"), supersedes=old)
    assert status(records, old, evidence("licence-10"))[:2] == (
        REVOKED,
        RevocationReason.SUPERSEDED,
    )
    assert status(records, new, evidence("licence-11"))[0] == VALID


def test_a_revocation_before_marking_keeps_reason_code_zero(
    records, schemas, acme, issue, market, data_bureau
):
    rid = issue(schemas.licence, acme.subject, evidence_hash=evidence("licence-old"))
    records.revoke(rid, RevocationReason.ISSUED_IN_ERROR, ZERO32, sender=market)
    records.setCertificate(schemas.licence, True, sender=data_bureau)
    assert status(records, rid, evidence("licence-old"))[:2] == (REVOKED, 0)


def test_exploit_an_expired_certificate_reads_expired(records, licence, acme, issue):
    expiry = ape.chain.pending_timestamp + 10 * DAY
    rid = issue(licence, acme.subject, evidence_hash=evidence("licence-e"), expires_at=expiry)
    assert status(records, rid, evidence("licence-e"))[0] == VALID
    ape.chain.pending_timestamp = expiry
    ape.chain.mine()
    assert status(records, rid, evidence("licence-e"))[0] == EXPIRED


def test_exploit_a_disputed_certificate_reads_disputed_until_the_ruling(
    records, schemas, alice, issue, data_bureau, arbiter
):
    """Only adverse records are disputable: an adverse certificate schema (a trading ban)."""
    records.setCertificate(schemas.tax_penalty, True, sender=data_bureau)
    rid = issue(schemas.tax_penalty, alice.subject, evidence_hash=evidence("ban-1"))
    assert status(records, rid, evidence("ban-1"))[0] == VALID
    records.dispute(rid, evidence("appeal"), sender=alice.account)
    assert status(records, rid, evidence("ban-1"))[0] == DISPUTED
    ape.chain.pending_timestamp += 30 * DAY  # the stay lapses: still under dispute
    ape.chain.mine()
    assert status(records, rid, evidence("ban-1"))[0] == DISPUTED
    records.resolveDispute(rid, False, evidence("ruling"), sender=arbiter)
    assert status(records, rid, evidence("ban-1"))[:2] == (REVOKED, RevocationReason.OVERTURNED)


def test_only_the_records_administrator_marks_certificates(
    records, schemas, agency, data_bureau, outsider
):
    not_records_admin = "tax_bureau market_regulator identity_office arbitration_office deployer"
    for caller in callers(agency, not_records_admin, outsider):
        with reverts("AccessManagedUnauthorized", caller=caller.address):
            records.setCertificate(schemas.licence, True, sender=caller)
    with reverts("RecordUnknownSchema", schemaId=99):
        records.setCertificate(99, True, sender=data_bureau)
    receipt = records.setCertificate(schemas.licence, True, sender=data_bureau)
    [event] = records.CertificateSchemaSet.from_receipt(receipt)
    assert (event.schemaId, event.operator, event.certificate) == (
        schemas.licence, data_bureau.address, True,
    )  # fmt: skip


def test_is_certificate_reads_the_namespace_slot(records, schemas, data_bureau):
    web3 = ape.chain.provider.web3
    assert not certs.is_certificate(web3, records.address, schemas.licence)
    records.setCertificate(schemas.licence, True, sender=data_bureau)
    assert certs.is_certificate(web3, records.address, schemas.licence)
    assert not certs.is_certificate(web3, records.address, schemas.tax_ok)
    records.setCertificate(schemas.licence, False, sender=data_bureau)
    assert not certs.is_certificate(web3, records.address, schemas.licence)


# ------------------------------------------------------------------------------ the payload

VECTOR = Payload(
    chain_id=7341,
    registry="0x5FbDB2315678afecb367f032d93F642f64180aa3",
    record_id=bytes(range(32)),
    document_hash=bytes(range(32, 64)),
)
VECTOR_TEXT = (
    "CIVIC:1:7341:5FBDB2315678AFECB367F032D93F642F64180AA3:"
    "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F:"
    "202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F"
)


def test_payload_test_vector_and_round_trip():
    assert certs.encode_payload(VECTOR) == VECTOR_TEXT
    assert certs.decode_payload(VECTOR_TEXT) == VECTOR
    assert certs.decode_payload(f"  {VECTOR_TEXT.lower()}\n") == VECTOR
    assert certs.encode_payload(certs.decode_payload(VECTOR_TEXT)) == VECTOR_TEXT


def test_payload_is_one_alphanumeric_qr_symbol():
    symbol = certs.qr_code(VECTOR_TEXT)
    assert (symbol.mode, symbol.error, symbol.version) == ("alphanumeric", "M", 8)


@pytest.mark.parametrize(
    "text, words",
    [
        ("", "not a certificate payload"),
        ("CIVIC:1:7341", "expected CIVIC:1:"),
        (VECTOR_TEXT.replace("CIVIC:1:", "CIVIC:2:"), "version 2"),
        (VECTOR_TEXT.replace(":7341:", ":0:"), "out of range"),
        (VECTOR_TEXT.replace(":7341:", f":{2**64}:"), "out of range"),
        (VECTOR_TEXT.replace(":7341:", ":-1:"), "not a certificate payload"),
        (VECTOR_TEXT[:-1], "not a certificate payload"),
        (VECTOR_TEXT + "0", "not a certificate payload"),
        (VECTOR_TEXT + ":", "not a certificate payload"),
        (VECTOR_TEXT.replace("5FBDB", "0x5FB"), "not a certificate payload"),
        (VECTOR_TEXT.replace("CIVIC", "HTTPS"), "not a certificate payload"),
        ("CIVIC:1:7341:\u202e\u0000" + "A" * 160, "not a certificate payload"),
        ("A" * 100_000, "100000 characters"),
    ],
)
def test_malformed_payloads_are_refused_in_one_line(text, words):
    with pytest.raises(PayloadError) as err:
        certs.decode_payload(text)
    assert words in str(err.value) and "\n" not in str(err.value)


def test_a_payload_for_another_chain_or_registry_is_refused():
    certs.check_payload(VECTOR, 7341, VECTOR.registry.lower())
    with pytest.raises(PayloadError, match="chain 7341"):
        certs.check_payload(VECTOR, 1337, VECTOR.registry)
    with pytest.raises(PayloadError, match="forged or foreign"):
        certs.check_payload(VECTOR, 7341, "0x" + "11" * 20)


def test_the_integration_doc_carries_the_test_vector():
    from civic_ledger.core.paths import ROOT

    doc = (ROOT / "docs" / "integration.md").read_text(encoding="utf-8")
    assert VECTOR_TEXT in doc and "### Certificate verification payload" in doc
