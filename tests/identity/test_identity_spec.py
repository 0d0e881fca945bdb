"""The identity domain's deploy spec matches the contracts: every restricted function (its own and
CityManaged's pause / unpause / upgradeToAndCall) is mapped to its role on the manager, and every
state-changing function is either restricted or one of the documented per-record / self-service
entry points (so a new function forces a decision). Both contracts are upgradeable: their
storage is one ERC-7201 namespace each, with nothing outside it."""

from __future__ import annotations

from typing import Any

import ape
import pytest
from ape import project
from eth_utils import keccak
from reverts import reverts

from civic_ledger.core.introspect import project_ast
from civic_ledger.core.paths import ROOT
from civic_ledger.deploy.layout import layout_of
from civic_ledger.deploy.proxy import implementation_of
from civic_ledger.identity import spec as domain

ZERO_ADDRESS = "0x" + "0" * 40

# State-changing functions deliberately NOT `restricted`, with who may call them.
INITIALIZE = "the proxy's constructor, once (an implementation's initializers are disabled)"
SELF_CHECKED = {
    "IdentityRegistry": {
        "initialize(address)": INITIALIZE,
        "proposeController(address)": "the identity's controller (Active)",
        "cancelControllerProposal()": "the identity's controller",
        "acceptController(bytes32)": "the wallet the controller proposed",
        "completeRecovery(bytes32)": "anyone, after the delay (office decided at initiation)",
        "cancelRecovery(bytes32)": "controller (Active), GUARDIAN or IDENTITY_OFFICE",
        "setAuthority(address)": "the current authority (OpenZeppelin AccessManaged)",
    },
    "RecordRegistry": {
        "initialize(address,address)": INITIALIZE,
        "issue((uint64,bytes32,bytes32,bytes,uint64,bytes32))": "schema issuer role",
        "issueBatch((uint64,bytes32,bytes32,bytes,uint64,bytes32)[])": "schema issuer role",
        "issueWithSignature((uint64,bytes32,bytes32,bytes,uint64,bytes32),address,uint256,bytes)": "signer holds the schema issuer role",
        "invalidateNonces(uint256)": "the signer, for its own nonce",
        "revoke(bytes32,uint16,bytes32)": "schema issuer role",
        "revokeBatch(bytes32[],uint16,bytes32)": "schema issuer role",
        "dispute(bytes32,bytes32)": "the subject's controller",
        "lapseStay(bytes32)": "anyone, once the stay has ended",
        "setAuthority(address)": "the current authority (OpenZeppelin AccessManaged)",
    },
}


@pytest.mark.parametrize("spec", domain.CONTRACTS, ids=lambda s: s.name)
def test_every_mutating_function_is_accounted_for(suite, spec):
    contract_type = suite[spec.name].contract_type
    mutating = {method.selector for method in contract_type.mutable_methods}
    declared = set(spec.restricted_signatures(contract_type.abi)) | set(SELF_CHECKED[spec.name])
    assert mutating == declared


def test_record_registry_is_wired_to_the_identity_registry(suite):
    assert suite["RecordRegistry"].identityRegistry() == suite["IdentityRegistry"].address
    for name in ("IdentityRegistry", "RecordRegistry"):
        assert suite[name].authority() == suite["CityAccessManager"].address


NAMESPACES = {
    "IdentityRegistry": "civic.IdentityRegistry",
    "RecordRegistry": "civic.RecordRegistry",
}


def erc7201_slot(namespace: str) -> int:
    """keccak256(abi.encode(uint256(keccak256(id)) - 1)) & ~bytes32(uint256(0xff))"""
    inner = int.from_bytes(keccak(text=namespace), "big") - 1
    return int.from_bytes(keccak(inner.to_bytes(32, "big")), "big") & ~0xFF


@pytest.mark.parametrize("spec", domain.CONTRACTS, ids=lambda s: s.name)
def test_state_is_one_erc7201_namespace(spec):
    """All state in the contract's namespace (no loose variables, no immutables), at the slot
    ERC-7201 gives its id; the deploy plan records this layout with every implementation."""
    layout = layout_of(spec.name, project_ast())
    namespace = NAMESPACES[spec.name]
    assert layout.loose == []
    own = [n for n in layout.namespaces if n.startswith("civic.")]
    assert own == [namespace] and layout.namespaces[namespace]  # + OpenZeppelin's namespaces
    source = (ROOT / "contracts" / "identity" / f"{spec.name}.sol").read_text()
    assert f"erc7201:{namespace}" in source
    assert f"0x{erc7201_slot(namespace):064x}" in source


@pytest.mark.parametrize("spec", domain.CONTRACTS, ids=lambda s: s.name)
def test_upgradeable_behind_a_proxy(suite, spec, deployer):
    """The suite's address is a CityProxy; its implementation refuses to be initialised."""
    contract = suite[spec.name]
    assert spec.upgradeable and contract.version() == "1.0.0"
    implementation = implementation_of(ape.chain.provider.web3, contract.address)
    assert implementation not in (contract.address, ZERO_ADDRESS)
    bare = getattr(project, spec.name).at(implementation)
    args = spec.args(_SuiteContext(suite))
    with reverts("InvalidInitialization"):
        bare.initialize(*args, sender=deployer)
    with reverts("InvalidInitialization"):
        contract.initialize(*args, sender=deployer)


class _SuiteContext:
    """The spec's argument resolver context, answered from the deployed suite."""

    def __init__(self, suite: Any) -> None:
        self.suite = suite

    def address_of(self, name: str) -> str:
        return self.suite[name].address


EIP170 = 24_576  # most bytes of runtime code a contract may have (EIP-170)


@pytest.mark.parametrize("name", ["IdentityRegistry", "RecordRegistry", "RecordLayouts"])
def test_runtime_code_fits_eip170(name, capsys):
    """Every implementation deploys: RecordRegistry keeps its layout parser in RecordLayouts
    (created by each implementation) because CityManaged's UUPS, pause and AccessManager code
    would otherwise take it past the limit. Prints what is left for later upgrades."""
    code = bytes(getattr(project, name).contract_type.get_runtime_bytecode() or b"")
    with capsys.disabled():
        print(f"\n{name}: {len(code):,} bytes of runtime code, {EIP170 - len(code):,} left")
    assert 0 < len(code) <= EIP170
