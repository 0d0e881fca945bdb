"""CityToken: only the treasurer mints and burns; burnFrom spends the allowance; permit works."""

from __future__ import annotations

from reverts import reverts

from civic_ledger.property.tax import sign_permit

from .helpers import DAY


def test_treasurer_mints_and_burns(token, treasurer, parties):
    alice = parties["alice"].account
    receipt = token.mint(alice, 1_000, sender=treasurer)
    [minted] = token.CityTokenMinted.from_receipt(receipt)
    assert (minted.operator, minted.to, minted.amount) == (treasurer.address, alice.address, 1_000)
    assert token.totalSupply() == 1_000

    token.approve(treasurer, 300, sender=alice)
    receipt = token.burnFrom(alice, 300, sender=treasurer)
    [burned] = token.CityTokenBurned.from_receipt(receipt)
    assert (burned.operator, burned.amount) == (treasurer.address, 300)
    assert token.balanceOf(alice) == 700
    assert token.allowance(alice, treasurer) == 0

    token.mint(treasurer, 50, sender=treasurer)
    token.burn(20, sender=treasurer)
    assert token.totalSupply() == 700 + 30


def test_burn_from_needs_allowance(token, treasurer, parties):
    alice = parties["alice"].account
    token.mint(alice, 100, sender=treasurer)
    with reverts("ERC20InsufficientAllowance"):
        token.burnFrom(alice, 1, sender=treasurer)


def test_nobody_else_mints_or_burns(token, treasurer, parties, agency, outsider):
    alice = parties["alice"].account
    token.mint(alice, 100, sender=treasurer)
    token.approve(outsider, 100, sender=alice)
    for caller in (outsider, agency["fund_office"], agency["deployer"], agency["treasury"], alice):
        with reverts("AccessManagedUnauthorized"):
            token.mint(caller, 1, sender=caller)
        with reverts("AccessManagedUnauthorized"):
            token.burnFrom(alice, 1, sender=caller)
        with reverts("AccessManagedUnauthorized"):
            token.burn(1, sender=caller)
    assert token.totalSupply() == 100


def test_permit_sets_allowance(token, treasurer, parties, chain):
    alice, bob = parties["alice"].account, parties["bob"].account
    token.mint(alice, 100, sender=treasurer)
    deadline = chain.pending_timestamp + DAY
    v, r, s = sign_permit(token, alice, bob.address, 60, deadline)
    token.permit(alice, bob, 60, deadline, v, r, s, sender=bob)
    assert token.allowance(alice, bob) == 60
    with reverts("ERC2612InvalidSigner"):  # replay: nonce moved on
        token.permit(alice, bob, 60, deadline, v, r, s, sender=bob)
    token.transferFrom(alice, bob, 60, sender=bob)
    assert token.balanceOf(bob) == 60
