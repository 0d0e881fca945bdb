"""`ape run admin access ...`: the AccessManager seen and operated by the city's administrators.

    ape run admin access roles                            # every role, its delays and members
    ape run admin access members ROLE                     # who holds ROLE, since when, delays
    ape run admin access grant ROLE ADDRESS --account A   # (scheduled when A's call is delayed)
    ape run admin access revoke ROLE ADDRESS --account A  # a departing clerk is removed
    ape run admin access schedule CONTRACT 'fn(types)' ARGS... --account A
    ape run admin access execute OPERATION --account A    # once its time has come
    ape run admin access cancel OPERATION --account A     # the guardian, admin or scheduler
    ape run admin access pending                          # versions, scheduled operations
    ape run admin access cancel-upgrade NAME --account A  # the guardian (or admin) cancels

A call that the signer may make only after a delay (an execution delay on its role, the admin
delay of a target) is scheduled in the AccessManager and executed after it, by the same signer:
`grant`, `revoke` and `schedule` say when. An upgrade is scheduled by `ape run deploy --upgrade
NAME[=ARTEFACT]` and runs when the same command is run again after the notice period."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table

from civic_ledger.access import roles
from civic_ledger.access.operations import (
    Member,
    ScheduledOperation,
    can_call,
    function_names,
    role_members,
    scheduled_operations,
)
from civic_ledger.chain.client import next_block_time
from civic_ledger.cli.common import (
    ADDRESS,
    UINT32_MAX,
    Suite,
    command,
    load_account,
    parse_param,
)
from civic_ledger.cli.output import console, send
from civic_ledger.core.encoding import UINT64_MAX, format_time
from civic_ledger.core.exceptions import DeployError
from civic_ledger.core.names import MANAGER
from civic_ledger.deploy.pending import ContractVersion, PendingUpgrade, upgrade_status


@click.group()
def access() -> None:
    """The AccessManager: roles and their members, delayed operations, scheduled upgrades."""


def _status(suite: Suite) -> tuple[list[ContractVersion], int]:
    from ape import networks

    web3 = networks.provider.web3
    now = next_block_time(web3)
    return upgrade_status(web3, suite.manifest.contracts), now


def _when(upgrade: PendingUpgrade, now: int) -> str:
    if upgrade.state(now) == "ready":
        return f"ready since {format_time(upgrade.ready_at)}"
    return f"from {format_time(upgrade.ready_at)} (in {upgrade.ready_at - now}s)"


@command(access, "pending", signs=False)
def pending(manifest_file: Path | None) -> None:
    """Each upgradeable contract's version and implementation, every upgrade scheduled in the
    AccessManager that has not run, and every other scheduled operation, with the earliest time
    each can run."""
    suite = Suite(manifest_file)
    contracts, now = _status(suite)
    table = Table(title=f"upgradeable contracts at {format_time(now)} (chain time)")
    for column in ("contract", "version", "implementation"):
        table.add_column(column, no_wrap=True)
    for contract in contracts:
        table.add_row(contract.contract, contract.version, contract.implementation)
    console.print(table)
    upgrades = [u for c in contracts for u in c.pending]
    if not upgrades:
        console.print("no upgrade is scheduled")
    else:
        console.print(f"{len(upgrades)} upgrade(s) scheduled:")
        for u in upgrades:
            console.print(
                f"- {u.contract}: to {u.new_version} ({u.new_implementation}), {_when(u, now)}, "
                f"expires {format_time(u.expires_at)}; scheduled by {u.caller}, operation "
                f"0x{u.operation_id.hex()}"
            )
        console.print(
            "`ape run deploy --upgrade NAME[=ARTEFACT]` executes each from its time; until then "
            "the guardian can cancel it: `ape run admin access cancel-upgrade NAME --account A`"
        )
    _other_operations(suite, {u.operation_id for u in upgrades}, now)


def _other_operations(suite: Suite, upgrades: set[bytes], now: int) -> None:
    from ape import networks

    web3, manager = networks.provider.web3, suite[MANAGER].address
    others = [
        op
        for op in scheduled_operations(web3, manager, _manager_block(suite))
        if op.operation_id not in upgrades
    ]
    if not others:
        console.print("no other operation is scheduled")
        return
    console.print(f"{len(others)} other operation(s) scheduled:")
    for op in others:
        when = (
            f"ready since {format_time(op.ready_at)}" if op.state(now) == "ready"
            else f"from {format_time(op.ready_at)} (in {op.ready_at - now}s)"
        )  # fmt: skip
        console.print(
            f"- 0x{op.operation_id.hex()}: {_describe(suite, op)}, {when}, expires "
            f"{format_time(op.expires_at)}; scheduled by {op.caller}"
        )
    console.print(
        "`ape run admin access execute OPERATION --account A` runs one (the account that "
        "scheduled it); `ape run admin access cancel OPERATION --account A` cancels it"
    )


@command(access, "cancel-upgrade")
@click.argument("contract")
@click.option("--to", "new_implementation", type=ADDRESS, default=None,
              help="The scheduled implementation to cancel (when several are scheduled).")  # fmt: skip
def cancel_upgrade(
    manifest_file: Path | None, account_alias: str, contract: str, new_implementation: str | None
) -> None:
    """Cancel a scheduled upgrade of CONTRACT (the guardian, the admin or whoever scheduled it):
    it can no longer run; nothing else changes."""
    suite, sender = Suite(manifest_file), load_account(account_alias)
    contracts, _ = _status(suite)
    names = [c.contract for c in contracts]
    if contract not in names:
        raise DeployError(f"{contract} is not an upgradeable contract of this deployment "
                          f"({', '.join(names)})")  # fmt: skip
    scheduled = [u for c in contracts if c.contract == contract for u in c.pending]
    if new_implementation is not None:
        scheduled = [u for u in scheduled if u.new_implementation == new_implementation]
    if not scheduled:
        raise DeployError(f"no upgrade of {contract} is scheduled"
                          + (f" to {new_implementation}" if new_implementation else ""))  # fmt: skip
    if len(scheduled) > 1:
        raise DeployError(f"{len(scheduled)} upgrades of {contract} are scheduled: name one "
                          "with --to (" + ", ".join(u.new_implementation for u in scheduled)
                          + ")")  # fmt: skip
    [upgrade] = scheduled
    send(
        f"cancelled the upgrade of {contract} to {upgrade.new_version} "
        f"({upgrade.new_implementation})",
        suite[MANAGER].cancel, upgrade.caller, upgrade.proxy, upgrade.data,
        sender=sender,
    )  # fmt: skip


# ----------------------------------------------------------------------- roles and members


class RoleType(click.ParamType):
    """A role of the catalogue by name (TREASURER, case-insensitive), ADMIN, PUBLIC, or a
    numeric AccessManager role id."""

    name = "role"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        text = str(value).strip()
        if text.isdigit():
            if int(text) > UINT64_MAX:
                self.fail(f"role id {text} does not fit in 64 bits", param, ctx)
            return int(text)
        try:
            return roles.role_id(text)
        except KeyError as exc:
            self.fail(str(exc.args[0]), param, ctx)


ROLE = RoleType()


def role_name(role_id: int) -> str:
    try:
        return roles.RoleId(role_id).name
    except ValueError:
        return f"role {role_id}"


def _manager_block(suite: Suite) -> int:
    return int(suite.manifest.contracts[MANAGER].get("block", 0))


def _members(suite: Suite, role_id: int) -> list[Member]:
    from ape import networks

    manager = suite[MANAGER]
    return role_members(networks.provider.web3, manager.address, role_id, _manager_block(suite))


def _seconds(delay: int) -> str:
    return "none" if delay == 0 else f"{delay}s ({delay / 86400:g} days)"


@command(access, "roles", signs=False)
def roles_command(manifest_file: Path | None) -> None:
    """Every role of the catalogue: id, what it is for, its grant delay, who administers it
    and how many accounts hold it."""
    suite = Suite(manifest_file)
    manager = suite[MANAGER]
    table = Table(title="roles of the city's AccessManager")
    for column in ("id", "role", "grant delay", "admin", "members", "what it is for"):
        table.add_column(column, no_wrap=column != "what it is for")
    for role_id, name, text in [(roles.ADMIN_ROLE, "ADMIN", "administers every role")] + [
        (r.id, r.name, r.description) for r in roles.ROLES
    ]:
        table.add_row(
            str(role_id), name, _seconds(int(manager.getRoleGrantDelay(role_id))),
            role_name(int(manager.getRoleAdmin(role_id))), str(len(_members(suite, role_id))),
            text,
        )  # fmt: skip
    console.print(table)


@command(access, "members", signs=False)
@click.argument("role", type=ROLE)
def members_command(manifest_file: Path | None, role: int) -> None:
    """Who holds ROLE (a name such as TREASURER, or a role id), since when, and the execution
    delay each member's calls must wait."""
    suite = Suite(manifest_file)
    from ape import networks

    now = next_block_time(networks.provider.web3)
    members = _members(suite, role)
    if not members:
        console.print(f"nobody holds {role_name(role)}")
        return
    table = Table(title=f"members of {role_name(role)} (role {role}) at {format_time(now)}")
    for column in ("account", "member since", "execution delay"):
        table.add_column(column, no_wrap=True)
    for m in members:
        since = format_time(m.since) + ("" if m.since <= now else " (grant delay running)")
        table.add_row(m.account, since, _seconds(m.execution_delay))
    console.print(table)


