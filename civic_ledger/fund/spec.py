"""Grant fund: rounds of rent subsidies, research subsidies and project grants paid in CityToken
to enterprises meeting a record-registry policy, decided M-of-N by the fund committee.

GrantFund needs the identity domain (IdentityRegistry, RecordRegistry) and the settlement token
(property domain), so it deploys last. Only manager, guardian and admin functions are
`restricted`; committee votes check FUND_COMMITTEE membership per vote inside the contract
(M-of-N needs each member's own identity: a member votes through the Active person identity it
controls, and never on matters of an identity the register of interests ties to it), and
deposits, applications, awards, rent check-ins and payouts are open to their callers under the
contract's own rules. `pause()` (GUARDIAN), `unpause()` (ADMIN) and `upgradeToAndCall`
(UPGRADER) come with every upgradeable contract (`civic_ledger.spec.UPGRADEABLE_RESTRICTED`).
"""

from __future__ import annotations

from civic_ledger.core.names import GRANT_FUND, IDENTITY_REGISTRY, MANAGER, RECORD_REGISTRY, TOKEN
from civic_ledger.spec import ContractSpec, addresses

# Committee decisions need THRESHOLD of COMMITTEE_SIZE members. config/roles.local.yaml grants
# FUND_COMMITTEE to three members; on a real network the admin adjusts both with
# `setCommittee(threshold, size)` when the committee changes (the contract requires 2 <= M <= N).
THRESHOLD = 2
COMMITTEE_SIZE = 3

CONTRACTS = (
    ContractSpec(
        name=GRANT_FUND,
        domain="fund",
        upgradeable=True,  # CityManaged behind a CityProxy: initialize(args) instead of a constructor
        args=addresses(
            MANAGER,
            TOKEN,
            IDENTITY_REGISTRY,
            RECORD_REGISTRY,
            then=lambda ctx: (ctx.treasury, THRESHOLD, COMMITTEE_SIZE),
        ),
        restricted={
            "createRound((string,uint8,uint256,uint256,uint64,uint64,uint64))": "FUND_MANAGER",
            "closeRound(uint256)": "FUND_MANAGER",
            # the register of interests (committee conflicts by identity); members may only add
            # their own recusals (`declareConflict`, checked in the contract)
            "setConflict(bytes32,bytes32,bool)": "FUND_MANAGER",
            "setCommittee(uint32,uint32)": "ADMIN",
            "setTreasury(address)": "ADMIN",
        },
    ),
)
