"""Property-domain fixtures on top of the shared ones (tests/conftest.py and
tests/shared_fixtures.py): registered identities (parties), a parcel factory, token funding."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from eth_utils import keccak

from civic_ledger.identity.client import Kind

from .helpers import Party, accept_sale, parcel_data, subject_for

PARTY_KINDS = {
    "alice": Kind.PERSON,
    "bob": Kind.PERSON,
    "bank": Kind.ENTERPRISE,
    "bank2": Kind.ENTERPRISE,
    "carol": Kind.PERSON,
}


@pytest.fixture(scope="session")
def party_accounts(citizens: list[Any], accounts: Any, deployer: Any) -> list[Any]:
    """One wallet per party: the shared citizen accounts, topped up with generated ones."""
    wallets = list(citizens)
    while len(wallets) < len(PARTY_KINDS):
        extra = accounts.generate_test_account()
        deployer.transfer(extra, 10**20)
        wallets.append(extra)
    return wallets


@pytest.fixture
def fresh_wallet(accounts: Any, deployer: Any) -> Callable[[], Any]:
    """A new funded wallet with no identity and no role."""

    def make() -> Any:
        wallet = accounts.generate_test_account()
        deployer.transfer(wallet, 10**20)
        return wallet

    return make


@pytest.fixture
def parties(identities: Any, agency: dict[str, Any], party_accounts: list[Any]) -> dict[str, Party]:
    """alice, bob, carol (persons) and bank, bank2 (lenders), registered in one batch."""
    entries = []
    out: dict[str, Party] = {}
    for (name, kind), account in zip(PARTY_KINDS.items(), party_accounts, strict=False):
        subject = subject_for(name)
        entries.append((subject, account.address, kind))
        out[name] = Party(name, subject, account)
    identities.registerBatch(entries, sender=agency["identity_office"])
    return out


@pytest.fixture
def new_parcel(titles: Any, registrar: Any) -> Callable[..., int]:
    """Registers a parcel for `owner` and returns its id."""

    def make(owner: Party, area: int = 1_000, land_use: int = 1, code: str | None = None) -> int:
        data = parcel_data(code, area, land_use)
        titles.register(owner.subject, data, sender=registrar)
        return data[0]

    return make


@pytest.fixture
def fund(token: Any, treasurer: Any) -> Callable[[Any, int], None]:
    """Mints settlement tokens to an account."""

    def give(account: Any, amount: int) -> None:
        token.mint(account, amount, sender=treasurer)

    return give


@pytest.fixture
def sale_ready(
    titles: Any, liens: Any, parties: dict[str, Party], new_parcel: Callable[..., int]
) -> tuple[int, int]:
    """A parcel of alice with an accepted sale to bob: (parcel_id, sale_id)."""
    alice, bob = parties["alice"], parties["bob"]
    parcel = new_parcel(alice)
    titles.proposeSale(parcel, bob.subject, 500_000, keccak(text="deed"), sender=alice.account)
    sale = titles.openSaleOf(parcel)
    accept_sale(titles, liens, sale, bob.account)
    return parcel, sale
