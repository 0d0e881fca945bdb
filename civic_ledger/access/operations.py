"""What the AccessManager holds, read from the chain: role members and scheduled operations.

OpenZeppelin's AccessManager does not enumerate: members are found from its `RoleGranted` /
`RoleRevoked` logs and confirmed with `getAccess`, scheduled operations from its
`OperationScheduled` logs and confirmed with `getSchedule` (executed, cancelled and expired
operations read 0). So whatever was granted or scheduled by hand (a console, the city's
multisig) shows as well as what the CLI did. Reads only: `eth_call` through web3, and
`eth_getLogs` through the one log reader (`chain/logs.LogReader`, in the chunks the node
accepts), on any provider.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address

from civic_ledger.chain.client import Web3Client
from civic_ledger.chain.logs import Log, LogReader

OPERATION_SCHEDULED = keccak(text="OperationScheduled(bytes32,uint32,uint48,address,address,bytes)")
ROLE_GRANTED = keccak(text="RoleGranted(uint64,address,uint32,uint48,bool)")
ROLE_REVOKED = keccak(text="RoleRevoked(uint64,address)")


@dataclass(frozen=True)
class ScheduledOperation:
    """An operation scheduled in the AccessManager that has neither run, nor been cancelled,
    nor expired."""

    operation_id: bytes
    caller: str  # who scheduled it: only they can execute it (cancel needs the same caller)
    target: str
    data: bytes  # the calldata that will run
    ready_at: int  # earliest execution time (chain timestamp)
    expires_at: int  # after this it can no longer run

    @property
    def selector(self) -> bytes:
        return self.data[:4]

    def state(self, now: int) -> str:
        return "waiting" if now < self.ready_at else "ready"


@dataclass(frozen=True)
class Member:
    """A current member of a role."""

    account: str
    since: int  # when the membership takes (took) effect: a grant delay makes it later
    execution_delay: int  # seconds every restricted call of theirs must be scheduled for


def call(web3: Any, to: str, signature: str, types: list[str], args: list[Any]) -> bytes:
    """`eth_call` of `signature(types)` on `to` with `args`; the raw return data."""
    data = keccak(text=signature)[:4] + encode(types, args)
    return bytes(web3.eth.call({"to": to_checksum_address(to), "data": "0x" + data.hex()}))


def uint_call(web3: Any, to: str, signature: str, types: list[str], args: list[Any]) -> int:
    return int(decode(["uint256"], call(web3, to, signature, types, args))[0])


def _logs(web3: Any, manager: str, topics: list[Any], from_block: int) -> list[Log]:
    """The manager's logs matching `topics` from `from_block` on, through the one log reader."""
    return LogReader(Web3Client(web3)).logs([to_checksum_address(manager)], topics, from_block)


def scheduled_operations(
    web3: Any,
    manager: str,
    from_block: int = 0,
    keep: Callable[[str, bytes], bool] = lambda target, data: True,
) -> list[ScheduledOperation]:
    """Operations scheduled in `manager` and still able to run (those `keep(target, data)`
    accepts), earliest first."""
    latest: dict[bytes, tuple[str, str, bytes]] = {}  # operation id -> its last scheduling
    for log in _logs(web3, manager, ["0x" + OPERATION_SCHEDULED.hex()], from_block):
        _, caller, target, data = decode(["uint48", "address", "address", "bytes"], log.data)
        target = to_checksum_address(target)
        if keep(target, bytes(data)):
            latest[log.topics[1]] = (to_checksum_address(caller), target, bytes(data))
    if not latest:
        return []
    expiration = uint_call(web3, manager, "expiration()", [], [])
    found = []
    for operation, (caller, target, data) in latest.items():
        ready_at = uint_call(web3, manager, "getSchedule(bytes32)", ["bytes32"], [operation])
        if ready_at:
            found.append(
                ScheduledOperation(operation, caller, target, data, ready_at, ready_at + expiration)
            )
    return sorted(found, key=lambda op: (op.ready_at, op.operation_id))


def role_members(web3: Any, manager: str, role_id: int, from_block: int = 0) -> list[Member]:
    """The current members of `role_id` (including grants whose delay has not passed yet),
    in the order they were first granted."""
    role_topic = "0x" + encode(["uint64"], [role_id]).hex()
    seen: dict[str, None] = {}
    for log in _logs(web3, manager, [["0x" + ROLE_GRANTED.hex()], role_topic], from_block):
        seen.setdefault(to_checksum_address(log.topics[2][-20:]), None)
    members = []
    for account in seen:
        since, current, _pending, _effect = decode(
            ["uint48", "uint32", "uint32", "uint48"],
            call(web3, manager, "getAccess(uint64,address)", ["uint64", "address"],
                 [role_id, account]),
        )  # fmt: skip
        if since:  # revoked or renounced accounts read 0
            members.append(Member(account, int(since), int(current)))
    return members


def can_call(
    web3: Any, manager: str, caller: str, target: str, selector: bytes
) -> tuple[bool, int]:
    """The manager's `canCall`: (allowed right now, execution delay if it must be scheduled)."""
    immediate, delay = decode(
        ["bool", "uint32"],
        call(web3, manager, "canCall(address,address,bytes4)", ["address", "address", "bytes4"],
             [to_checksum_address(caller), to_checksum_address(target), selector]),
    )  # fmt: skip
    return bool(immediate), int(delay)


def function_names(contracts: Mapping[str, Any]) -> dict[tuple[str, bytes], str]:
    """{(address, selector): "Contract.function(types)"} for every method of the given Ape
    contract instances (names scheduled calldata for people)."""
    names = {}
    for name, instance in contracts.items():
        for abi in instance.contract_type.mutable_methods:
            selector = keccak(text=abi.selector)[:4]
            names[(to_checksum_address(instance.address), selector)] = f"{name}.{abi.selector}"
    return names
