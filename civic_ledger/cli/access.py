"""`ape run admin access ...`: the AccessManager seen by an operator.

    ape run admin access pending                          # versions and scheduled upgrades
    ape run admin access cancel-upgrade NAME --account A  # the guardian (or admin) cancels

An upgrade is scheduled by `ape run deploy --upgrade NAME[=ARTEFACT]` and runs when the same
command is run again after the notice period (UPGRADER's execution delay)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from civic_ledger.chain.client import next_block_time
from civic_ledger.cli.common import ADDRESS, Suite, command, load_account
from civic_ledger.cli.output import console, send
from civic_ledger.core.encoding import format_time
from civic_ledger.core.exceptions import DeployError
from civic_ledger.core.names import MANAGER
from civic_ledger.deploy.pending import ContractVersion, PendingUpgrade, upgrade_status


@click.group()
def access() -> None:
    """The AccessManager: upgrades scheduled for the notice period, and their cancellation."""


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
    """Each upgradeable contract's version and implementation, and every upgrade scheduled in
    the AccessManager that has not run, with the earliest time it can run."""
    contracts, now = _status(Suite(manifest_file))
    table = Table(title=f"upgradeable contracts at {format_time(now)} (chain time)")
    for column in ("contract", "version", "implementation"):
        table.add_column(column, no_wrap=True)
    for contract in contracts:
        table.add_row(contract.contract, contract.version, contract.implementation)
    console.print(table)
    upgrades = [u for c in contracts for u in c.pending]
    if not upgrades:
        console.print("no upgrade is scheduled")
        return
    console.print(f"{len(upgrades)} upgrade(s) scheduled:")
    for u in upgrades:
        console.print(
            f"- {u.contract}: to {u.new_version} ({u.new_implementation}), {_when(u, now)}, "
            f"expires {format_time(u.expires_at)}; scheduled by {u.caller}, operation "
            f"0x{u.operation_id.hex()}"
        )
    console.print(
        "`ape run deploy --upgrade NAME[=ARTEFACT]` executes each from its time; until then the "
        "guardian can cancel it: `ape run admin access cancel-upgrade NAME --account ACCOUNT`"
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