# ------------------------------------------------------ calls that may have to be scheduled


def _call_or_schedule(suite: Suite, sender: Any, label: str, method: Any, *args: Any) -> None:
    """Send `method(*args)` if the sender may call it now; schedule it in the manager if the
    sender may call it only after a delay (saying when and how to execute it); refuse, sending
    nothing, if the sender may not call it at all."""
    from ape import networks

    manager = suite[MANAGER]
    data = bytes(method.encode_input(*args))
    target = method.contract.address
    immediate, delay = can_call(networks.provider.web3, manager.address, sender.address, target,
                                data[:4])  # fmt: skip
    if immediate:
        send(label, method, *args, sender=sender)
    elif delay:
        _schedule(suite, sender, label, target, data, delay)
    else:
        raise click.ClickException(f"{sender.address} may not {label}: it holds no role that "
                                   "allows it")  # fmt: skip


def _schedule(suite: Suite, sender: Any, label: str, target: str, data: bytes, delay: int) -> None:
    manager = suite[MANAGER]
    receipt = send(f"scheduled: {label} (delay {_seconds(delay)})", manager.schedule, target,
                   data, 0, sender=sender)  # fmt: skip
    [event] = manager.OperationScheduled.from_receipt(receipt)
    operation = "0x" + bytes(event.operationId).hex()
    console.print(
        f"operation {operation} can run from {format_time(int(event.schedule))}: "
        f"`ape run admin access execute {operation} --account ALIAS` (the same account); until "
        f"then the guardian can cancel it: `ape run admin access cancel {operation}`"
    )


