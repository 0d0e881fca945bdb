"""The permission authority: deployed first, every other contract points at it."""

from __future__ import annotations

from civic_ledger.core.names import MANAGER
from civic_ledger.spec import ContractSpec

CONTRACTS = (ContractSpec(name=MANAGER, domain="access", args=lambda ctx: (ctx.admin,)),)
