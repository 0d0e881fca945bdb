"""Facts read from the Solidity sources through the compiler's AST (no code generation):
which external functions of each contract carry AccessManaged's `restricted` modifier."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from civic_ledger.core.paths import ROOT


@lru_cache(maxsize=1)
def remappings() -> tuple[str, ...]:
    """The import remappings of ape-config.yaml (`solidity.import_remapping`): the one list
    Ape, this module and the slither gate compile with."""
    import yaml

    config = yaml.safe_load((ROOT / "ape-config.yaml").read_text()) or {}
    return tuple(config.get("solidity", {}).get("import_remapping", []))


def _solc() -> str:
    shims = sorted((ROOT / ".solcx").glob("solc-v*"))
    if not shims:
        raise RuntimeError("no solc shim in .solcx/: run bin/setup")
    return str(shims[-1])


@lru_cache(maxsize=1)
def project_ast() -> dict[str, Any]:
    """AST of every source under contracts/ (one analysis-only compilation)."""
    sources = {
        str(p.relative_to(ROOT)): {"content": p.read_text()}
        for p in sorted((ROOT / "contracts").rglob("*.sol"))
    }
    request = {
        "language": "Solidity",
        "sources": sources,
        "settings": {
            "remappings": list(remappings()),
            "evmVersion": "london",
            "outputSelection": {"*": {"": ["ast"]}},
        },
    }
    result = subprocess.run(
        [_solc(), "--standard-json"],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    output = json.loads(result.stdout)
    errors = [e["formattedMessage"] for e in output.get("errors", []) if e["severity"] == "error"]
    if errors:
        raise RuntimeError("\n".join(errors))
    return output["sources"]


def walk_ast(node: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in a solc AST (or any nested dicts and lists), depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk_ast(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk_ast(item)


def _param_type(param: dict[str, Any]) -> str:
    """Canonical ABI type of a parameter from its AST type description."""
    type_name = param["typeName"]
    identifier = param["typeDescriptions"]["typeString"]
    if type_name["nodeType"] == "UserDefinedTypeName" and identifier.startswith("contract "):
        return "address"
    if identifier.startswith("enum "):
        return "uint8"
    raise ValueError(identifier)


#: Internal functions carrying `restricted` and the external entry point whose selector the
#: AccessManager checks for them (OpenZeppelin's UUPS pattern with AccessManaged).
RESTRICTED_ENTRY_POINTS = {"_authorizeUpgrade": "upgradeToAndCall"}


def restricted_functions() -> dict[str, set[str]]:
    """Contract name -> names of the external functions that reach AccessManaged's `restricted`
    modifier: its own and every inherited definition (an internal restricted hook is reported
    as its entry point, e.g. `_authorizeUpgrade` as `upgradeToAndCall`)."""
    contracts: dict[int, dict[str, Any]] = {}
    for source in project_ast().values():
        for node in walk_ast(source["ast"]):
            if node.get("nodeType") == "ContractDefinition":
                contracts[node["id"]] = node
    own: dict[int, set[str]] = {}
    for contract_id, node in contracts.items():
        names = own.setdefault(contract_id, set())
        for member in node.get("nodes", []):
            if member.get("nodeType") != "FunctionDefinition":
                continue
            modifiers = [m["modifierName"]["name"] for m in member.get("modifiers", [])]
            if "restricted" in modifiers:
                names.add(RESTRICTED_ENTRY_POINTS.get(member["name"], member["name"]))
    found: dict[str, set[str]] = {}
    for contract_id, node in contracts.items():
        names = found.setdefault(node["name"], set())
        for base in node.get("linearizedBaseContracts", [contract_id]):
            names |= own.get(base, set())
    return found
