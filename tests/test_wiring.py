"""Every restricted function of every contract is mapped to a role in its ContractSpec, every
mapped signature exists, and the deployed manager enforces exactly that mapping."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from eth_utils import keccak

from civic_ledger.access.roles import role_id
from civic_ledger.core.introspect import restricted_functions
from civic_ledger.spec import ContractSpec, all_contracts


def test_spec_covers_exactly_the_restricted_functions(project):
    restricted = restricted_functions()
    for spec in all_contracts():
        abi = getattr(project, spec.name).contract_type.abi
        mapped = spec.restricted_signatures(abi)  # refuses a name the ABI lacks or overloads
        mapped_names = {signature.split("(")[0] for signature in mapped}
        modifier_names = restricted.get(spec.name, set())
        assert modifier_names <= mapped_names, (
            f"{spec.name}: restricted but unmapped (would be ADMIN-only): "
            f"{sorted(modifier_names - mapped_names)}"
        )


def test_deployed_manager_enforces_the_spec(suite):
    manager = suite["CityAccessManager"]
    for spec in all_contracts():
        target = suite[spec.name]
        for signature, role in spec.restricted_signatures(target.contract_type.abi).items():
            selector = keccak(text=signature)[:4]
            assert manager.getTargetFunctionRole(target, selector) == role_id(role), (
                f"{spec.name}.{signature}"
            )


def _function(signature: str) -> SimpleNamespace:
    return SimpleNamespace(type="function", name=signature.split("(")[0], selector=signature)


ABI = [_function("pause()"), _function("burn(uint256)"), _function("burn(address,uint256)")]


def test_a_name_resolves_to_its_signature_and_an_overloaded_name_needs_one():
    spec = ContractSpec(name="Token", domain="t", restricted={"TREASURER": ("pause",)})
    assert spec.restricted_signatures(ABI) == {"pause()": "TREASURER"}
    overloaded = ContractSpec(name="Token", domain="t", restricted={"TREASURER": ("burn",)})
    with pytest.raises(ValueError, match=r"Token.burn is overloaded: name one of burn\(uint256\)"):
        overloaded.restricted_signatures(ABI)
    chosen = ContractSpec(name="Token", domain="t", restricted={"TREASURER": ("burn(uint256)",)})
    assert chosen.restricted_signatures(ABI) == {"burn(uint256)": "TREASURER"}


def test_a_missing_or_twice_mapped_function_is_refused():
    missing = ContractSpec(name="Token", domain="t", restricted={"TREASURER": ("mint",)})
    with pytest.raises(ValueError, match="Token has no function mint"):
        missing.restricted_signatures(ABI)
    twice = ContractSpec(
        name="Token", domain="t", upgradeable=True, restricted={"TREASURER": ("pause",)}
    )
    with pytest.raises(ValueError, match=r"Token\.pause is mapped to both GUARDIAN and TREASURER"):
        twice.restricted_signatures(ABI)


def test_a_role_given_one_name_as_a_string_is_refused():
    """A bare string would be read letter by letter as function names."""
    spec = ContractSpec(name="Token", domain="t", restricted={"TREASURER": "burn"})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="Token: TREASURER needs a tuple of function names"):
        spec.restricted_signatures(ABI)