@command(access, "grant")
@click.argument("role", type=ROLE)
@click.argument("account", type=ADDRESS)
@click.option("--execution-delay", type=click.IntRange(0, UINT32_MAX), default=0, show_default=True,
              help="Seconds every restricted call of this member must be scheduled for.")  # fmt: skip
def grant_command(
    manifest_file: Path | None, account_alias: str, role: int, account: str, execution_delay: int
) -> None:
    """Grant ROLE to ACCOUNT (the role's admin signs; with the role's grant delay the
    membership takes effect later). Scheduled instead when the signer's call is delayed."""
    suite, sender = Suite(manifest_file), load_account(account_alias)
    if role == roles.PUBLIC_ROLE:
        raise click.BadParameter("everyone holds PUBLIC: it cannot be granted", param_hint="ROLE")
    label = f"grant {role_name(role)} to {account}" + (
        f" with execution delay {_seconds(execution_delay)}" if execution_delay else ""
    )
    _call_or_schedule(suite, sender, label, suite[MANAGER].grantRole, role, account,
                      execution_delay)  # fmt: skip


@command(access, "revoke")
@click.argument("role", type=ROLE)
@click.argument("account", type=ADDRESS)
def revoke_command(manifest_file: Path | None, account_alias: str, role: int, account: str) -> None:
    """Revoke ROLE from ACCOUNT (a departing clerk): from the next block the account can no
    longer act in that role. Scheduled instead when the signer's call is delayed."""
    suite, sender = Suite(manifest_file), load_account(account_alias)
    if not any(m.account == account for m in _members(suite, role)):
        raise click.ClickException(f"{account} does not hold {role_name(role)}")
    _call_or_schedule(suite, sender, f"revoke {role_name(role)} from {account}",
                      suite[MANAGER].revokeRole, role, account)  # fmt: skip


@command(access, "schedule")
@click.argument("contract")
@click.argument("function")
@click.argument("args", nargs=-1)
def schedule_command(
    manifest_file: Path | None, account_alias: str, contract: str, function: str,
    args: tuple[str, ...],
) -> None:  # fmt: skip
    """Schedule CONTRACT.FUNCTION(ARGS) in the AccessManager, for a signer whose role carries
    an execution delay (or a target under an admin delay). FUNCTION is its signature, e.g.
    'setBaseURI(string)'; each ARG is given as text (numbers, 0x-hex, true/false, addresses)."""
    suite, sender = Suite(manifest_file), load_account(account_alias)
    if contract not in suite:
        raise click.BadParameter(f"{contract!r} is not a contract of this deployment "
                                 f"({', '.join(suite.manifest.contracts)})", param_hint="CONTRACT")  # fmt: skip
    target = suite[contract]
    data = parse_param(lambda f: encode_call(target, f, args), function, "FUNCTION/ARGS")
    from ape import networks

    manager = suite[MANAGER]
    _, delay = can_call(networks.provider.web3, manager.address, sender.address, target.address,
                        data[:4])  # fmt: skip
    if delay == 0:
        raise click.ClickException(f"no delay applies to {sender.address} calling {contract}."
                                   f"{function}: call it directly (or it may not call it at all)")  # fmt: skip
    _schedule(suite, sender, f"{contract}.{function}", target.address, data, delay)


