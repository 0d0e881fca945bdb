"""`ape run admin token ...`: the settlement token (CityToken) for the treasurer and payers.

    ape run admin token balance ADDRESS                       # balance and supply, in tokens
    ape run admin token mint ADDRESS --amount 1200.50 --account TREASURER
    ape run admin token transfer ADDRESS --amount 80 --account A

Amounts are whole tokens ("1200.50"), given with --amount as everywhere else; they are shown
with the token's symbol."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from civic_ledger.cli.common import (
    ADDRESS,
    Suite,
    command,
    load_account,
    token_amount,
    token_text,
)
from civic_ledger.cli.output import console, print_rows, put, send
from civic_ledger.core.names import TOKEN


@click.group()
def token() -> None:
    """The settlement token: balances, minting (the treasurer) and transfers."""


def _balance_row(suite: Suite, address: str) -> tuple[str, str]:
    return (f"balance of {address}", token_text(suite, int(suite[TOKEN].balanceOf(address))))


@command(token, "balance", signs=False)
@click.argument("address", type=ADDRESS)
def balance(manifest_file: Path | None, address: str) -> None:
    """ADDRESS's balance and the total supply, in whole tokens."""
    suite = Suite(manifest_file)
    held, supply = int(suite[TOKEN].balanceOf(address)), int(suite[TOKEN].totalSupply())
    put(address=address, balance=held, total_supply=supply, symbol=suite[TOKEN].symbol(),
        decimals=int(suite[TOKEN].decimals()))  # fmt: skip
    print_rows([_balance_row(suite, address),
                ("total supply", token_text(suite, int(suite[TOKEN].totalSupply())))])  # fmt: skip


def _move(suite: Suite, sender: Any, verb: str, method: Any, to: str, amount: str) -> None:
    units = token_amount(suite, amount)
    if units == 0:
        raise click.BadParameter("the amount must be more than 0", param_hint="--amount")
    send(f"{verb} {token_text(suite, units)} to {to}", method, to, units, sender=sender)
    print_rows([_balance_row(suite, to)])


@command(token, "mint")
@click.argument("to", type=ADDRESS)
@click.option("--amount", required=True, help="Whole tokens, e.g. 1200.50.")
def mint(manifest_file: Path | None, account_alias: str, to: str, amount: str) -> None:
    """Mint --amount new tokens to TO (the TREASURER role signs)."""
    suite, sender = Suite(manifest_file), load_account(account_alias)
    _move(suite, sender, "minted", suite[TOKEN].mint, to, amount)


@command(token, "transfer")
@click.argument("to", type=ADDRESS)
@click.option("--amount", required=True, help="Whole tokens, e.g. 1200.50.")
def transfer(manifest_file: Path | None, account_alias: str, to: str, amount: str) -> None:
    """Transfer --amount of the signer's tokens to TO (refused before sending when the balance is
    short)."""
    suite, sender = Suite(manifest_file), load_account(account_alias)
    units = token_amount(suite, amount)
    held = int(suite[TOKEN].balanceOf(sender.address))
    if units > held:
        raise click.ClickException(f"{sender.address} holds {token_text(suite, held)}, less than "
                                   f"{token_text(suite, units)}")  # fmt: skip
    _move(suite, sender, "transferred", suite[TOKEN].transfer, to, amount)
    console.print(f"{sender.address} now holds {token_text(suite, held - units)}")
