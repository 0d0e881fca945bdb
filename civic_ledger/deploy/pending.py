"""What an operator needs to know about upgrades: the version each upgradeable contract runs
now, and every upgrade scheduled in the AccessManager that has not run yet, with the earliest
time it can run (`ape run admin access pending`).

The chain is the source of truth, not the manifest: an upgrade is pending when the manager
logged `OperationScheduled` for `upgradeToAndCall` on one of the deployment's proxies and
`getSchedule(operationId)` is still non-zero (executed, cancelled and expired operations read
0). So an upgrade scheduled by hand (a console, the city's multisig) shows as well as one
scheduled by `ape run deploy --upgrade`. Reads only: plain `eth_call`, and `eth_getLogs`
through the one log reader (`chain/logs.LogReader`), on any provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eth_abi import decode
from eth_utils import keccak, to_checksum_address

from civic_ledger.access.operations import call, scheduled_operations
from civic_ledger.core.exceptions import DeployError
from civic_ledger.core.names import MANAGER
from civic_ledger.deploy.proxy import implementation_of

UPGRADE_TO_AND_CALL = keccak(text="upgradeToAndCall(address,bytes)")[:4]


@dataclass(frozen=True)
class PendingUpgrade:
    """An upgrade scheduled in the AccessManager that has neither run, nor been cancelled, nor
    expired."""

    contract: str
    proxy: str
    new_implementation: str
    new_version: str  # what the new implementation answers to version() ("?" if it does not)
    operation_id: bytes
    caller: str  # who scheduled it (who may execute it; cancel needs the same caller)
    data: bytes  # the upgradeToAndCall calldata (cancel needs it)
    ready_at: int  # earliest execution time (chain timestamp)
    expires_at: int  # after this the operation can no longer run

    def state(self, now: int) -> str:
        return "waiting" if now < self.ready_at else "ready"


@dataclass(frozen=True)
class ContractVersion:
    """One upgradeable contract: where it is, the code it runs, and what is scheduled for it."""

    contract: str
    proxy: str
    implementation: str
    version: str
    pending: tuple[PendingUpgrade, ...]


def version_of(web3: Any, address: str) -> str:
    """`version()` of a contract (or "?" when it has none)."""
    try:
        [text] = decode(["string"], call(web3, address, "version()", [], []))
    except Exception:  # no such function, or not a contract: shown as unknown, not fatal
        return "?"
    return str(text)


def pending_upgrades(
    web3: Any, manager: str, proxies: Mapping[str, str], from_block: int = 0
) -> list[PendingUpgrade]:
    """Upgrades of `proxies` ({contract name: proxy address}) scheduled in `manager` and still
    able to run, oldest first."""
    by_address = {to_checksum_address(a): name for name, a in proxies.items()}
    operations = scheduled_operations(
        web3, manager, from_block,
        keep=lambda target, data: target in by_address and data[:4] == UPGRADE_TO_AND_CALL,
    )  # fmt: skip
    pending = []
    for op in operations:
        new_implementation, _ = decode(["address", "bytes"], op.data[4:])
        new_implementation = to_checksum_address(new_implementation)
        pending.append(
            PendingUpgrade(
                contract=by_address[op.target],
                proxy=op.target,
                new_implementation=new_implementation,
                new_version=version_of(web3, new_implementation),
                operation_id=op.operation_id,
                caller=op.caller,
                data=op.data,
                ready_at=op.ready_at,
                expires_at=op.expires_at,
            )
        )
    return sorted(pending, key=lambda p: (p.ready_at, p.contract))


def upgrade_status(web3: Any, contracts: Mapping[str, Mapping[str, Any]]) -> list[ContractVersion]:
    """Every upgradeable contract of a deployment (the manifest's `contracts`): its version, its
    implementation and its pending upgrades."""
    if MANAGER not in contracts:
        raise DeployError(f"the manifest lists no {MANAGER}: deploy the suite first")
    manager = contracts[MANAGER]
    proxies = {n: e["address"] for n, e in contracts.items() if e.get("implementation")}
    pending = pending_upgrades(web3, manager["address"], proxies, int(manager.get("block", 0)))
    return [
        ContractVersion(
            contract=name,
            proxy=to_checksum_address(address),
            implementation=implementation_of(web3, address),
            version=version_of(web3, address),
            pending=tuple(p for p in pending if p.contract == name),
        )
        for name, address in proxies.items()
    ]
