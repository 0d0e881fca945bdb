"""docs/integration-vectors.json: test vectors for the encodings docs/integration.md specifies,
computed by the project's own Python implementation.

    python -m civic_dev.integration_vectors --write    # regenerate the file
    python -m civic_dev.integration_vectors --check    # exit 1 if the file differs

`tests/integration/test_vectors.py` runs the check, and `tools/integration/check-vectors.mjs`
recomputes every vector with ethers.js alone: two independent implementations of one spec.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from eth_abi import encode
from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address

from civic_dev.generated import write_or_check
from civic_ledger.core.commitments import commitment, normalize_official_id
from civic_ledger.core.documents import document_hash
from civic_ledger.core.paths import ROOT
from civic_ledger.identity.records import RecordRequest, encode_data, issue_typed_data
from civic_ledger.property.liens import EncumbranceItem, SaleConsent, encumbrance_hash

VECTORS_FILE = ROOT / "docs" / "integration-vectors.json"
REGISTRY = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"
CHAIN_ID = 7341


def hexs(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def _salt(label: str) -> bytes:
    return keccak(text=f"integration-vector-salt:{label}")


def _full_width(text: str) -> str:
    """The full-width (ideographic) form of ASCII letters and digits, as typed on a Chinese
    keyboard; NFKC maps it back."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def commitments() -> list[dict[str, Any]]:
    cases = [
        ("person, lower-case check letter and spaces", " 11010519491231002x "),
        ("enterprise, full-width characters (NFKC)", _full_width("91110108MA01ABCD2X")),
        ("agency, already canonical", "AGENCY-TAX-BUREAU-001"),
        ("full-width letter with a combining accent", _full_width("E") + "\u0301COLE-7"),
    ]
    out = []
    for label, raw in cases:
        salt = _salt(label)
        canonical = normalize_official_id(raw)
        out.append({
            "description": label,
            "officialId": raw,
            "normalised": canonical,
            "salt": hexs(salt),
            "subject": hexs(commitment(salt, canonical)),
        })  # fmt: skip
    return out


def document_hashes() -> list[dict[str, Any]]:
    text = "CASE-2026-114"
    content = b"%PDF-1.7 signed deed of sale DX-0101-0003\n"
    return [
        {"description": "a text reference (a case number)", "text": text,
         "hash": hexs(document_hash(f"text:{text}"))},
        {"description": "a file: keccak-256 of its bytes", "bytes": hexs(content),
         "hash": hexs(keccak(content))},
        {"description": "UTF-8 text", "text": "判决书 2026-民-114",
         "hash": hexs(document_hash("text:判决书 2026-民-114"))},
    ]  # fmt: skip


def parcel_ids() -> list[dict[str, Any]]:
    out = []
    for code in ("DX-0101-0003", "HD/2026/17.4", "CY-0001"):
        value = int.from_bytes(keccak(text=code), "big")
        out.append({"cadastralCode": code, "parcelId": str(value), "parcelIdHex": hex(value)})
    return out


def record_data() -> list[dict[str, Any]]:
    cases = [
        ("uint16 year,bool compliant", {"year": 2026, "compliant": True}),
        ("uint64 licenceNo,uint16 sector", {"licenceNo": 2021000042, "sector": 62}),
        ("uint256 amount,uint16 article", {"amount": str(12_500 * 10**18), "article": 63}),
        ("bytes32 caseRef,uint256 amount", {"caseRef": hexs(keccak(text="2026-民-114")),
                                            "amount": "1000"}),
        ("int32 delta,bytes4 code", {"delta": -5, "code": "0xdeadbeef"}),
        ("", {}),
    ]  # fmt: skip
    out = []
    for layout, values in cases:
        converted = {
            k: (int(v) if isinstance(v, str) and v.isdigit() else v) for k, v in values.items()
        }
        out.append(
            {"layout": layout, "values": values, "data": hexs(encode_data(layout, converted))}
        )
    return out


def record_ids() -> list[dict[str, Any]]:
    subject = commitment(_salt("record"), "11010519491231002X")
    out = []
    for number, schema in ((1, 2), (2, 2), (4097, 5)):
        record_id = keccak(
            encode(["address", "uint256", "bytes32", "uint64"], [REGISTRY, number, subject, schema])
        )
        out.append({"registry": REGISTRY, "recordNumber": number, "subject": hexs(subject),
                    "schemaId": schema, "recordId": hexs(record_id)})  # fmt: skip
    return out


def sale_encumbrances() -> list[dict[str, Any]]:
    bank = commitment(_salt("bank"), "91110108MA01BANK2X")
    court = commitment(_salt("creditor"), "91110108MA01CRED3Y")
    parcel = int.from_bytes(keccak(text="DX-0101-0003"), "big")
    cases = [
        ("unencumbered", 7, []),
        ("a mortgage discharged at closing", 8, [EncumbranceItem(3, bank, 500_000 * 10**18,
                                                                  SaleConsent.DISCHARGE_AT_CLOSING)]),
        ("two liens, given out of order, one kept", 9, [
            EncumbranceItem(12, court, 40_000 * 10**18, SaleConsent.KEEP_LIEN),
            EncumbranceItem(3, bank, 500_000 * 10**18, SaleConsent.DISCHARGE_AT_CLOSING),
        ]),
    ]  # fmt: skip
    out = []
    for label, sale_id, items in cases:
        ordered = sorted(items, key=lambda i: i.lien_id)
        out.append({
            "description": label, "saleId": sale_id, "parcelId": str(parcel),
            "liens": [{"lienId": i.lien_id, "holder": hexs(i.holder), "amount": str(i.amount),
                       "consent": int(i.consent)} for i in ordered],
            "encumbranceHash": hexs(encumbrance_hash(sale_id, parcel, items)),
        })  # fmt: skip
    return out


def issue_digests() -> list[dict[str, Any]]:
    subject = commitment(_salt("signed"), "11010519491231002X")
    data = encode_data("uint16 year,bool compliant", {"year": 2026, "compliant": True})
    request = RecordRequest(
        schema_id=2, subject=subject, evidence_hash=keccak(text="tax-2026-audit"), data=data,
        expires_at=1_830_000_000,
    )  # fmt: skip
    typed = issue_typed_data(
        request, registry_address=REGISTRY, chain_id=CHAIN_ID, nonce=3, deadline=1_800_000_000
    )
    signable = encode_typed_data(full_message=typed)
    digest = keccak(b"\x19" + signable.version + signable.header + signable.body)
    message = {k: (hexs(v) if isinstance(v, bytes) else v) for k, v in typed["message"].items()}
    return [{
        "description": "IssueRecord signed by an issuing agency, relayed by anyone",
        "domain": {**typed["domain"], "verifyingContract": to_checksum_address(REGISTRY)},
        "types": {"IssueRecord": typed["types"]["IssueRecord"]},
        "message": message,
        "digest": hexs(digest),
    }]  # fmt: skip


def vectors() -> dict[str, Any]:
    return {
        "description": "Test vectors for docs/integration.md (generated by python -m "
        "civic_dev.integration_vectors --write; checked in Python and with ethers.js).",
        "commitments": commitments(),
        "documentHashes": document_hashes(),
        "parcelIds": parcel_ids(),
        "recordData": record_data(),
        "recordIds": record_ids(),
        "saleEncumbrances": sale_encumbrances(),
        "issueDigests": issue_digests(),
    }


def render() -> str:
    return json.dumps(vectors(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    return write_or_check(VECTORS_FILE, render(), argv, "civic_dev.integration_vectors")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
