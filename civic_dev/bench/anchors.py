"""The benchmark's anchors: other projects' contracts priced next to ours on the same chain.

- EAS 1.9.0 (`@ethereum-attestation-service/eas-contracts`): SchemaRegistry + EAS, solc 0.8.29,
  OpenZeppelin 5.3.0, optimizer 1,000,000 runs (EAS's published deployment settings).
- ERC-3643 / T-REX 4.1.6 (`@tokenysolutions/t-rex`) with ONCHAINID 2.2.1
  (`@onchain-id/solidity`): the identity-registry stack + Identity, IdentityProxy and
  ImplementationAuthority, solc 0.8.17, OpenZeppelin (and -upgradeable) 4.9.3, 200 runs.
- A plain OpenZeppelin 5.3.0 ERC-721 (tools/anchors/PlainERC721.sol), solc 0.8.28, 200 runs:
  the same compiler and settings as our contracts.

Everything is compiled for EVM london (the project's chains) by tools/anchors/compile.js with
the solc-js version each pragma needs (npm aliases `solc-0.8.29`, `solc-0.8.17`) and cached in
`.cache/anchors/` by a hash of the compiler input: the anchors never enter the Ape project.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from civic_ledger.core.exceptions import CivicError
from civic_ledger.core.paths import ROOT

COMPILE_SCRIPT = ROOT / "tools" / "anchors" / "compile.js"
CACHE_DIR = ROOT / ".cache" / "anchors"
EVM_VERSION = "london"

EAS_PKG = "@ethereum-attestation-service/eas-contracts"
TREX_PKG = "@tokenysolutions/t-rex"
ONCHAINID_PKG = "@onchain-id/solidity"


class AnchorError(CivicError):
    """An anchor could not be compiled or deployed; the message says why."""


@dataclass(frozen=True)
class AnchorBuild:
    """One standard-json compilation: which solc-js package, which sources, which settings."""

    name: str
    solc_package: str
    sources: Sequence[str]
    remappings: Mapping[str, str] = field(default_factory=dict)
    optimizer_runs: int = 200
    npm_packages: Sequence[str] = ()

    def standard_input(self) -> dict[str, Any]:
        return {
            "language": "Solidity",
            "sources": {path: {} for path in self.sources},
            "settings": {
                "evmVersion": EVM_VERSION,
                "optimizer": {"enabled": True, "runs": self.optimizer_runs},
                "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}},
            },
        }


EAS_BUILD = AnchorBuild(
    name="eas",
    solc_package="solc-0.8.29",
    sources=(
        f"{EAS_PKG}/contracts/SchemaRegistry.sol",
        f"{EAS_PKG}/contracts/EAS.sol",
    ),
    optimizer_runs=1_000_000,
    npm_packages=(EAS_PKG, "@openzeppelin/contracts", "solc-0.8.29"),
)

TREX_BUILD = AnchorBuild(
    name="trex",
    solc_package="solc-0.8.17",
    sources=(
        f"{TREX_PKG}/contracts/registry/implementation/IdentityRegistry.sol",
        f"{TREX_PKG}/contracts/registry/implementation/IdentityRegistryStorage.sol",
        f"{TREX_PKG}/contracts/registry/implementation/ClaimTopicsRegistry.sol",
        f"{TREX_PKG}/contracts/registry/implementation/TrustedIssuersRegistry.sol",
        f"{ONCHAINID_PKG}/contracts/Identity.sol",
        f"{ONCHAINID_PKG}/contracts/proxy/IdentityProxy.sol",
        f"{ONCHAINID_PKG}/contracts/proxy/ImplementationAuthority.sol",
    ),
    remappings={
        "@openzeppelin/contracts-upgradeable/": "openzeppelin-contracts-upgradeable-4.9.3/",
        "@openzeppelin/contracts/": "openzeppelin-contracts-4.9.3/",
    },
    npm_packages=(
        TREX_PKG,
        ONCHAINID_PKG,
        "openzeppelin-contracts-4.9.3",
        "openzeppelin-contracts-upgradeable-4.9.3",
        "solc-0.8.17",
    ),
)

ERC721_BUILD = AnchorBuild(
    name="erc721",
    solc_package="solc",
    sources=("tools/anchors/PlainERC721.sol",),
    npm_packages=("@openzeppelin/contracts", "solc"),
)

BUILDS = {b.name: b for b in (EAS_BUILD, TREX_BUILD, ERC721_BUILD)}


@dataclass(frozen=True)
class CompiledContract:
    """ABI and creation bytecode of one anchor contract."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str  # 0x-hex creation code
    build: str

    def contract_type(self) -> Any:
        """An Ape ContractType, so `ape.contracts.ContractContainer` can deploy it."""
        from ethpm_types import ContractType

        return ContractType.model_validate(
            {
                "contractName": self.name,
                "abi": self.abi,
                "deploymentBytecode": {"bytecode": self.bytecode},
            }
        )


