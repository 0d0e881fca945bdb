"""The Safe v1.4.1 contracts as published on npm (`@safe-global/safe-contracts@1.4.1`), used
as compiled: their build artefacts (solc 0.7.6, no EVM target given, so Istanbul — no PUSH0 or
later opcodes) run unchanged on the project's London chains.

`container(name)` gives an Ape ContractContainer for one of them (deploy it, or `.at(address)`).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from civic_ledger.core.exceptions import DeployError
from civic_ledger.core.paths import ROOT

PACKAGE = ROOT / "node_modules" / "@safe-global" / "safe-contracts"
VERSION = "1.4.1"

SINGLETON = "SafeL2"  # emits SafeMultiSigTransaction events: who signed what, from logs alone
FACTORY = "SafeProxyFactory"
FALLBACK_HANDLER = "CompatibilityFallbackHandler"
PROXY = "SafeProxy"

ARTEFACTS = {
    SINGLETON: "SafeL2.sol/SafeL2.json",
    FACTORY: "proxies/SafeProxyFactory.sol/SafeProxyFactory.json",
    FALLBACK_HANDLER: "handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json",
    PROXY: "proxies/SafeProxy.sol/SafeProxy.json",
}


def artefact_path(name: str) -> Path:
    return PACKAGE / "build" / "artifacts" / "contracts" / ARTEFACTS[name]


@cache
def artefact(name: str) -> dict[str, Any]:
    """The hardhat artefact of `name` (abi, bytecode, deployedBytecode)."""
    path = artefact_path(name)
    if not path.is_file():
        raise DeployError(
            f"{path} is missing: the Safe contracts come from npm "
            f"(@safe-global/safe-contracts@{VERSION}); run bin/setup (npm ci)"
        )
    return json.loads(path.read_text())


@cache
def container(name: str) -> Any:
    """An Ape ContractContainer for the Safe contract `name`."""
    from ape.contracts import ContractContainer
    from ethpm_types import ContractType

    data = artefact(name)
    contract_type = ContractType.model_validate(
        {
            "contractName": name,
            "sourceId": f"@safe-global/safe-contracts/{data['sourceName']}",
            "abi": data["abi"],
            "deploymentBytecode": {"bytecode": data["bytecode"]},
            "runtimeBytecode": {"bytecode": data["deployedBytecode"]},
        }
    )
    return ContractContainer(contract_type)


def at(name: str, address: str) -> Any:
    """The Safe contract `name` at `address` (an Ape ContractInstance)."""
    return container(name).at(address)
