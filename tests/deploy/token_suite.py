"""The small suite the deploy-plan tests deploy: the AccessManager and an upgradeable token."""

from civic_ledger.access import spec as access
from civic_ledger.spec import ContractSpec

SPECS = (
    *access.CONTRACTS,
    ContractSpec(
        name="CityToken",
        domain="test",
        upgradeable=True,
        args=lambda ctx: (ctx.address_of("CityAccessManager"),),
        restricted={"TREASURER": ("mint", "burnFrom", "burn")},
    ),
)
