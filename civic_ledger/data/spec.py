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
            "DATA_STEWARD": (
                "registerResource",
                "addVersion",
                "retireResource",
                "decide",
                "revokeGrant",
            ),
            "DATA_REQUESTER": ("request", "requestWithConsent", "confirmDeletion"),
            "DATA_EXEMPTION_OFFICER": ("recordExemption",),
            "DATA_RECEIPTS": ("anchorReceipts",),
            "ARBITER": ("resolveExemptionDispute",),
        },
    ),
)