def _operation(suite: Suite, value: str) -> ScheduledOperation:
    from ape import networks

    web3, manager = networks.provider.web3, suite[MANAGER].address
    waiting = scheduled_operations(web3, manager, _manager_block(suite))
    found = [op for op in waiting if "0x" + op.operation_id.hex() == value.strip().lower()]
    if not found:
        raise click.ClickException(f"{value} is not an operation waiting in the AccessManager "
                                   "(see `ape run admin access pending`)")  # fmt: skip
    return found[0]


@command(access, "execute")
@click.argument("operation")
def execute_command(manifest_file: Path | None, account_alias: str, operation: str) -> None:
    """Run a scheduled OPERATION (its id, from `access pending`) once its time has come; only
    the account that scheduled it can."""
    from ape import networks

    suite, sender = Suite(manifest_file), load_account(account_alias)
    op = _operation(suite, operation)
    if op.caller != sender.address:
        raise click.ClickException(f"only {op.caller}, who scheduled it, can execute {operation}")
    now = next_block_time(networks.provider.web3)
    if now < op.ready_at:
        raise click.ClickException(f"{operation} cannot run before {format_time(op.ready_at)} "
                                   f"(in {op.ready_at - now}s)")  # fmt: skip
    send(f"executed {_describe(suite, op)}", suite[MANAGER].execute, op.target, op.data,
         sender=sender)  # fmt: skip


@command(access, "cancel")
@click.argument("operation")
def cancel_command(manifest_file: Path | None, account_alias: str, operation: str) -> None:
    """Cancel a scheduled OPERATION (the guardian of the role, the admin, or whoever scheduled
    it): it can no longer run."""
    suite, sender = Suite(manifest_file), load_account(account_alias)
    op = _operation(suite, operation)
    send(f"cancelled {_describe(suite, op)}", suite[MANAGER].cancel, op.caller, op.target,
         op.data, sender=sender)  # fmt: skip


def _describe(suite: Suite, op: ScheduledOperation) -> str:
    names = function_names({name: suite[name] for name in suite.manifest.contracts})
    return names.get((op.target, op.selector), f"0x{op.selector.hex()} on {op.target}")


def encode_call(contract: Any, function: str, args: tuple[str, ...]) -> bytes:
    """The calldata of `function` (its signature, e.g. 'grantStay(bytes32,uint64,bytes32)') on
    an Ape contract instance, with `args` given as text."""
    from eth_abi import encode
    from eth_utils import keccak

    signature = "".join(function.split())
    abis = [m for m in contract.contract_type.mutable_methods if m.selector == signature]
    if not abis:
        raise ValueError(f"{signature!r} is not a function of {contract.contract_type.name}")
    types = [str(i.canonical_type) for i in abis[0].inputs]
    if len(args) != len(types):
        raise ValueError(f"{signature} takes {len(types)} argument(s), {len(args)} given")
    values = []
    for position, (abi_type, text) in enumerate(zip(types, args, strict=True), 1):
        try:
            values.append(abi_value(abi_type, text))
        except ValueError as exc:
            raise ValueError(f"argument {position} ({abi_type}): {exc}") from None
    return keccak(text=signature)[:4] + encode(types, values)


def abi_value(abi_type: str, text: str) -> Any:
    """One argument given as text, converted for `abi_type` (elementary types only)."""
    from eth_utils import is_address, to_checksum_address

    if abi_type.startswith(("uint", "int")):
        try:
            return int(text, 0)
        except ValueError:
            raise ValueError(f"{text!r} is not a whole number") from None
    if abi_type == "bool":
        if text.lower() not in {"true", "false"}:
            raise ValueError(f"{text!r} is not true or false")
        return text.lower() == "true"
    if abi_type == "address":
        if not is_address(text):
            raise ValueError(f"{text!r} is not an address")
        return to_checksum_address(text)
    if abi_type.startswith("bytes"):
        try:
            return bytes.fromhex(text.removeprefix("0x"))
        except ValueError:
            raise ValueError(f"{text!r} is not 0x-hex bytes") from None
    if abi_type == "string":
        return text
    raise ValueError(f"arguments of type {abi_type} cannot be given on the command line")
