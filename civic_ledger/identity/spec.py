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
            "register(bytes32,address,uint8)": "IDENTITY_OFFICE",
            "registerBatch((bytes32,address,uint8)[])": "IDENTITY_OFFICE",
            "setStatus(bytes32,uint8,bytes32)": "IDENTITY_OFFICE",
            "initiateRecovery(bytes32,address)": "IDENTITY_OFFICE",
            "setRecoveryDelay(uint64)": "ADMIN",
        },
    ),
    upgradeable(
        name=RECORD_REGISTRY,
        args=addresses(MANAGER, IDENTITY_REGISTRY),
        restricted={
            "registerSchema((string,string,uint64,bool,bool,uint64))": "RECORDS_ADMIN",
            "setSchemaActive(uint64,bool)": "RECORDS_ADMIN",
            "setDisputeStay(uint64,uint64)": "RECORDS_ADMIN",
            "setCertificate(uint64,bool)": "RECORDS_ADMIN",
            "setPolicy(uint256,string,uint64[],uint64[])": "RECORDS_ADMIN",
            "resolveDispute(bytes32,bool,bytes32)": "ARBITER",
            "grantStay(bytes32,uint64,bytes32)": "ARBITER",
        },
    ),
)
