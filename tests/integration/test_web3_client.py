"""Issue #14's acceptance test: an outside integrator's client (tools/integration/civic_client,
web3 + eth-account + eth-abi only, programmed from docs/integration.md) drives a complete
scenario against a deployment made the operator's way (`ape run chain up`, `ape run deploy`),
reading nothing but the deployment files.

The harness (this file) may use the project: it starts the chain, deploys, and hands the client
the private keys of the role holders (Ape's test mnemonic). The client never imports it."""

from __future__ import annotations

import ast
import importlib.util
import json
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from local_chain_runner import LocalChainRun

from civic_dev.bench.anvil import MNEMONIC

ROOT = Path(__file__).resolve().parents[2]
CLIENT_PACKAGE = ROOT / "tools" / "integration" / "civic_client"
VECTORS = json.loads((ROOT / "docs" / "integration-vectors.json").read_text(encoding="utf-8"))
ALLOWED_IMPORTS = {"web3", "eth_account", "eth_abi"}


def load_client() -> ModuleType:
    """The package as an integrator uses it: a folder `civic_client` on their path."""
    spec = importlib.util.spec_from_file_location(
        "civic_client",
        CLIENT_PACKAGE / "__init__.py",
        submodule_search_locations=[str(CLIENT_PACKAGE)],
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its modules import each other by this name
    spec.loader.exec_module(module)
    return module


civic_client = load_client()
encoding = civic_client.encoding


# --------------------------------------------------------------------------- no chain needed


def test_client_imports_only_the_standard_library_web3_eth_account_and_eth_abi() -> None:
    modules = {path.stem for path in CLIENT_PACKAGE.glob("*.py")} - {"__init__"}
    assert modules == {"client", "encoding", "errors"}  # the walk below reads every file
    roots: set[str] = set()
    for path in sorted(CLIENT_PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                roots.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level:
                assert node.level == 1 and node.module in modules, f"{path.name}: outside import"
            elif isinstance(node, ast.ImportFrom):
                assert node.module is not None
                roots.add(node.module.split(".")[0])
            elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__":
                pytest.fail(f"dynamic import in the reference client ({path.name})")
    third_party = {name for name in roots if name not in sys.stdlib_module_names}
    assert third_party == ALLOWED_IMPORTS
    assert "civic_ledger" not in roots and "civic_dev" not in roots and "ape" not in roots


def test_client_reproduces_every_integration_vector() -> None:
    """The spec is language-neutral: docs/integration.md's rules, coded in Python without the
    project's package, give the published vectors (the ethers.js script is the other check)."""
    for v in VECTORS["commitments"]:
        assert encoding.normalise_official_id(v["officialId"]) == v["normalised"]
        salt = bytes.fromhex(v["salt"][2:])
        assert "0x" + encoding.subject_commitment(salt, v["officialId"]).hex() == v["subject"]
    for v in VECTORS["documentHashes"]:
        document = bytes.fromhex(v["bytes"][2:]) if "bytes" in v else v["text"]
        assert "0x" + encoding.document_hash(document).hex() == v["hash"]
    for v in VECTORS["parcelIds"]:
        assert encoding.parcel_id(v["cadastralCode"]) == int(v["parcelId"])
        assert hex(encoding.parcel_id(v["cadastralCode"])) == v["parcelIdHex"]
    for v in VECTORS["recordData"]:
        data = encoding.record_data(v["layout"], v["values"])
        assert "0x" + data.hex() == v["data"], v["layout"]
        decoded = encoding.decode_record_data(v["layout"], data)
        assert set(decoded) == set(v["values"])
    for v in VECTORS["recordIds"]:
        subject = bytes.fromhex(v["subject"][2:])
        rid = encoding.record_id(v["registry"], v["recordNumber"], subject, v["schemaId"])
        assert "0x" + rid.hex() == v["recordId"]
    for v in VECTORS["saleEncumbrances"]:
        liens = [
            encoding.LienAnswer(
                lien["lienId"],
                bytes.fromhex(lien["holder"][2:]),
                int(lien["amount"]),
                lien["consent"],
            )
            for lien in v["liens"]
        ]
        digest = encoding.sale_encumbrance_hash(v["saleId"], int(v["parcelId"]), liens)
        assert "0x" + digest.hex() == v["encumbranceHash"], v["description"]
    for v in VECTORS["issueDigests"]:
        assert v["types"]["IssueRecord"] == encoding.ISSUE_RECORD_TYPE
        assert "0x" + encoding.issue_digest(v["domain"], v["message"]).hex() == v["digest"]


def test_vector_check_can_fail() -> None:
    """One altered field gives another encoding: the comparisons above are not vacuous."""
    v = VECTORS["recordData"][1]
    altered = {**v["values"], "sector": v["values"]["sector"] + 1}
    assert "0x" + encoding.record_data(v["layout"], altered).hex() != v["data"]
    v = VECTORS["commitments"][0]
    salt = bytes.fromhex(v["salt"][2:])
    assert "0x" + encoding.subject_commitment(salt, v["officialId"] + "1").hex() != v["subject"]
    with pytest.raises(civic_client.ClientError):
        encoding.record_data("string name", {"name": "x"})  # dynamic types are not record fields


# --------------------------------------------------------------------------- against a chain


def test_account(index: int) -> LocalAccount:
    """Harness only: the key of Ape's test account N (the local chain's role holders)."""
    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")


test_account.__test__ = False  # type: ignore[attr-defined]  # not a test, despite the name


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A persistent local chain on a free port and a deployment on it, made by the operator's
    commands; yields (RPC URL, manifest path). The manifest and ABIs live in a tmp folder."""
    folder = tmp_path_factory.mktemp("web3-client")
    chain = LocalChainRun(folder)
    manifest = folder / "deployments" / "city-local.json"
    try:
        chain.run("chain", "up")
        chain.run("deploy", "--network", chain.network, "--manifest", str(manifest))
        yield chain.url, manifest
    finally:
        chain.run("chain", "down", "--clean", ok=None, timeout=120)


def holder(client: Any, role: str) -> LocalAccount:
    """The key of the (single) member of `role` named by the manifest's roles catalogue."""
    members = client.deployment.role_members(role)
    assert len(members) == 1, (role, members)
    for index in range(20):
        account = test_account(index)
        if account.address == members[0]:
            return account
    raise AssertionError(f"{role} is held by {members[0]}, not a test account")


@pytest.mark.slow
def test_outside_client_runs_the_whole_scenario(deployment: tuple[str, Path]) -> None:
    url, manifest = deployment
    client = civic_client.CivicLedgerClient.connect(url, manifest)
    office = holder(client, "IDENTITY_OFFICE")
    tax_bureau = holder(client, "TAX_RECORD_ISSUER")
    arbiter = holder(client, "ARBITER")
    registrar = holder(client, "REGISTRAR")

    # Two identities (and a bank, the lienholder), each with a fresh wallet funded for gas.
    seller_wallet: LocalAccount = Account.create()
    buyer_wallet: LocalAccount = Account.create()
    bank_wallet: LocalAccount = Account.create()
    for wallet in (seller_wallet, buyer_wallet, bank_wallet):
        client.send_value(test_account(19), wallet.address, 10**18)
    seller_salt, buyer_salt = secrets.token_bytes(32), secrets.token_bytes(32)
    full_width = VECTORS["commitments"][1]["officialId"]  # typed on a Chinese keyboard
    seller = encoding.subject_commitment(seller_salt, f" {full_width.lower()} ")
    buyer = encoding.subject_commitment(buyer_salt, "110105199001011234")
    assert seller == encoding.subject_commitment(
        seller_salt, "91110108MA01ABCD2X"
    )  # NFKC + trim + upper
    assert (
        client.register_identity(office, seller, seller_wallet.address, encoding.KIND_ENTERPRISE)
        == seller
    )
    assert (
        client.register_identity(office, buyer, buyer_wallet.address, encoding.KIND_PERSON) == buyer
    )
    bank = encoding.subject_commitment(secrets.token_bytes(32), "91110000BANK00001Q")
    client.register_identity(office, bank, bank_wallet.address, encoding.KIND_ENTERPRISE)
    identity = client.identity(seller)
    assert identity["controller"] == seller_wallet.address
    assert (identity["kind"], identity["status"]) == (
        encoding.KIND_ENTERPRISE,
        encoding.STATUS_ACTIVE,
    )
    assert client.call("IdentityRegistry", "activeControllerOf", buyer) == buyer_wallet.address

    # An adverse record under the catalogue schema tax-penalty; the subject disputes it, the
    # arbiter overturns it.
    values = {"amount": 12_500 * 10**18, "article": 63}
    evidence = encoding.document_hash("CASE-2026-114")
    record_count_before = client.call("RecordRegistry", "recordCount")
    record = client.issue_record(
        tax_bureau, client.record_input("tax-penalty", seller, values, evidence)
    )
    schema_id, schema = client.schema("tax-penalty")
    assert schema["adverse"] and schema["fieldLayout"] == "uint256 amount,uint16 article"
    registry = client.contract("RecordRegistry").address
    assert record == encoding.record_id(registry, record_count_before + 1, seller, schema_id)
    issued = [
        e for e in client.history("RecordRegistry", "RecordIssued") if e["recordId"] == record
    ]
    assert len(issued) == 1 and issued[0]["issuer"] == tax_bureau.address
    assert issued[0]["data"] == encoding.record_data(schema["fieldLayout"], values)
    assert encoding.decode_record_data(schema["fieldLayout"], issued[0]["data"]) == values
    assert client.call("RecordRegistry", "isValid", record)

    with pytest.raises(
        civic_client.CivicRevert
    ) as refused:  # only the subject's controller may dispute
        client.dispute_record(buyer_wallet, record, encoding.document_hash("not mine"))
    assert refused.value.name == "RecordNotSubjectController"
    assert refused.value.args_ == (buyer_wallet.address,)

    objection = encoding.document_hash(b"%PDF-1.7 objection of the enterprise")
    disputed = client.dispute_record(seller_wallet, record, objection)
    assert (disputed["recordId"], disputed["subject"]) == (record, seller)
    assert disputed["operator"] == seller_wallet.address and disputed["evidenceHash"] == objection
    assert disputed["stayUntil"] > 0  # tax-penalty has a 14-day dispute stay
    assert client.record(record)["dispute"] == encoding.DISPUTE_OPEN
    assert not client.call("RecordRegistry", "isValid", record)  # stayed

    ruling = encoding.document_hash("RULING-2026-7")
    resolved = client.resolve_dispute(arbiter, record, False, ruling)
    assert (
        resolved["outcome"] == encoding.DISPUTE_OVERTURNED
        and resolved["operator"] == arbiter.address
    )
    final = client.record(record)
    assert final["dispute"] == encoding.DISPUTE_OVERTURNED and final["revokedAt"] > 0
    assert client.dispute(record)["rulingHash"] == ruling
    assert not client.call("RecordRegistry", "isValid", record)

    # Signed issuance: the tax bureau signs offline, the enterprise relays. The client's EIP-712
    # digest is the registry's own.
    compliance = client.record_input(
        "tax-compliance",
        seller,
        {"year": 2026, "compliant": True},
        encoding.document_hash("TC-2026-1"),
    )
    deadline = client.w3.eth.get_block("latest")["timestamp"] + 3600
    message = client.issue_message(compliance, tax_bureau.address, deadline)
    digest = encoding.issue_digest(encoding.issue_domain(client.w3.eth.chain_id, registry), message)
    assert digest == client.call(
        "RecordRegistry", "issueDigest", compliance, message["nonce"], deadline
    )
    signature = client.sign_issue(tax_bureau, compliance, deadline)
    relayed = client.relay_issue(seller_wallet, compliance, tax_bureau.address, deadline, signature)
    assert client.record(relayed)["issuer"] == tax_bureau.address
    assert client.call("RecordRegistry", "isValid", relayed)
    with pytest.raises(civic_client.CivicRevert) as refused:  # the nonce moved on: no replay
        client.relay_issue(seller_wallet, compliance, tax_bureau.address, deadline, signature)
    assert refused.value.name == "RecordInvalidSignature"

    # A parcel with a mortgage; the seller proposes, the bank answers (discharge at closing),
    # the buyer accepts the encumbrance it was shown, the registrar approves.
    code = f"DX-0101-{secrets.randbelow(10**6):06d}"
    parcel = client.register_parcel(
        registrar, seller, code, encoding.document_hash(b"survey"), 420, 11
    )
    assert parcel == encoding.parcel_id(code)
    assert client.owner_of(parcel) == seller
    mortgage = 500_000 * 10**18
    lien_id = client.propose_lien(
        bank_wallet, parcel, bank, mortgage, encoding.document_hash(b"loan")
    )
    assert client.consent_lien(seller_wallet, lien_id)["lienId"] == lien_id
    deed = encoding.document_hash(b"deed of sale " + code.encode())
    sale_id = client.propose_sale(seller_wallet, parcel, buyer, 3_000_000 * 10**18, deed)
    assert client.call("TitleRegistry", "openSaleOf", parcel) == sale_id
    assert client.sale_encumbrance(sale_id)[3] is False  # the bank has not answered yet
    with pytest.raises(civic_client.CivicRevert) as refused:
        client.accept_sale(buyer_wallet, sale_id, client.sale_encumbrance(sale_id)[2])
    assert refused.value.name == "TitleLiensUnanswered"
    answer = client.answer_sale(bank_wallet, lien_id, sale_id, True)
    assert answer["consent"] == encoding.CONSENT_DISCHARGE
    shown_parcel, liens, encumbrance, answered = client.sale_encumbrance(sale_id)
    assert (shown_parcel, answered) == (parcel, True)
    assert liens == [encoding.LienAnswer(lien_id, bank, mortgage, encoding.CONSENT_DISCHARGE)]
    assert encumbrance == encoding.sale_encumbrance_hash(sale_id, parcel, liens)

    with pytest.raises(civic_client.CivicRevert) as refused:  # a stale or invented hash is refused
        client.accept_sale(buyer_wallet, sale_id, encoding.document_hash("something else"))
    assert refused.value.name == "TitleEncumbranceChanged"

    accepted = client.accept_sale(buyer_wallet, sale_id, encumbrance)
    assert (
        accepted["encumbranceHash"] == encumbrance and accepted["operator"] == buyer_wallet.address
    )
    approved = client.approve_sale(registrar, sale_id)
    assert (approved["saleId"], approved["parcelId"]) == (sale_id, parcel)
    assert (approved["seller"], approved["buyer"]) == (seller, buyer)

    sale = client.sale(sale_id)
    assert sale["state"] == encoding.SALE_COMPLETED and sale["encumbranceHash"] == encumbrance
    assert client.owner_of(parcel) == buyer
    assert client.call("TitleRegistry", "ownerOf", parcel) == buyer_wallet.address  # title token
    assert client.call("TitleRegistry", "openSaleOf", parcel) == 0
    history = list(client.history("TitleRegistry", "SaleApproved", {"saleId": sale_id}))
    assert [(e["parcelId"], e["buyer"]) for e in history] == [(parcel, buyer)]
    released = list(client.history("LienRegistry", "LienReleased", {"lienId": lien_id}))
    assert [e["saleId"] for e in released] == [sale_id]  # discharged at closing
    assert client.call("LienRegistry", "activeLiensOf", parcel) == []


@pytest.mark.slow
def test_client_refuses_a_manifest_of_another_chain(
    deployment: tuple[str, Path], tmp_path: Path
) -> None:
    url, manifest = deployment
    civic_client.CivicLedgerClient.connect(url, manifest)  # the real one is accepted
    document = json.loads(manifest.read_text(encoding="utf-8"))
    abi_folder = manifest.parent / "abi"
    (tmp_path / "abi").symlink_to(abi_folder, target_is_directory=True)

    other_genesis = tmp_path / "reset-chain.json"  # same chain id, another genesis
    other_genesis.write_text(json.dumps({**document, "genesis_hash": "0x" + "ab" * 32}))
    with pytest.raises(civic_client.ChainMismatch, match="genesis"):
        civic_client.CivicLedgerClient.connect(url, other_genesis)

    other_id = tmp_path / "devnet.json"  # another chain altogether
    other_id.write_text(json.dumps({**document, "chain_id": 7341}))
    with pytest.raises(civic_client.ChainMismatch, match="chain 7340"):
        civic_client.CivicLedgerClient.connect(url, other_id)
