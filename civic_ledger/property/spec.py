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

from civic_ledger.spec import ContractSpec, Link

MANAGER = "CityAccessManager"
IDENTITY = "IdentityRegistry"
TOKEN = "CityToken"
TITLES = "TitleRegistry"
LIENS = "LienRegistry"
TAX = "PropertyTax"

CONTRACTS = (
    ContractSpec(
        name=TOKEN,
        domain="property",
        upgradeable=True,
        args=lambda ctx: (ctx.address_of(MANAGER),),
        restricted={
            "mint(address,uint256)": "TREASURER",
            "burnFrom(address,uint256)": "TREASURER",
            "burn(uint256)": "TREASURER",
        },
    ),
    ContractSpec(
        name=TITLES,
        domain="property",
        upgradeable=True,
        args=lambda ctx: (ctx.address_of(MANAGER), ctx.address_of(IDENTITY)),
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
    ContractSpec(
        name=LIENS,
        domain="property",
        upgradeable=True,
        args=lambda ctx: (
            ctx.address_of(MANAGER),
            ctx.address_of(TITLES),
            ctx.address_of(IDENTITY),
        ),
        restricted={
            "recordLienByOrder(uint256,bytes32,uint256,bytes32)": "REGISTRAR",
            "orderRelease(uint256,bytes32)": "REGISTRAR",
        },
    ),
    ContractSpec(
        name=TAX,
        domain="property",
        upgradeable=True,
        args=lambda ctx: (
            ctx.address_of(MANAGER),
            ctx.address_of(TITLES),
            ctx.address_of(TOKEN),
            ctx.treasury,
        ),
        restricted={
            "assess(uint256,uint16,uint256,uint64)": "TAX_ASSESSOR",
            "voidAssessment(uint256,uint16,bytes32)": "TAX_ASSESSOR",
        },
        links=(
            Link(
                TITLES,
                getter=("lienRegistry", "taxModule"),
                setter="setModules",
                value=lambda ctx: (ctx.address_of(LIENS), ctx.address_of(TAX)),
                set_once=True,
            ),
        ),
    ),
)
