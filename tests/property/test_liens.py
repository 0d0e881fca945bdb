"""LienRegistry: consent-based and ordered liens, releases, and liens blocking sales."""

from __future__ import annotations

import ape
import pytest
from eth_utils import keccak

from .helpers import parcel_data

PROPOSED, ACTIVE, RELEASED, WITHDRAWN = 1, 2, 3, 4
NONE, KEEP, DISCHARGE = 0, 1, 2
LOAN = keccak(text="loan agreement")
ORDER = keccak(text="court order 17")


@pytest.fixture
def mortgaged(liens, parties, new_parcel):
    """A parcel of alice with an active lien of `bank`: (parcel_id, lien_id)."""
    alice, bank = parties["alice"], parties["bank"]
    pid = new_parcel(alice)
    liens.proposeLien(pid, bank.subject, 300_000, LOAN, sender=bank.account)
    lien_id = liens.lienCount()
    liens.consentLien(lien_id, sender=alice.account)
    return pid, lien_id


def test_lender_proposes_owner_consents(liens, parties, new_parcel):
    alice, bank = parties["alice"], parties["bank"]
    pid = new_parcel(alice)
    receipt = liens.proposeLien(pid, bank.subject, 300_000, LOAN, sender=bank.account)
    [proposed] = liens.LienProposed.from_receipt(receipt)
    lien_id = proposed.lienId
    assert proposed.operator == bank.account.address
    assert liens.lienOf(lien_id).state == PROPOSED
    assert not liens.hasActiveLiens(pid)

    receipt = liens.consentLien(lien_id, sender=alice.account)
    [recorded] = liens.LienRecorded.from_receipt(receipt)
    assert (recorded.operator, recorded.byOrder) == (alice.account.address, False)
    lien = liens.lienOf(lien_id)
    assert (lien.parcelId, lien.holder, lien.amount, lien.evidenceHash, lien.state) == (
        pid,
        bank.subject,
        300_000,
        LOAN,
        ACTIVE,
    )
    assert list(liens.activeLiensOf(pid)) == [lien_id]


def test_only_lender_controller_proposes_and_only_owner_consents(
    liens, parties, new_parcel, outsider, registrar
):
    alice, bank, bob = parties["alice"], parties["bank"], parties["bob"]
    pid = new_parcel(alice)
    for caller in (alice.account, outsider, registrar):
        with ape.reverts(liens.LienUnauthorized):
            liens.proposeLien(pid, bank.subject, 1, LOAN, sender=caller)
    liens.proposeLien(pid, bank.subject, 1, LOAN, sender=bank.account)
    lien_id = liens.lienCount()
    for caller in (bank.account, bob.account, outsider, registrar):
        with ape.reverts(liens.LienUnauthorized):
            liens.consentLien(lien_id, sender=caller)
    liens.consentLien(lien_id, sender=alice.account)
    with ape.reverts(liens.LienWrongState):
        liens.consentLien(lien_id, sender=alice.account)


def test_invalid_liens(liens, parties, new_parcel):
    alice, bank = parties["alice"], parties["bank"]
    pid = new_parcel(alice)
    with ape.reverts(liens.LienInvalid):
        liens.proposeLien(pid, bank.subject, 0, LOAN, sender=bank.account)
    with ape.reverts(liens.LienInvalid):
        liens.proposeLien(pid, bank.subject, 1, b"\x00" * 32, sender=bank.account)
    with ape.reverts(liens.LienInvalid):
        liens.proposeLien(pid, alice.subject, 1, LOAN, sender=alice.account)
    with ape.reverts(liens.LienParcelNotActive):
        liens.proposeLien(999, bank.subject, 1, LOAN, sender=bank.account)
    with ape.reverts(liens.LienIdentityNotActive):
        liens.proposeLien(pid, keccak(text="ghost bank"), 1, LOAN, sender=bank.account)


@pytest.mark.parametrize("who", ["bank", "alice"])
def test_proposal_withdrawn_by_lender_or_declined_by_owner(liens, parties, new_parcel, who):
    alice, bank = parties["alice"], parties["bank"]
    pid = new_parcel(alice)
    liens.proposeLien(pid, bank.subject, 1, LOAN, sender=bank.account)
    lien_id = liens.lienCount()
    with ape.reverts(liens.LienUnauthorized):
        liens.withdrawLien(lien_id, sender=parties["bob"].account)
    liens.withdrawLien(lien_id, sender=parties[who].account)
    assert liens.lienOf(lien_id).state == WITHDRAWN
    with ape.reverts(liens.LienWrongState):
        liens.consentLien(lien_id, sender=alice.account)


def test_registrar_records_by_order(liens, parties, new_parcel, registrar, outsider):
    alice, bank = parties["alice"], parties["bank"]
    pid = new_parcel(alice)
    for caller in (outsider, bank.account, alice.account):
        with ape.reverts(liens.AccessManagedUnauthorized):
            liens.recordLienByOrder(pid, bank.subject, 5, ORDER, sender=caller)
    receipt = liens.recordLienByOrder(pid, bank.subject, 5, ORDER, sender=registrar)
    [event] = liens.LienRecorded.from_receipt(receipt)
    assert (event.byOrder, event.operator) == (True, registrar.address)
    assert liens.lienOf(event.lienId).state == ACTIVE
    assert liens.hasActiveLiens(pid)


