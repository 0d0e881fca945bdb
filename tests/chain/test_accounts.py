"""Account loading below the CLI (`civic_ledger.chain.accounts`): what it refuses and how, and
how the CLI's `--account` renders it (a bad alias names `--account`; a locked account is one
`Error:` line of its own)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import click
import pytest

from civic_ledger.chain import accounts as chain_accounts
from civic_ledger.cli import common
from civic_ledger.core.exceptions import CivicError

PASTED_KEY = "0x" + "4c" * 32


@pytest.mark.parametrize(
    ("alias", "message"),
    [("  ", "the account alias is empty"), (PASTED_KEY, "not a private key"),
     ("TEST::one", "expected TEST::<number>"), ("TEST::9999", "9999 does not exist")],
)  # fmt: skip
def test_a_bad_alias_is_refused_naming_the_problem(alias: str, message: str) -> None:
    with pytest.raises(chain_accounts.InvalidAccount, match=message) as refused:
        chain_accounts.load_account(alias)
    assert isinstance(refused.value, CivicError)
    assert "4c4c" not in str(refused.value), "a pasted key is never echoed"


def test_the_cli_names_the_account_option() -> None:
    with pytest.raises(click.BadParameter, match="not a private key") as refused:
        common.load_account(PASTED_KEY)
    assert refused.value.param_hint == "--account"
    assert "4c4c" not in refused.value.format_message()


class _Keystore(SimpleNamespace):
    """A locked keystore account: unlocks with the right passphrase only."""

    def set_autosign(self, enabled: bool, passphrase: str | None = None) -> None:
        if passphrase != "right":
            raise ValueError("MAC mismatch")
        self.locked = False


@pytest.fixture
def keystore(monkeypatch: pytest.MonkeyPatch) -> Any:
    from ape import accounts

    account = _Keystore(alias="clerk", address="0x" + "11" * 20, locked=True)
    monkeypatch.setattr(accounts, "load", lambda alias: account, raising=False)
    monkeypatch.setattr(chain_accounts, "can_prompt", lambda: False)
    for name in ("CIVIC_PASSPHRASE", "APE_ACCOUNTS_clerk_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)
    return account


def test_a_locked_keystore_without_a_terminal_is_refused(keystore: Any) -> None:
    with pytest.raises(chain_accounts.AccountError, match="is locked and there is no terminal"):
        chain_accounts.load_account("clerk")
    with pytest.raises(click.ClickException) as refused:
        common.load_account("clerk")
    assert not isinstance(refused.value, click.BadParameter)
    assert "set $CIVIC_PASSPHRASE" in refused.value.format_message()


@pytest.mark.parametrize("variable", ["CIVIC_PASSPHRASE", "APE_ACCOUNTS_clerk_PASSPHRASE"])
def test_the_passphrase_comes_from_the_environment(
    keystore: Any, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "right")
    assert chain_accounts.load_account("clerk") is keystore and not keystore.locked


def test_a_wrong_passphrase_is_refused(keystore: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIVIC_PASSPHRASE", "wrong")
    with pytest.raises(chain_accounts.AccountError, match="cannot unlock account 'clerk'"):
        chain_accounts.load_account("clerk")
