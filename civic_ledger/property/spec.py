"""Property domain: settlement token, land titles, liens and property tax.

Every contract here is upgradeable (CityManaged behind a CityProxy): `args` are its
`initialize(...)` arguments, and pause/unpause/upgradeToAndCall come from
`UPGRADEABLE_RESTRICTED`.

Deployment order matters: TitleRegistry needs the IdentityRegistry (identity domain, deployed
earlier); LienRegistry and PropertyTax need TitleRegistry in their initializers, so TitleRegistry
learns their addresses through one admin link afterwards (`setModules`, set once: the plan skips
it when already wired to these modules and refuses when wired to others).
"""

from __future__ import annotations

from functools import partial

from civic_ledger.core.names import (
    IDENTITY_REGISTRY,
    LIEN_REGISTRY,
    MANAGER,
    PROPERTY_TAX,
    TITLE_REGISTRY,
    TOKEN,
)
from civic_ledger.spec import ContractSpec, Link, addresses

upgradeable = partial(ContractSpec, domain="property", upgradeable=True)

CONTRACTS = (
    upgradeable(
        name=TOKEN,
        args=addresses(MANAGER),
        restricted={
            "mint(address,uint256)": "TREASURER",
            "burnFrom(address,uint256)": "TREASURER",
            "burn(uint256)": "TREASURER",
        },
    ),
    upgradeable(
        name=TITLE_REGISTRY,
        args=addresses(MANAGER, IDENTITY_REGISTRY),
        restricted={
            "register(bytes32,(uint256,bytes32,uint128,uint32))": "REGISTRAR",
            "registerBatch(bytes32[],(uint256,bytes32,uint128,uint32)[])": "REGISTRAR",
            "approveSale(uint256)": "REGISTRAR",
            "rejectSale(uint256,bytes32)": "REGISTRAR",
            "split(uint256,(uint256,bytes32,uint128,uint32)[])": "REGISTRAR",
            "merge(uint256[],(uint256,bytes32,uint128,uint32))": "REGISTRAR",
            "setModules(address,address)": "ADMIN",
            "setBaseURI(string)": "ADMIN",
        },
    ),
    upgradeable(
        name=LIEN_REGISTRY,
        args=addresses(MANAGER, TITLE_REGISTRY, IDENTITY_REGISTRY),
        restricted={
            "recordLienByOrder(uint256,bytes32,uint256,bytes32)": "REGISTRAR",
            "orderRelease(uint256,bytes32)": "REGISTRAR",
        },
    ),
    upgradeable(
        name=PROPERTY_TAX,
        args=addresses(MANAGER, TITLE_REGISTRY, TOKEN, then=lambda ctx: (ctx.treasury,)),
        restricted={
            "assess(uint256,uint16,uint256,uint64)": "TAX_ASSESSOR",
            "voidAssessment(uint256,uint16,bytes32)": "TAX_ASSESSOR",
        },
        links=(
            Link(
                TITLE_REGISTRY,
                getter=("lienRegistry", "taxModule"),
                setter="setModules",
                value=lambda ctx: (ctx.address_of(LIEN_REGISTRY), ctx.address_of(PROPERTY_TAX)),
                set_once=True,
            ),
        ),
    ),
)
