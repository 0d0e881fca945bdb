"""Storage-layout compatibility (issue #20): appends pass; removals, reorders, type changes,
loose state variables and growing array-stored structs are refused with the variable named."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from civic_ledger.core.paths import ROOT
from civic_ledger.deploy.layout import ContractLayout, check_upgrade, layout_of

V1 = """
pragma solidity ^0.8.28;
contract Box {
    enum State { None, Open, Closed }
    struct Item { uint64 at; State state; }
    struct Entry { uint32 n; }
    /// @custom:storage-location erc7201:test.Box
    struct BoxStorage { uint256 total; mapping(uint256 => Item) items; Entry[] entries; }
    uint256 public constant LIMIT = 8;
}
"""


def compile_ast(source: str) -> dict[str, Any]:
    shim = sorted((ROOT / ".solcx").glob("solc-v*"))[-1]
    request = {
        "language": "Solidity",
        "sources": {"Box.sol": {"content": source}},
        "settings": {"outputSelection": {"*": {"": ["ast"]}}},
    }
    out = subprocess.run([str(shim), "--standard-json"], input=json.dumps(request),
                         capture_output=True, text=True, check=True)  # fmt: skip
    result = json.loads(out.stdout)
    assert not [e for e in result.get("errors", []) if e["severity"] == "error"], result
    return result["sources"]


def layout(source: str) -> ContractLayout:
    return layout_of("Box", compile_ast(source))


@pytest.fixture(scope="module")
def v1() -> ContractLayout:
    return layout(V1)


def test_layout_reads_namespaces_structs_and_enums(v1: ContractLayout) -> None:
    assert [m.name for m in v1.namespaces["test.Box"]] == ["total", "items", "entries"]
    assert v1.namespaces["test.Box"][1].type == "mapping(uint256 => struct Item)"
    assert set(v1.structs) == {"Item", "Entry"} and v1.enums["State"] == ["None", "Open", "Closed"]
    assert v1.loose == []
    assert ContractLayout.from_json(json.loads(json.dumps(v1.to_json()))) == v1


def test_appending_is_compatible(v1: ContractLayout) -> None:
    v2 = V1.replace("Entry[] entries; }", "Entry[] entries; bytes32 added; }")
    v2 = v2.replace(
        "struct Item { uint64 at; State state; }",
        "struct Item { uint64 at; State state; uint8 extra; }",
    )
    v2 = v2.replace("Open, Closed }", "Open, Closed, Archived }")
    assert check_upgrade(v1, layout(v2)) == []


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (("uint256 total; mapping", "uint128 total; mapping"), ("'total'", "uint128")),
        (
            (
                "uint256 total; mapping(uint256 => Item) items;",
                "mapping(uint256 => Item) items; uint256 total;",
            ),
            ("'total'", "position 0"),
        ),
        (("Entry[] entries; }", "}"), ("'entries'", "removed")),
        (
            ("struct Entry { uint32 n; }", "struct Entry { uint32 n; uint32 m; }"),
            ("Entry", "array"),
        ),
        (("None, Open, Closed", "None, Closed, Open"), ("enum State",)),
        (
            ("uint256 public constant LIMIT = 8;", "uint256 public limit;"),
            ("Box.limit", "namespace"),
        ),
        (("erc7201:test.Box", "erc7201:test.Other"), ("erc7201:test.Box", "removed")),
    ],
)
def test_incompatible_changes_are_refused_naming_the_variable(
    v1: ContractLayout, change: tuple[str, str], words: tuple[str, ...]
) -> None:
    source = V1.replace(*change)
    assert source != V1
    problems = check_upgrade(v1, layout(source))
    assert problems, f"{change} was accepted"
    assert any(all(w in p for w in words) for p in problems), problems
