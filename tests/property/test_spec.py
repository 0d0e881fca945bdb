"""The property domain's deploy spec matches the contracts and the manager's configuration."""

from __future__ import annotations

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


def test_every_mutating_function_is_restricted_or_known_permissionless(project):
    for spec in property_domain.CONTRACTS:
        contract_type = getattr(project, spec.name).contract_type
        mutating = {method.selector for method in contract_type.mutable_methods}
        restricted = set(spec.restricted_signatures(contract_type.abi))
        assert spec.upgradeable, spec.name
        assert restricted <= mutating, spec.name
        unlisted = {s.split("(")[0] for s in mutating - restricted}
        assert unlisted == PERMISSIONLESS[spec.name], spec.name
