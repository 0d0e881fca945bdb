"""Identity and credit records: who is who (IdentityRegistry) and what agencies certify about
them (RecordRegistry, the credit platform other contracts ask `meetsPolicy`).

Both are upgradeable (CityManaged behind a CityProxy): `args` are their `initialize(...)`
arguments, and CityManaged's pause / unpause / upgradeToAndCall are mapped by
`UPGRADEABLE_RESTRICTED`."""

from __future__ import annotations

from functools import partial

from civic_ledger.core.names import IDENTITY_REGISTRY, MANAGER, RECORD_REGISTRY
from civic_ledger.spec import ContractSpec, addresses

upgradeable = partial(ContractSpec, domain="identity", upgradeable=True)

CONTRACTS = (
    upgradeable(
        name=IDENTITY_REGISTRY,
        args=addresses(MANAGER),
        restricted={
            "IDENTITY_OFFICE": ("register", "registerBatch", "setStatus", "initiateRecovery"),
            "ADMIN": ("setRecoveryDelay",),
        },
    ),
    upgradeable(
        name=RECORD_REGISTRY,
        args=addresses(MANAGER, IDENTITY_REGISTRY),
        restricted={
            "RECORDS_ADMIN": (
                "registerSchema",
                "setSchemaActive",
                "setDisputeStay",
                "setCertificate",
                "setPolicy",
            ),
            "ARBITER": ("resolveDispute", "grantStay"),
        },
    ),
)