def test_holder_releases(liens, parties, mortgaged, outsider):
    pid, lien_id = mortgaged
    for caller in (parties["alice"].account, parties["bank2"].account, outsider):
        with ape.reverts(liens.LienUnauthorized):
            liens.releaseLien(lien_id, sender=caller)
    receipt = liens.releaseLien(lien_id, sender=parties["bank"].account)
    [event] = liens.LienReleased.from_receipt(receipt)
    assert (event.operator, event.orderHash, event.saleId) == (
        parties["bank"].account.address,
        b"\x00" * 32,
        0,
    )
    assert liens.lienOf(lien_id).state == RELEASED
    assert not liens.hasActiveLiens(pid)
    with ape.reverts(liens.LienWrongState):
        liens.releaseLien(lien_id, sender=parties["bank"].account)


def test_court_ordered_release(liens, parties, mortgaged, registrar, outsider):
    pid, lien_id = mortgaged
    with ape.reverts(liens.AccessManagedUnauthorized):
        liens.orderRelease(lien_id, ORDER, sender=outsider)
    with ape.reverts(liens.LienInvalid):
        liens.orderRelease(lien_id, b"\x00" * 32, sender=registrar)
    receipt = liens.orderRelease(lien_id, ORDER, sender=registrar)
    [event] = liens.LienReleased.from_receipt(receipt)
    assert (event.operator, event.orderHash) == (registrar.address, ORDER)
    assert not liens.hasActiveLiens(pid)


def _accepted_sale(titles, parties, pid):
    titles.proposeSale(
        pid, parties["bob"].subject, 1, keccak(text="deed"), sender=parties["alice"].account
    )
    sale = titles.openSaleOf(pid)
    titles.acceptSale(sale, sender=parties["bob"].account)
    return sale


def test_unconsented_lien_blocks_sale(titles, liens, parties, mortgaged, registrar):
    pid, _ = mortgaged
    sale = _accepted_sale(titles, parties, pid)
    assert titles.saleReadiness(sale).liensCleared is False
    with ape.reverts(titles.TitleBlockedByLien):
        titles.approveSale(sale, sender=registrar)
    assert titles.ownerOf(pid) == parties["alice"].account.address


def test_discharge_at_closing_releases_lien(titles, liens, parties, mortgaged, registrar):
    pid, lien_id = mortgaged
    sale = _accepted_sale(titles, parties, pid)
    liens.consentToSale(lien_id, sale, True, sender=parties["bank"].account)
    assert liens.saleConsentOf(lien_id, sale) == DISCHARGE
    receipt = titles.approveSale(sale, sender=registrar)
    assert titles.ownerOf(pid) == parties["bob"].account.address
    assert liens.lienOf(lien_id).state == RELEASED
    assert not liens.hasActiveLiens(pid)
    [released] = liens.LienReleased.from_receipt(receipt)
    assert (released.lienId, released.saleId) == (lien_id, sale)


def test_lien_kept_runs_with_the_land(titles, liens, parties, mortgaged, registrar):
    pid, lien_id = mortgaged
    sale = _accepted_sale(titles, parties, pid)
    liens.consentToSale(lien_id, sale, False, sender=parties["bank"].account)
    titles.approveSale(sale, sender=registrar)
    assert titles.ownerIdentityOf(pid) == parties["bob"].subject
    assert liens.lienOf(lien_id).state == ACTIVE
    # the consent was for that sale only: a resale needs a fresh one
    titles.proposeSale(
        pid, parties["carol"].subject, 1, keccak(text="d2"), sender=parties["bob"].account
    )
    resale = titles.openSaleOf(pid)
    titles.acceptSale(resale, sender=parties["carol"].account)
    with ape.reverts(titles.TitleBlockedByLien):
        titles.approveSale(resale, sender=registrar)


def test_every_lien_must_consent(titles, liens, parties, mortgaged, registrar):
    pid, first = mortgaged
    liens.recordLienByOrder(pid, parties["bank2"].subject, 9, ORDER, sender=registrar)
    second = liens.lienCount()
    sale = _accepted_sale(titles, parties, pid)
    liens.consentToSale(first, sale, True, sender=parties["bank"].account)
    with ape.reverts(titles.TitleBlockedByLien):
        titles.approveSale(sale, sender=registrar)
    liens.consentToSale(second, sale, True, sender=parties["bank2"].account)
    titles.approveSale(sale, sender=registrar)
    assert liens.activeLiensOf(pid) == []


