"""Who signs the deploy plan and who it names: the deployer (the plan's sender), the accounts
of the roles file (an address, an Ape alias, or a test account on a dev chain), the city's
final admin, whether the deployer still holds ADMIN_ROLE, and the records administrator that
signs the catalogue."""

from __future__ import annotations

from typing import Any

from eth_utils import to_checksum_address

from civic_ledger.access.roles import ADMIN_ROLE, RoleId
from civic_ledger.core.config import AccountRef, RolesConfig
from civic_ledger.core.exceptions import DeployError

#: Development chains: test accounts allowed in the roles file, and a manifest whose contracts
#: are gone (the chain was reset) is started afresh instead of refused.
EPHEMERAL_NETWORKS = {"local", "city-local"}


class PlanAccounts:
    """The plan's accounts. `accounts` is Ape's account manager, `sender` the deployer's
    account; `manager` arguments are the deployed AccessManager, or None before it exists."""

    def __init__(self, accounts: Any, sender: Any, roles: RolesConfig, network_name: str) -> None:
        self.accounts = accounts
        self.sender = sender
        self.roles = roles
        self.network_name = network_name

    @property
    def ephemeral(self) -> bool:
        return self.network_name in EPHEMERAL_NETWORKS

    def resolve(self, ref: AccountRef) -> str:
        """The address an account reference of the roles file names."""
        if ref.deployer:
            return self.sender.address
        if ref.address:
            return to_checksum_address(ref.address)
        if ref.alias:
            try:
                return self.accounts.load(ref.alias).address
            except Exception as exc:  # Ape raises several kinds for a missing alias
                raise DeployError(
                    f"{self.roles.path}:{ref.line}: no Ape account named '{ref.alias}' "
                    f"({exc.__class__.__name__}); import it with `ape accounts import {ref.alias}`"
                ) from None
        if not self.ephemeral:
            raise DeployError(
                f"{self.roles.path}:{ref.line}: test_account is only allowed on local dev "
                f"chains, not on '{self.network_name}'; give the agency's address instead"
            )
        test_accounts = self.accounts.test_accounts
        if ref.test_account is None or ref.test_account >= len(test_accounts):
            raise DeployError(
                f"{self.roles.path}:{ref.line}: test account {ref.test_account} does not exist "
                f"(this chain has {len(test_accounts)}; see `test.number_of_accounts`)"
            )
        return test_accounts[ref.test_account].address

    @property
    def treasury(self) -> str:
        return self.resolve(self.roles.treasury)

    def final_admin(self) -> str:
        """The roles file's admin account (a Safe admin is resolved by the plan)."""
        if not isinstance(self.roles.admin, AccountRef):
            raise DeployError("the admin is a Safe: its address comes from the deploy plan")
        return self.resolve(self.roles.admin)

    def sender_is_admin(self, manager: Any | None) -> bool:
        if manager is None:
            return True
        return bool(manager.hasRole(ADMIN_ROLE, self.sender.address)[0])

    def records_admin(self, manager: Any | None) -> Any | None:
        """An account of this machine holding RECORDS_ADMIN per the roles file (the sender
        itself if it holds it; a test account on dev chains; an unlocked keystore), or None."""
        rid = RoleId.RECORDS_ADMIN
        if manager is not None and manager.hasRole(rid, self.sender.address)[0]:
            return self.sender
        for agency in self.roles.agencies:
            if "RECORDS_ADMIN" not in agency.roles:
                continue
            ref = agency.account
            if ref.test_account is not None and self.ephemeral:
                return self.accounts.test_accounts[ref.test_account]
            if ref.alias:
                try:
                    from civic_ledger.chain.accounts import load_account

                    return load_account(ref.alias)
                except Exception:  # not on this machine, or locked without a passphrase
                    return None
        return None
