"""The identity domain's deploy spec matches the contracts: every restricted function is mapped
to its role on the manager, and every state-changing function is either restricted or one of
the documented per-record / self-service entry points (so a new function forces a decision)."""

from __future__ import annotations

from typing import Any

import pytest
from eth_utils import keccak

from civic_ledger.domains import identity as domain
from civic_ledger.roles import ADMIN_ROLE, BY_NAME

# State-changing functions deliberately NOT `restricted`, with who may call them.
SELF_CHECKED = {
    "IdentityRegistry": {
        "proposeController(address)": "the identity's controller (Active)",
        "cancelControllerProposal()": "the identity's controller",
        "acceptController(bytes32)": "the wallet the controller proposed",
        "completeRecovery(bytes32)": "anyone, after the delay (office decided at initiation)",
        "cancelRecovery(bytes32)": "controller (Active), GUARDIAN or IDENTITY_OFFICE",
        "setAuthority(address)": "the current authority (OpenZeppelin AccessManaged)",
    },
    "RecordRegistry": {
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


def _canonical(abi_type: Any) -> str:
    if abi_type.type.startswith("tuple"):
        inner = ",".join(_canonical(c) for c in abi_type.components)
        return f"({inner}){abi_type.type[5:]}"
    return abi_type.type


def _mutating_signatures(contract: Any) -> set[str]:
    return {
        f"{m.name}({','.join(_canonical(i) for i in m.inputs)})"
        for m in contract.contract_type.mutable_methods
    }


@pytest.mark.parametrize("spec", domain.CONTRACTS, ids=lambda s: s.name)
def test_every_mutating_function_is_accounted_for(suite, spec):
    contract = suite[spec.name]
    mutating = _mutating_signatures(contract)
    declared = set(spec.restricted) | set(SELF_CHECKED[spec.name])
    assert mutating == declared


@pytest.mark.parametrize("spec", domain.CONTRACTS, ids=lambda s: s.name)
def test_manager_maps_restricted_functions_to_their_roles(suite, spec):
    manager = suite["CityAccessManager"]
    target = suite[spec.name].address
    for signature, role_name in spec.restricted.items():
        expected = ADMIN_ROLE if role_name == "ADMIN" else BY_NAME[role_name].id
        assert manager.getTargetFunctionRole(target, keccak(text=signature)[:4]) == expected, (
            signature
        )


def test_record_registry_is_wired_to_the_identity_registry(suite):
    assert suite["RecordRegistry"].identityRegistry() == suite["IdentityRegistry"].address
    for name in ("IdentityRegistry", "RecordRegistry"):
        assert suite[name].authority() == suite["CityAccessManager"].address
