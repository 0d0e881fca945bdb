"""Data exchange between agencies: DataExchange, upgradeable behind a CityProxy, deployed after
the identity domain (its subjects are IdentityRegistry commitments).

Every agency action is `restricted` to the function's role below AND checked in the contract
against the agency role it acts for (a resource's owner role, a request's recipient role, the
anchoring agency): one role per agency function, one agency per role. The subject's own
actions (`revokeConsent`, `disputeExemption`, `requestDeletion`) check their callers in the
contract. `pause()` (GUARDIAN), `unpause()` (ADMIN) and `upgradeToAndCall` (UPGRADER) come with
every upgradeable contract (`civic_ledger.spec.UPGRADEABLE_RESTRICTED`).
"""

from __future__ import annotations

from civic_ledger.core.names import DATA_EXCHANGE, IDENTITY_REGISTRY, MANAGER
from civic_ledger.spec import ContractSpec, addresses

CONTRACTS = (
    ContractSpec(
        name=DATA_EXCHANGE,
        domain="data",
        upgradeable=True,
        args=addresses(MANAGER, IDENTITY_REGISTRY),
        restricted={
            "registerResource((uint64,uint8,bool,uint32,bytes32,bytes32,bytes32,bytes32))": (
                "DATA_STEWARD"
            ),
            "addVersion(uint64,bytes32,bytes32)": "DATA_STEWARD",
            "retireResource(uint64,bytes32)": "DATA_STEWARD",
            "decide(uint64,bool,uint16)": "DATA_STEWARD",
            "revokeGrant(uint64,uint16)": "DATA_STEWARD",
            "request((uint64,uint64,bytes32,uint16,uint64,bytes32,bytes32,uint64))": (
                "DATA_REQUESTER"
            ),
            "requestWithConsent((uint64,uint64,bytes32,uint16,uint64,bytes32,bytes32,uint64),"
            "(bytes32,uint64,uint64,uint16,uint64,bytes32),bytes)": "DATA_REQUESTER",
            "confirmDeletion(uint64,bytes32)": "DATA_REQUESTER",
            "recordExemption((bytes32,uint64,uint64,uint16,uint64,bytes32))": (
                "DATA_EXEMPTION_OFFICER"
            ),
            "anchorReceipts(uint64,bytes32,uint32)": "DATA_RECEIPTS",
            "resolveExemptionDispute(uint64,bool,bytes32)": "ARBITER",
        },
    ),
)
