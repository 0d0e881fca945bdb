"""What an operator needs to know about upgrades: the version each upgradeable contract runs
now, and every upgrade scheduled in the AccessManager that has not run yet, with the earliest
time it can run (`ape run admin access pending`).

The chain is the source of truth, not the manifest: an upgrade is pending when the manager
logged `OperationScheduled` for `upgradeToAndCall` on one of the deployment's proxies and
`getSchedule(operationId)` is still non-zero (executed, cancelled and expired operations read
0). So an upgrade scheduled by hand (a console, the city's multisig) shows as well as one
scheduled by `ape run deploy --upgrade`. Reads only: plain `eth_call` and `eth_getLogs`
through web3, on any provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address

from civic_ledger.core.exceptions import DeployError
from civic_ledger.core.names import MANAGER
from civic_ledger.deploy.proxy import implementation_of

OPERATION_SCHEDULED = keccak(text="OperationScheduled(bytes32,uint32,uint48,address,address,bytes)")
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


def _call(web3: Any, to: str, signature: str, types: list[str], args: list[Any]) -> bytes:
    data = keccak(text=signature)[:4] + encode(types, args)
    return bytes(web3.eth.call({"to": to_checksum_address(to), "data": "0x" + data.hex()}))


def version_of(web3: Any, address: str) -> str:
    """`version()` of a contract (or "?" when it has none)."""
    try:
        [text] = decode(["string"], _call(web3, address, "version()", [], []))
    except Exception:  # no such function, or not a contract: shown as unknown, not fatal
        return "?"
    return str(text)


def _uint(web3: Any, to: str, signature: str, types: list[str], args: list[Any]) -> int:
    return int(decode(["uint256"], _call(web3, to, signature, types, args))[0])


def pending_upgrades(
    web3: Any, manager: str, proxies: Mapping[str, str], from_block: int = 0
) -> list[PendingUpgrade]:
    """Upgrades of `proxies` ({contract name: proxy address}) scheduled in `manager` and still
    able to run, oldest first."""
    by_address = {to_checksum_address(a): name for name, a in proxies.items()}
    logs = web3.eth.get_logs(
        {
            "address": to_checksum_address(manager),
            "fromBlock": from_block,
            "toBlock": "latest",
            "topics": ["0x" + OPERATION_SCHEDULED.hex()],
        }
    )
    expiration = _uint(web3, manager, "expiration()", [], [])
    latest: dict[bytes, tuple[Any, ...]] = {}  # operation id -> its last scheduling
    for log in logs:
        operation = bytes(log["topics"][1])
        _, caller, target, data = decode(["uint48", "address", "address", "bytes"], log["data"])
        target = to_checksum_address(target)
        if target in by_address and bytes(data[:4]) == UPGRADE_TO_AND_CALL:
            latest[operation] = (to_checksum_address(caller), target, bytes(data))
    pending = []
    for operation, (caller, target, data) in latest.items():
        ready_at = _uint(web3, manager, "getSchedule(bytes32)", ["bytes32"], [operation])
        if ready_at == 0:
            continue  # executed, cancelled or expired
        new_implementation, _ = decode(["address", "bytes"], data[4:])
        new_implementation = to_checksum_address(new_implementation)
        pending.append(
            PendingUpgrade(
                contract=by_address[target],
                proxy=target,
                new_implementation=new_implementation,
                new_version=version_of(web3, new_implementation),
                operation_id=operation,
                caller=caller,
                data=data,
                ready_at=ready_at,
                expires_at=ready_at + expiration,
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
