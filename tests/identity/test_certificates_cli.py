"""`ape run admin certificates ...` on the session suite: a bank verifies a business licence
from its payload (exit 0 valid, 1 otherwise), the agency prints the payload and its QR code."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import ape
import pytest
import segno

from civic_ledger.access.roles import RoleId
from civic_ledger.cli.certificates import certificates
from civic_ledger.core.documents import document_hash
from civic_ledger.identity import certificates as certs
from civic_ledger.identity.records import RecordRequest, encode_data, issued_record_ids

from .helpers import cli_runner

LICENCE = "text:licence 110105, Acme Ltd, issued 2026-11-29"


@pytest.fixture
def run(suite: Any) -> Any:
    run_cli = cli_runner(suite)
    return lambda name, *args: run_cli(certificates, name, *args)


@pytest.fixture
def licence(suite: Any, agency: dict[str, Any], accounts: Any) -> bytes:
    """A business licence of a certificate schema, certifying the LICENCE document."""
    from civic_ledger.identity import client as id_client

    registry, bureau = suite["RecordRegistry"], agency["data_bureau"]
    receipt = registry.registerSchema(
        ("cli-licence", "uint64 licenceNo", RoleId.MARKET_RECORD_ISSUER, True, False, 0),
        sender=bureau,
    )  # fmt: skip
    schema_id = int(registry.SchemaRegistered.from_receipt(receipt)[0].schemaId)
    registry.setCertificate(schema_id, True, sender=bureau)
    firm = id_client.Registration.new("CERT-CLI-FIRM", accounts[17].address, "enterprise")
    id_client.register(suite["IdentityRegistry"], firm, sender=agency["identity_office"])
    request = RecordRequest(
        schema_id, firm.subject, evidence_hash=document_hash(LICENCE),
        data=encode_data("uint64 licenceNo", {"licenceNo": 110105}),
    )  # fmt: skip
    receipt = registry.issue(request.as_tuple(), sender=agency["market_regulator"])
    return issued_record_ids(registry, receipt)[0]


def test_a_bank_verifies_a_business_licence(run, licence, suite, agency):
    rid = "0x" + bytes(licence).hex()
    payload = run("payload", rid, "--document", LICENCE)
    assert payload.exit_code == 0, payload.output
    text = payload.output.strip().splitlines()[-1]
    decoded = certs.decode_payload(text)
    assert (decoded.record_id, decoded.document_hash) == (bytes(licence), document_hash(LICENCE))
    assert decoded.chain_id == ape.chain.chain_id

    valid = run("verify", text)
    assert valid.exit_code == 0 and "valid" in valid.text, valid.output
    assert agency["market_regulator"].address in valid.text and "cli-licence" in valid.text

    forged = text[:-4] + ("0000" if not text.endswith("0000") else "1111")
    unknown = run("verify", forged)
    assert unknown.exit_code == 1 and "unknown" in unknown.text


def test_the_qr_code_encodes_exactly_the_payload(run, licence, tmp_path):
    """No QR decoder is installed offline: the SVG parses, its size is the symbol's, and it is
    byte for byte segno's rendering of exactly the payload (whose matrix is the payload's)."""
    rid = "0x" + bytes(licence).hex()
    out = tmp_path / "licence.svg"
    result = run("qr", rid, "--document", LICENCE, "--out", str(out))
    assert result.exit_code == 0, result.output
    text = run("payload", rid, "--document", LICENCE).output.strip().splitlines()[-1]
    svg = ET.parse(out).getroot()
    assert svg.tag.endswith("svg")
    symbol = segno.make_qr(text, error="m")
    size = (symbol.symbol_size(scale=4, border=4))[0]
    assert int(svg.get("width")) == int(svg.get("height")) == size
    expected = tmp_path / "expected.svg"
    certs.write_svg(symbol, expected)
    assert out.read_bytes() == expected.read_bytes()
    assert certs.qr_code(text).matrix == symbol.matrix
    assert certs.qr_code(text + "0").matrix != symbol.matrix


def test_mark_and_unmark(run, suite, agency, licence):
    registry = suite["RecordRegistry"]
    web3 = ape.chain.provider.web3
    schema_id = int(registry.schemaIdByName("cli-licence"))
    bureau = "TEST::2"
    result = run("mark", "cli-licence", "--unmark", "--account", bureau, "--yes")
    assert result.exit_code == 0, result.output
    assert not certs.is_certificate(web3, registry.address, schema_id)
    result = run("mark", "cli-licence", "--account", bureau, "--yes")
    assert result.exit_code == 0, result.output
    assert certs.is_certificate(web3, registry.address, schema_id)
