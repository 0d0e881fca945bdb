"""Every restricted function of every contract is mapped to a role in its ContractSpec, every
mapped signature exists, and the deployed manager enforces exactly that mapping."""

from __future__ import annotations

from eth_utils import keccak

from civic_ledger.access.roles import role_id
from civic_ledger.core.introspect import restricted_functions
from civic_ledger.spec import all_contracts


def abi_signatures(contract) -> dict[str, str]:
    """signature -> function name, from the compiled ABI."""
    result = {}
    for abi in contract.contract_type.abi:
        if abi.type == "function":
            result[abi.selector] = abi.name
    return result


def test_spec_covers_exactly_the_restricted_functions(project):
    restricted = restricted_functions()
    for spec in all_contracts():
        abi = abi_signatures(getattr(project, spec.name))
        for signature in spec.all_restricted:
            assert signature in abi, f"{spec.name}: mapped function {signature} is not in the ABI"
        mapped_names = {abi[sig] for sig in spec.all_restricted}
        modifier_names = restricted.get(spec.name, set())
        assert modifier_names <= mapped_names, (
            f"{spec.name}: restricted but unmapped (would be ADMIN-only): "
            f"{sorted(modifier_names - mapped_names)}"
        )


def test_deployed_manager_enforces_the_spec(suite):
    manager = suite["CityAccessManager"]
    for spec in all_contracts():
        target = suite[spec.name]
        for signature, role in spec.all_restricted.items():
            selector = keccak(text=signature)[:4]
            assert manager.getTargetFunctionRole(target, selector) == role_id(role), (
                f"{spec.name}.{signature}"
            )