def package_version(package: str) -> str:
    """Installed version of an npm package (or alias) in node_modules."""
    manifest = ROOT / "node_modules" / package / "package.json"
    if not manifest.exists():
        raise AnchorError(
            f"npm package {package} is not installed (node_modules/{package}); run bin/setup"
        )
    return str(json.loads(manifest.read_text())["version"])


def compile_build(
    build: AnchorBuild, *, cache_dir: Path = CACHE_DIR
) -> dict[str, CompiledContract]:
    """Compile `build` (or load it from the cache); returns contract name -> CompiledContract."""
    versions = {pkg: package_version(pkg) for pkg in build.npm_packages}
    request = build.standard_input()
    key_material = json.dumps(
        {"input": request, "remap": dict(build.remappings), "versions": versions,
         "script": hashlib.sha256(COMPILE_SCRIPT.read_bytes()).hexdigest(),
         "sources": [_source_digest(s) for s in build.sources]},
        sort_keys=True,
    )  # fmt: skip
    key = hashlib.sha256(key_material.encode()).hexdigest()[:16]
    cached = cache_dir / f"{build.name}-{key}.json"
    if cached.exists():
        output = json.loads(cached.read_text())
    else:
        output = _run_compiler(build, request)
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(".tmp")
        tmp.write_text(json.dumps(output))
        tmp.replace(cached)
    return _contracts_of(build, output)


def _source_digest(source: str) -> str:
    for base in (ROOT / "node_modules", ROOT):
        path = base / source
        if path.exists():
            return hashlib.sha256(path.read_bytes()).hexdigest()
    raise AnchorError(f"anchor source {source} not found (is the npm package installed?)")


def _run_compiler(build: AnchorBuild, request: dict[str, Any]) -> dict[str, Any]:
    command = ["node", str(COMPILE_SCRIPT), "--solc", build.solc_package]
    for prefix, target in build.remappings.items():
        command += ["--remap", f"{prefix}={target}"]
    proc = subprocess.run(
        command, input=json.dumps(request), capture_output=True, text=True, cwd=ROOT, check=False
    )
    if proc.returncode != 0 or not proc.stdout.strip():
        raise AnchorError(f"compiling anchor '{build.name}' failed: {proc.stderr.strip()[:2000]}")
    output = json.loads(proc.stdout)
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise AnchorError(
            f"anchor '{build.name}' does not compile with {build.solc_package}: "
            + "; ".join(e.get("formattedMessage", e.get("message", "")) for e in errors)[:2000]
        )
    return output


def _contracts_of(build: AnchorBuild, output: dict[str, Any]) -> dict[str, CompiledContract]:
    contracts: dict[str, CompiledContract] = {}
    for source in build.sources:
        for name, artifact in output.get("contracts", {}).get(source, {}).items():
            code = artifact["evm"]["bytecode"]["object"]
            if code:
                contracts[name] = CompiledContract(name, artifact["abi"], "0x" + code, build.name)
    return contracts


def compile_all(names: Sequence[str] = tuple(BUILDS)) -> dict[str, dict[str, CompiledContract]]:
    """Every anchor build by name (cached after the first run: ~1 min with solc-js)."""
    return {name: compile_build(BUILDS[name]) for name in names}


def versions_summary() -> dict[str, str]:
    """npm package -> installed version, for the report."""
    packages = sorted({p for b in BUILDS.values() for p in b.npm_packages})
    return {p: package_version(p) for p in packages}


def deploy(compiled: CompiledContract, *args: Any, sender: Any) -> Any:
    """Deploy an anchor contract through Ape on the connected chain; returns the instance."""
    from ape.contracts import ContractContainer

    container = ContractContainer(compiled.contract_type())
    instance = container.deploy(*args, sender=sender)
    return instance


def creation_receipt(instance: Any) -> Any:
    """The receipt of the transaction that deployed `instance`."""
    from ape import chain

    return chain.get_receipt(instance.txn_hash)
