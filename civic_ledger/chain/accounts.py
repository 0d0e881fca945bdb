"""Loading a signing account by alias: an Ape keystore (unlocked non-interactively when a
passphrase is in the environment) or `TEST::N`, a test account of a local chain.

Below the CLI: the commands (`--account`), the deploy plan (the records administrator of the
catalogue) and the demo (the agencies of the roles file) all load accounts here. A refusal is an
`AccountError`; `InvalidAccount` when the alias itself is wrong (the CLI names `--account`).
"""

from __future__ import annotations

import os
import re
from typing import Any

from civic_ledger.chain.poa import prepare_connection
from civic_ledger.core.exceptions import AccountError, InvalidAccount
from civic_ledger.core.revert import explain
from civic_ledger.core.terminal import can_prompt

PASSPHRASE_ENV = "CIVIC_PASSPHRASE"
_PRIVATE_KEY = re.compile(r"(0[xX])?[0-9a-fA-F]{64}")  # what a pasted secp256k1 key looks like


def load_account(alias: str) -> Any:
    """Load a signer by alias, unlocking keystores non-interactively when a passphrase is given
    in $APE_ACCOUNTS_<alias>_PASSPHRASE or $CIVIC_PASSPHRASE."""
    from ape import accounts

    prepare_connection()

    if not alias.strip():
        raise InvalidAccount("the account alias is empty")
    if _PRIVATE_KEY.fullmatch(alias.strip()):
        # Never echo it back (an error message ends up in terminals, CI logs and tickets).
        raise InvalidAccount(
            "expects an account alias, not a private key (the value given is not shown): "
            "import the key once with `ape accounts import ALIAS` and pass that ALIAS"
        )
    if alias.upper().startswith("TEST::"):
        return _test_account(accounts.test_accounts, alias)
    try:
        account = accounts.load(alias)
    except Exception:
        known = ", ".join(a.alias for a in accounts if getattr(a, "alias", None)) or "none"
        raise InvalidAccount(
            f"no Ape account named '{alias}' (known: {known}); "
            "import one with `ape accounts import ALIAS`"
        ) from None
    passphrase = os.environ.get(f"APE_ACCOUNTS_{alias}_PASSPHRASE") or os.environ.get(
        PASSPHRASE_ENV
    )
    if not passphrase and _locked_keystore(account) and not can_prompt():
        # Ape would prompt for the passphrase (and to confirm every signature) on stdin: with
        # no terminal that is an EOF abort mid-command, or a hang on a pipe. Refuse up front.
        raise AccountError(
            f"account '{alias}' is locked and there is no terminal to ask for its passphrase: "
            f"set ${PASSPHRASE_ENV} (or $APE_ACCOUNTS_{alias}_PASSPHRASE), or run in a terminal"
        )
    if passphrase and hasattr(account, "set_autosign"):
        try:
            account.set_autosign(True, passphrase=passphrase)
        except Exception as exc:
            raise AccountError(
                f"cannot unlock account '{alias}': {explain(exc)} (check the passphrase)"
            ) from None
    return account


def _test_account(test_accounts: Any, alias: str) -> Any:
    """`TEST::N`: test account N of the connected (local) chain."""
    index_text = alias.split("::", 1)[1]
    if not index_text.isdigit():
        raise InvalidAccount(f"'{alias}': expected TEST::<number>")
    index = int(index_text)
    if index >= len(test_accounts):
        raise InvalidAccount(
            f"there are {len(test_accounts)} test accounts; {index} does not exist"
        )
    return test_accounts[index]


def _locked_keystore(account: Any) -> bool:
    """An encrypted keystore account that would have to prompt before it can sign."""
    return hasattr(account, "set_autosign") and bool(getattr(account, "locked", False))