def test_sale_consent_rules(titles, liens, parties, mortgaged, new_parcel, registrar):
    pid, lien_id = mortgaged
    sale = _accepted_sale(titles, parties, pid)
    with ape.reverts(liens.LienUnauthorized):
        liens.consentToSale(lien_id, sale, True, sender=parties["alice"].account)
    other = new_parcel(parties["alice"])
    other_sale = _accepted_sale(titles, parties, other)
    with ape.reverts(liens.LienSaleMismatch):
        liens.consentToSale(lien_id, other_sale, True, sender=parties["bank"].account)
    liens.consentToSale(lien_id, sale, True, sender=parties["bank"].account)
    liens.withdrawSaleConsent(lien_id, sale, sender=parties["bank"].account)
    assert liens.saleConsentOf(lien_id, sale) == NONE
    with ape.reverts(titles.TitleBlockedByLien):
        titles.approveSale(sale, sender=registrar)
    titles.cancelSale(sale, sender=parties["bob"].account)
    with ape.reverts(liens.LienSaleMismatch):  # a closed sale cannot be consented to
        liens.consentToSale(lien_id, sale, True, sender=parties["bank"].account)


def test_lien_after_release_no_longer_blocks(titles, liens, parties, mortgaged, registrar):
    pid, lien_id = mortgaged
    sale = _accepted_sale(titles, parties, pid)
    liens.releaseLien(lien_id, sender=parties["bank"].account)
    titles.approveSale(sale, sender=registrar)
    assert titles.ownerOf(pid) == parties["bob"].account.address


def test_liens_block_split_and_merge(titles, liens, parties, mortgaged, new_parcel, registrar):
    pid, lien_id = mortgaged  # area 1000
    with ape.reverts(titles.TitleBlockedByLien):
        titles.split(pid, [parcel_data(area=500), parcel_data(area=500)], sender=registrar)
    other = new_parcel(parties["alice"], area=10)
    with ape.reverts(titles.TitleBlockedByLien):
        titles.merge([other, pid], parcel_data(area=1010), sender=registrar)
    liens.releaseLien(lien_id, sender=parties["bank"].account)
    titles.split(pid, [parcel_data(area=500), parcel_data(area=500)], sender=registrar)


def test_lien_cap_per_parcel(liens, parties, new_parcel, registrar):
    pid = new_parcel(parties["alice"])
    cap = liens.MAX_LIENS_PER_PARCEL()
    for _ in range(cap):
        liens.recordLienByOrder(pid, parties["bank"].subject, 1, ORDER, sender=registrar)
    with ape.reverts(liens.LienTooManyLiens):
        liens.recordLienByOrder(pid, parties["bank"].subject, 1, ORDER, sender=registrar)
    # releasing the middle one keeps the others (swap-remove)
    active = list(liens.activeLiensOf(pid))
    liens.orderRelease(active[3], ORDER, sender=registrar)
    assert sorted(liens.activeLiensOf(pid)) == sorted(active[:3] + active[4:])


def test_on_sale_closed_only_from_title_registry(liens, parties, mortgaged, outsider, registrar):
    pid, _ = mortgaged
    for caller in (outsider, registrar):
        with ape.reverts(liens.LienOnlyTitleRegistry):
            liens.onSaleClosed(pid, 1, sender=caller)


def test_suspended_holder_cannot_act_on_its_liens(
    titles, liens, identities, agency, parties, mortgaged
):
    """Suspension answers a reported stolen key: whoever holds the lender's key must not be able
    to release the lien or wave it through a sale until the identity office reinstates it."""
    pid, lien_id = mortgaged
    bank = parties["bank"]
    sale = _accepted_sale(titles, parties, pid)
    office = agency["identity_office"]
    identities.setStatus(bank.subject, 2, keccak(text="stolen key"), sender=office)
    with ape.reverts(liens.LienUnauthorized):
        liens.releaseLien(lien_id, sender=bank.account)
    with ape.reverts(liens.LienUnauthorized):
        liens.consentToSale(lien_id, sale, True, sender=bank.account)
    with ape.reverts(liens.LienUnauthorized):
        liens.withdrawSaleConsent(lien_id, sale, sender=bank.account)
    assert liens.lienOf(lien_id).state == ACTIVE
    identities.setStatus(bank.subject, 1, keccak(text="key rotated"), sender=office)
    liens.releaseLien(lien_id, sender=bank.account)
    assert liens.lienOf(lien_id).state == RELEASED


def test_suspended_party_cannot_withdraw_a_proposed_lien(
    liens, identities, agency, parties, new_parcel
):
    alice, bank = parties["alice"], parties["bank"]
    pid = new_parcel(alice)
    liens.proposeLien(pid, bank.subject, 1, LOAN, sender=bank.account)
    lien_id = liens.lienCount()
    office = agency["identity_office"]
    for party in (bank, alice):
        identities.setStatus(party.subject, 2, keccak(text="stolen key"), sender=office)
        with ape.reverts(liens.LienUnauthorized):
            liens.withdrawLien(lien_id, sender=party.account)
        identities.setStatus(party.subject, 1, keccak(text="reinstated"), sender=office)
    liens.withdrawLien(lien_id, sender=alice.account)
    assert liens.lienOf(lien_id).state == WITHDRAWN
