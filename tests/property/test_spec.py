"""The property domain's deploy spec matches the contracts and the manager's configuration."""

from __future__ import annotations

from typing import Any

from eth_utils import keccak

from civic_ledger.access.roles import BY_NAME
from civic_ledger.property import spec as property_domain

# Functions anyone may call: their rules are per-record (owner/buyer/holder controllers) or
# they are the disabled ERC-20/721 entry points; `initialize` runs once, from the proxy's
# constructor (every contract here is upgradeable).
PERMISSIONLESS = {
    "TitleRegistry": {
        "initialize",
        "proposeSale",
        "acceptSale",
        "cancelSale",
        "syncHolder",
        "onEncumbranceChanged",  # only the lien registry (checked in the function)
        "transferFrom",
        "safeTransferFrom",
        "approve",
        "setApprovalForAll",
        "setAuthority",
    },
    "LienRegistry": {
        "initialize",
        "proposeLien",
        "consentLien",
        "withdrawLien",
        "releaseLien",
        "consentToSale",
        "withdrawSaleConsent",
        "onSaleClosed",
        "setAuthority",
    },
    "PropertyTax": {"initialize", "pay", "payWithPermit", "setAuthority"},
    "CityToken": {"initialize", "transfer", "transferFrom", "approve", "permit", "setAuthority"},
}


def _signature(abi: Any) -> str:
    def kind(p: Any) -> str:
        if p.type.startswith("tuple"):
            return "(" + ",".join(kind(c) for c in p.components) + ")" + p.type[5:]
        return p.type

    return f"{abi.name}({','.join(kind(i) for i in abi.inputs)})"


def test_every_mutating_function_is_restricted_or_known_permissionless(project):
    for spec in property_domain.CONTRACTS:
        abi = getattr(project, spec.name).contract_type.abi
        mutating = {
            _signature(f)
            for f in abi
            if f.type == "function" and f.stateMutability not in ("view", "pure")
        }
        assert spec.upgradeable, spec.name
        assert set(spec.all_restricted) <= mutating, spec.name
        unlisted = {s.split("(")[0] for s in mutating - set(spec.all_restricted)}
        assert unlisted == PERMISSIONLESS[spec.name], spec.name


def test_manager_maps_functions_to_roles(suite):
    manager = suite["CityAccessManager"]
    for spec in property_domain.CONTRACTS:
        target = suite[spec.name]
        for signature, role_name in spec.all_restricted.items():
            expected = 0 if role_name == "ADMIN" else BY_NAME[role_name].id  # ADMIN_ROLE is 0
            assert manager.getTargetFunctionRole(target, keccak(text=signature)[:4]) == expected, (
                signature
            )
