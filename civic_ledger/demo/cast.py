"""Who plays which part in the demo: the agencies' signers from the roles file (test accounts
on local chains, keystore aliases elsewhere) and a few residents and firms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from civic_ledger.chain.accounts import load_account
from civic_ledger.core.config import AccountRef, RolesConfig

RESIDENT_TEST_ACCOUNTS = range(15, 20)
GAS_ALLOWANCE = 10**18  # native currency given to generated residents on non-dev chains


@dataclass
class Cast:
    agencies: dict[str, Any]
    residents: list[Any]

    def __getitem__(self, agency: str) -> Any:
        return self.agencies[agency]


def _signer(ref: AccountRef, deployer: Any, test_accounts: Any) -> Any:
    if ref.deployer:
        return deployer
    if ref.test_account is not None:
        return test_accounts[ref.test_account]
    if ref.alias:
        return load_account(ref.alias)
    raise ValueError(
        f"{ref.describe()} is a bare address: the demo needs every agency to sign, so give it "
        "as `account: <alias>` (or `test_account:` on a dev chain)"
    )


def assemble(roles: RolesConfig, deployer: Any, local: bool, residents: int = 4) -> Cast:
    from ape import accounts

    test_accounts = accounts.test_accounts
    agencies = {a.name: _signer(a.account, deployer, test_accounts) for a in roles.agencies}
    agencies["deployer"] = deployer
    if local:
        people = [test_accounts[i] for i in list(RESIDENT_TEST_ACCOUNTS)[:residents]]
    else:
        people = [test_accounts.generate_test_account() for _ in range(residents)]
        for person in people:
            deployer.transfer(person, GAS_ALLOWANCE)
    return Cast(agencies, people)
