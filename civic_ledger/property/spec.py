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
        restricted={"TREASURER": ("mint", "burnFrom", "burn")},
    ),
    upgradeable(
        name=TITLE_REGISTRY,
        args=addresses(MANAGER, IDENTITY_REGISTRY),
        restricted={
            "REGISTRAR": (
                "register",
                "registerBatch",
                "approveSale",
                "rejectSale",
                "split",
                "merge",
            ),
            "ADMIN": ("setModules", "setBaseURI"),
        },
    ),
    upgradeable(
        name=LIEN_REGISTRY,
        args=addresses(MANAGER, TITLE_REGISTRY, IDENTITY_REGISTRY),
        restricted={"REGISTRAR": ("recordLienByOrder", "orderRelease")},
    ),
    upgradeable(
        name=PROPERTY_TAX,
        args=addresses(MANAGER, TITLE_REGISTRY, TOKEN, then=lambda ctx: (ctx.treasury,)),
        restricted={"TAX_ASSESSOR": ("assess", "voidAssessment")},
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
