"""Manifest round trip and error decoding (without a chain)."""

from __future__ import annotations

import json

import pytest
from eth_abi import encode
from eth_utils import keccak

from civic_ledger.chain.manifest import Manifest, ManifestError, manifest_path
from civic_ledger.core.revert import (
    ErrorDef,
    decode_revert,
    explain,
    humanize,
    raw_revert_data,
    render,
)


def test_manifest_round_trip(tmp_path):
    path = manifest_path("city-devnet", tmp_path)
    assert path == tmp_path / "city-devnet.json"
    manifest = Manifest.new(path, "city-devnet", 4242, "0x" + "ab" * 32)
    manifest.contracts["CityToken"] = {"address": "0x" + "11" * 20, "code_hash": "0x" + "22" * 32}
    manifest.steps["deploy:CityToken"] = {"tx_hash": "0x" + "33" * 32, "block": 7}
    manifest.save()
    loaded = Manifest.load(path)
    assert loaded.chain_id == 4242 and loaded.genesis_hash == "0x" + "ab" * 32
    assert loaded.data == manifest.data
    assert loaded.address_of("CityToken") == "0x" + "11" * 20
    with pytest.raises(ManifestError, match="no contract 'GrantFund'"):
        loaded.address_of("GrantFund")
    assert not list(tmp_path.glob(".*")), "atomic write leaves no temporary file behind"


def test_damaged_manifest(tmp_path):
    path = tmp_path / "local.json"
    path.write_text("{ not json")
    with pytest.raises(ManifestError, match="not valid JSON"):
        Manifest.load(path)
    path.write_text(json.dumps({"version": 99}))
    with pytest.raises(ManifestError, match="unsupported manifest version"):
        Manifest.load(path)


REGISTRY = {
    keccak(text="IdentityUnknownSubject(bytes32)")[:4]: ErrorDef(
        "IdentityUnknownSubject", (("subject", "bytes32"),), "The subject is not registered."
    ),
    keccak(text="AccessManagerUnauthorizedAccount(address,uint64)")[:4]: ErrorDef(
        "AccessManagerUnauthorizedAccount", (("msgsender", "address"), ("roleId", "uint64")), None
    ),
    keccak(text="GrantBudgetExceeded(uint256,uint256)")[:4]: ErrorDef(
        "GrantBudgetExceeded", (("requested", "uint256"), ("remaining", "uint256")), None
    ),
}


def revert_data(signature: str, types: list[str], values: list) -> bytes:
    return keccak(text=signature)[:4] + encode(types, values)


def test_decode_uses_natspec_and_names_arguments():
    data = revert_data("IdentityUnknownSubject(bytes32)", ["bytes32"], [b"\x01" * 32])
    definition, args = decode_revert(data, REGISTRY)
    assert definition.name == "IdentityUnknownSubject"
    assert render(definition.name, args, definition.doc) == (
        "The subject is not registered (subject=0x" + "01" * 32 + ")"
    )


def test_role_ids_are_named_and_templates_used():
    data = revert_data(
        "AccessManagerUnauthorizedAccount(address,uint64)",
        ["address", "uint64"],
        ["0x" + "aa" * 20, 60],
    )
    text = explain(Exception(f"execution reverted: 0x{data.hex()}"), REGISTRY)
    assert "does not hold role 60 (TREASURER)" in text
    assert "0xaAaAaAaaAaAaAaaAaAAAAAAAAaaaAaAaAaaAaaAa" in text


def test_undocumented_error_is_humanised():
    data = revert_data("GrantBudgetExceeded(uint256,uint256)", ["uint256", "uint256"], [5, 3])
    assert (
        explain(Exception(repr(data)), REGISTRY)
        == "Grant: budget exceeded (requested=5, remaining=3)"
    )
    assert humanize("TitleTransferDisabled") == "Title: transfer disabled"


def test_unknown_selector_and_plain_messages():
    assert decode_revert(b"\xde\xad\xbe\xef", REGISTRY) is None
    assert (
        explain(ValueError("roles.yaml:3: unknown role"), REGISTRY) == "roles.yaml:3: unknown role"
    )


@pytest.mark.parametrize("payload", [b"plain", b"it's", b'say "x"', b"both ' and \" \\ here"])
def test_raw_revert_data_from_a_bytes_literal_with_any_quotes(payload):
    """eth-tester prints the revert payload as a bytes literal; one holding both quote
    characters (e.g. an operation id hashed from a proxy's address) is escaped, not cut short."""
    data = bytes.fromhex("60a299b0") + payload + bytes(range(8))
    assert raw_revert_data(Exception(f"execution reverted: {data!r}")) == data
