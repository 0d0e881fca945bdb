"""LienRegistry: consent-based and ordered liens, releases, and liens blocking sales."""

from __future__ import annotations

import pytest
from eth_utils import keccak
from reverts import reverts

from civic_ledger.property.liens import LienState, SaleConsent
from civic_ledger.property.titles import SaleState

from .helpers import accept_sale, parcel_data

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
    assert liens.lienOf(lien_id).state == LienState.PROPOSED
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
        LienState.ACTIVE,
    )
    assert list(liens.activeLiensOf(pid)) == [lien_id]


def test_only_lender_controller_proposes_and_only_owner_consents(
    liens, parties, new_parcel, outsider, registrar
):
    alice, bank, bob = parties["alice"], parties["bank"], parties["bob"]
    pid = new_parcel(alice)
    for caller in (alice.account, outsider, registrar):
        with reverts("LienUnauthorized"):
            liens.proposeLien(pid, bank.subject, 1, LOAN, sender=caller)
    liens.proposeLien(pid, bank.subject, 1, LOAN, sender=bank.account)
    lien_id = liens.lienCount()
    for caller in (bank.account, bob.account, outsider, registrar):
        with reverts("LienUnauthorized"):
            liens.consentLien(lien_id, sender=caller)
    liens.consentLien(lien_id, sender=alice.account)
    with reverts("LienWrongState"):
        liens.consentLien(lien_id, sender=alice.account)


def test_invalid_liens(liens, parties, new_parcel):
    alice, bank = parties["alice"], parties["bank"]
    pid = new_parcel(alice)
    ghost = keccak(text="ghost bank")
    # (error, parcel, holder, amount, evidence, sender): the bank's valid proposal
    # (pid, bank.subject, 1, LOAN) with one thing wrong
    bad_proposals = [
        ("LienInvalid", pid, bank.subject, 0, LOAN, bank.account),  # amount 0
        ("LienInvalid", pid, bank.subject, 1, b"\x00" * 32, bank.account),  # no evidence
        ("LienInvalid", pid, alice.subject, 1, LOAN, alice.account),  # the owner as holder
        ("LienParcelNotActive", 999, bank.subject, 1, LOAN, bank.account),
        ("CityIdentityNotActive", pid, ghost, 1, LOAN, bank.account),
    ]
    for error, *args, sender in bad_proposals:
        with reverts(error):
            liens.proposeLien(*args, sender=sender)


@pytest.mark.parametrize("who", ["bank", "alice"])
def test_proposal_withdrawn_by_lender_or_declined_by_owner(liens, parties, new_parcel, who):
    alice, bank = parties["alice"], parties["bank"]
    pid = new_parcel(alice)
    liens.proposeLien(pid, bank.subject, 1, LOAN, sender=bank.account)
    lien_id = liens.lienCount()
    with reverts("LienUnauthorized"):
        liens.withdrawLien(lien_id, sender=parties["bob"].account)
    liens.withdrawLien(lien_id, sender=parties[who].account)
    assert liens.lienOf(lien_id).state == LienState.WITHDRAWN
    with reverts("LienWrongState"):
        liens.consentLien(lien_id, sender=alice.account)


def test_registrar_records_by_order(liens, parties, new_parcel, registrar, outsider):
    alice, bank = parties["alice"], parties["bank"]
    pid = new_parcel(alice)
    for caller in (outsider, bank.account, alice.account):
        with reverts("AccessManagedUnauthorized"):
            liens.recordLienByOrder(pid, bank.subject, 5, ORDER, sender=caller)
    receipt = liens.recordLienByOrder(pid, bank.subject, 5, ORDER, sender=registrar)
    [event] = liens.LienRecorded.from_receipt(receipt)
    assert (event.byOrder, event.operator) == (True, registrar.address)
    assert liens.lienOf(event.lienId).state == LienState.ACTIVE
    assert liens.hasActiveLiens(pid)


def test_holder_releases(liens, parties, mortgaged, outsider):
    pid, lien_id = mortgaged
    for caller in (parties["alice"].account, parties["bank2"].account, outsider):
        with reverts("LienUnauthorized"):
            liens.releaseLien(lien_id, sender=caller)
    receipt = liens.releaseLien(lien_id, sender=parties["bank"].account)
    [event] = liens.LienReleased.from_receipt(receipt)
    assert (event.operator, event.orderHash, event.saleId) == (
        parties["bank"].account.address,
        b"\x00" * 32,
        0,
    )
    assert liens.lienOf(lien_id).state == LienState.RELEASED
    assert not liens.hasActiveLiens(pid)
    with reverts("LienWrongState"):
        liens.releaseLien(lien_id, sender=parties["bank"].account)


def test_court_ordered_release(liens, parties, mortgaged, registrar, outsider):
    pid, lien_id = mortgaged
    with reverts("AccessManagedUnauthorized"):
        liens.orderRelease(lien_id, ORDER, sender=outsider)
    with reverts("LienInvalid"):
        liens.orderRelease(lien_id, b"\x00" * 32, sender=registrar)
    receipt = liens.orderRelease(lien_id, ORDER, sender=registrar)
    [event] = liens.LienReleased.from_receipt(receipt)
    assert (event.operator, event.orderHash) == (registrar.address, ORDER)
    assert not liens.hasActiveLiens(pid)


def _proposed_sale(titles, parties, pid, buyer="bob", seller="alice"):
    titles.proposeSale(
        pid, parties[buyer].subject, 1, keccak(text="deed"), sender=parties[seller].account
    )
    return titles.openSaleOf(pid)


def test_unanswered_lien_blocks_acceptance(titles, liens, parties, mortgaged, registrar):
    pid, lien_id = mortgaged
    sale = _proposed_sale(titles, parties, pid)
    readiness = titles.saleReadiness(sale)
    assert (readiness.accepted, readiness.liensCleared) == (False, False)
    state = liens.saleEncumbranceHash(sale)
    with reverts("TitleLiensUnanswered"):
        titles.acceptSale(sale, state, sender=parties["bob"].account)
    with reverts("TitleSaleWrongState"):
        titles.approveSale(sale, sender=registrar)
    liens.consentToSale(lien_id, sale, True, sender=parties["bank"].account)
    with reverts("TitleEncumbranceChanged"):  # the state the buyer read is gone
        titles.acceptSale(sale, state, sender=parties["bob"].account)
    accept_sale(titles, liens, sale, parties["bob"].account)
    assert titles.ownerOf(pid) == parties["alice"].account.address


def test_discharge_at_closing_releases_lien(titles, liens, parties, mortgaged, registrar):
    pid, lien_id = mortgaged
    sale = _proposed_sale(titles, parties, pid)
    liens.consentToSale(lien_id, sale, True, sender=parties["bank"].account)
    assert liens.saleConsentOf(lien_id, sale) == SaleConsent.DISCHARGE_AT_CLOSING
    accept_sale(titles, liens, sale, parties["bob"].account)
    receipt = titles.approveSale(sale, sender=registrar)
    assert titles.ownerOf(pid) == parties["bob"].account.address
    assert liens.lienOf(lien_id).state == LienState.RELEASED
    assert not liens.hasActiveLiens(pid)
    [released] = liens.LienReleased.from_receipt(receipt)
    assert (released.lienId, released.saleId) == (lien_id, sale)
    assert not titles.SaleAcceptanceVoided.from_receipt(receipt)  # closing voids nothing


def test_lien_kept_runs_with_the_land(titles, liens, parties, mortgaged, registrar):
    pid, lien_id = mortgaged
    sale = _proposed_sale(titles, parties, pid)
    liens.consentToSale(lien_id, sale, False, sender=parties["bank"].account)
    accept_sale(titles, liens, sale, parties["bob"].account)
    titles.approveSale(sale, sender=registrar)
    assert titles.ownerIdentityOf(pid) == parties["bob"].subject
    assert liens.lienOf(lien_id).state == LienState.ACTIVE
    # the answer was for that sale only: a resale needs a fresh one before acceptance
    resale = _proposed_sale(titles, parties, pid, buyer="carol", seller="bob")
    with reverts("TitleLiensUnanswered"):
        accept_sale(titles, liens, resale, parties["carol"].account)


def test_every_lien_must_consent(titles, liens, parties, mortgaged, registrar):
    pid, first = mortgaged
    liens.recordLienByOrder(pid, parties["bank2"].subject, 9, ORDER, sender=registrar)
    second = liens.lienCount()
    sale = _proposed_sale(titles, parties, pid)
    liens.consentToSale(first, sale, True, sender=parties["bank"].account)
    with reverts("TitleLiensUnanswered"):
        accept_sale(titles, liens, sale, parties["bob"].account)
    liens.consentToSale(second, sale, True, sender=parties["bank2"].account)
    accept_sale(titles, liens, sale, parties["bob"].account)
    titles.approveSale(sale, sender=registrar)
    assert liens.activeLiensOf(pid) == []


def test_sale_consent_rules(titles, liens, parties, mortgaged, new_parcel, registrar):
    pid, lien_id = mortgaged
    bank = parties["bank"].account
    sale = _proposed_sale(titles, parties, pid)
    with reverts("LienUnauthorized"):
        liens.consentToSale(lien_id, sale, True, sender=parties["alice"].account)
    other = new_parcel(parties["alice"])
    other_sale = _proposed_sale(titles, parties, other)
    with reverts("LienSaleMismatch"):
        liens.consentToSale(lien_id, other_sale, True, sender=bank)
    # before acceptance the holder may change or withdraw its answer
    liens.consentToSale(lien_id, sale, True, sender=bank)
    liens.consentToSale(lien_id, sale, False, sender=bank)
    assert liens.saleConsentOf(lien_id, sale) == SaleConsent.KEEP_LIEN
    liens.withdrawSaleConsent(lien_id, sale, sender=bank)
    assert liens.saleConsentOf(lien_id, sale) == SaleConsent.NONE
    assert titles.saleReadiness(sale).liensCleared is False
    # once accepted, the answer binds: no change, no withdrawal
    liens.consentToSale(lien_id, sale, True, sender=bank)
    accept_sale(titles, liens, sale, parties["bob"].account)
    for change in (
        lambda: liens.consentToSale(lien_id, sale, False, sender=bank),
        lambda: liens.consentToSale(lien_id, sale, True, sender=bank),
        lambda: liens.withdrawSaleConsent(lien_id, sale, sender=bank),
    ):
        with reverts("LienSaleAccepted", parcelId=pid, saleId=sale):
            change()
    assert liens.saleConsentOf(lien_id, sale) == SaleConsent.DISCHARGE_AT_CLOSING
    titles.cancelSale(sale, sender=parties["bob"].account)
    with reverts("LienSaleMismatch"):  # a closed sale cannot be consented to
        liens.consentToSale(lien_id, sale, True, sender=parties["bank"].account)


def test_lien_after_release_no_longer_blocks(titles, liens, parties, mortgaged, registrar):
    pid, lien_id = mortgaged
    sale = _proposed_sale(titles, parties, pid)
    liens.releaseLien(lien_id, sender=parties["bank"].account)
    accept_sale(titles, liens, sale, parties["bob"].account)  # nothing left to answer
    titles.approveSale(sale, sender=registrar)
    assert titles.ownerOf(pid) == parties["bob"].account.address


@pytest.mark.parametrize("how", ["holder release", "court release", "court lien"])
def test_lien_change_after_acceptance_voids_it(titles, liens, parties, mortgaged, registrar, how):
    """Any change of the unreleased liens while a sale is accepted voids the acceptance,
    naming who acted; the buyer accepts the new state, then approval passes."""
    pid, lien_id = mortgaged
    bank, bob = parties["bank"].account, parties["bob"].account
    sale = _proposed_sale(titles, parties, pid)
    liens.consentToSale(lien_id, sale, False, sender=bank)
    accept_sale(titles, liens, sale, bob)
    accepted = titles.saleOf(sale).encumbranceHash
    if how == "holder release":
        receipt, actor = liens.releaseLien(lien_id, sender=bank), bank
    elif how == "court release":
        receipt, actor = liens.orderRelease(lien_id, ORDER, sender=registrar), registrar
    else:
        receipt = liens.recordLienByOrder(pid, parties["bank2"].subject, 5, ORDER, sender=registrar)
        actor = registrar
    [voided] = titles.SaleAcceptanceVoided.from_receipt(receipt)
    assert (voided.saleId, voided.parcelId, voided.operator, voided.acceptedHash) == (
        sale,
        pid,
        actor.address,
        accepted,
    )
    assert titles.saleOf(sale).state == SaleState.PROPOSED
    assert titles.saleOf(sale).encumbranceHash == b"\x00" * 32
    assert titles.saleReadiness(sale).encumbranceAsAccepted is False
    with reverts("TitleSaleWrongState"):
        titles.approveSale(sale, sender=registrar)
    if how == "court lien":
        liens.consentToSale(liens.lienCount(), sale, True, sender=parties["bank2"].account)
    accept_sale(titles, liens, sale, bob)
    assert titles.saleReadiness(sale).encumbranceAsAccepted is True
    titles.approveSale(sale, sender=registrar)
    kept = [lien_id] if how == "court lien" else []  # bank's lien kept; the ordered one discharged
    assert list(liens.activeLiensOf(pid)) == kept


def test_lien_change_without_accepted_sale_voids_nothing(
    titles, liens, parties, mortgaged, registrar
):
    pid, lien_id = mortgaged
    sale = _proposed_sale(titles, parties, pid)
    receipt = liens.releaseLien(lien_id, sender=parties["bank"].account)
    assert not titles.SaleAcceptanceVoided.from_receipt(receipt)
    assert titles.saleOf(sale).state == SaleState.PROPOSED
    receipt = liens.recordLienByOrder(pid, parties["bank2"].subject, 5, ORDER, sender=registrar)
    assert not titles.SaleAcceptanceVoided.from_receipt(receipt)


def test_liens_block_split_and_merge(titles, liens, parties, mortgaged, new_parcel, registrar):
    pid, lien_id = mortgaged  # area 1000
    with reverts("TitleBlockedByLien"):
        titles.split(pid, [parcel_data(area=500), parcel_data(area=500)], sender=registrar)
    other = new_parcel(parties["alice"], area=10)
    with reverts("TitleBlockedByLien"):
        titles.merge([other, pid], parcel_data(area=1010), sender=registrar)
    liens.releaseLien(lien_id, sender=parties["bank"].account)
    titles.split(pid, [parcel_data(area=500), parcel_data(area=500)], sender=registrar)


def test_lien_caps_per_parcel_voluntary_and_ordered_apart(liens, parties, new_parcel, registrar):
    """8 voluntary and, separately, 8 court-ordered unreleased liens per parcel (16 at most)."""
    alice, bank = parties["alice"], parties["bank"]
    pid = new_parcel(alice)
    cap, ordered_cap = liens.MAX_LIENS_PER_PARCEL(), liens.MAX_ORDERED_LIENS_PER_PARCEL()
    assert (cap, ordered_cap) == (8, 8)
    for _ in range(ordered_cap):
        liens.recordLienByOrder(pid, bank.subject, 1, ORDER, sender=registrar)
    with reverts("LienTooManyOrderedLiens"):
        liens.recordLienByOrder(pid, bank.subject, 1, ORDER, sender=registrar)
    for i in range(cap):  # court orders do not use up the voluntary cap
        liens.proposeLien(pid, bank.subject, 1, keccak(text=f"loan {i}"), sender=bank.account)
        liens.consentLien(liens.lienCount(), sender=alice.account)
    liens.proposeLien(pid, bank.subject, 1, LOAN, sender=bank.account)
    with reverts("LienTooManyLiens"):
        liens.consentLien(liens.lienCount(), sender=alice.account)
    assert len(liens.activeLiensOf(pid)) == 16
    # releasing the middle one keeps the others (swap-remove); its slot is free again
    active = list(liens.activeLiensOf(pid))
    liens.orderRelease(active[3], ORDER, sender=registrar)
    assert sorted(liens.activeLiensOf(pid)) == sorted(active[:3] + active[4:])
    liens.recordLienByOrder(pid, bank.subject, 1, ORDER, sender=registrar)


def test_sale_encumbrance_view_and_hash_formula(titles, liens, parties, new_parcel, registrar):
    """The documented formula: keccak256(abi.encode(saleId, parcelId, lienIds ascending,
    holders, amounts, consents as uint8)); the view returns exactly those inputs."""
    from eth_abi import encode

    alice, bank, bank2 = parties["alice"], parties["bank"], parties["bank2"]
    pid = new_parcel(alice)
    liens.recordLienByOrder(pid, bank2.subject, 11, ORDER, sender=registrar)
    liens.proposeLien(pid, bank.subject, 22, LOAN, sender=bank.account)
    liens.consentLien(liens.lienCount(), sender=alice.account)
    liens.recordLienByOrder(pid, bank2.subject, 33, ORDER, sender=registrar)
    first, second, third = liens.lienCount() - 2, liens.lienCount() - 1, liens.lienCount()
    liens.orderRelease(first, ORDER, sender=registrar)  # swap-remove: stored order is 3, 2
    liens.recordLienByOrder(pid, bank.subject, 44, ORDER, sender=registrar)
    fourth = liens.lienCount()
    sale = _proposed_sale(titles, parties, pid)
    liens.consentToSale(third, sale, False, sender=bank2.account)
    liens.consentToSale(fourth, sale, True, sender=bank.account)

    (sale_id, parcel, ids, holders, amounts, consents), digest, answered = liens.saleEncumbrance(
        sale
    )
    assert (sale_id, parcel) == (sale, pid)
    assert list(ids) == [second, third, fourth]
    assert [bytes(h) for h in holders] == [bank.subject, bank2.subject, bank.subject]
    assert list(amounts) == [22, 33, 44]
    assert list(consents) == [
        SaleConsent.NONE,
        SaleConsent.KEEP_LIEN,
        SaleConsent.DISCHARGE_AT_CLOSING,
    ]
    assert answered is False
    expected = keccak(
        encode(
            ["uint256", "uint256", "uint256[]", "bytes32[]", "uint256[]", "uint8[]"],
            [sale, pid, [second, third, fourth], [bank.subject, bank2.subject, bank.subject],
             [22, 33, 44], [SaleConsent.NONE, SaleConsent.KEEP_LIEN, SaleConsent.DISCHARGE_AT_CLOSING]],
        )
    )  # fmt: skip
    assert digest == expected == liens.saleEncumbranceHash(sale)
    assert tuple(liens.saleEncumbranceOf(pid, sale)) == (expected, False)
    # an unencumbered parcel: empty arrays, answered
    clean = new_parcel(alice)
    clean_sale = _proposed_sale(titles, parties, clean)
    encumbrance, digest, answered = liens.saleEncumbrance(clean_sale)
    assert answered is True and list(encumbrance[2]) == []
    assert digest == keccak(
        encode(["uint256", "uint256", "uint256[]", "bytes32[]", "uint256[]", "uint8[]"],
               [clean_sale, clean, [], [], [], []])
    )  # fmt: skip


def test_on_sale_closed_only_from_title_registry(liens, parties, mortgaged, outsider, registrar):
    pid, _ = mortgaged
    for caller in (outsider, registrar):
        with reverts("LienOnlyTitleRegistry"):
            liens.onSaleClosed(pid, 1, sender=caller)


def test_suspended_holder_cannot_act_on_its_liens(
    titles, liens, identities, agency, parties, mortgaged
):
    """Suspension answers a reported stolen key: whoever holds the lender's key must not be able
    to release the lien or wave it through a sale until the identity office reinstates it."""
    pid, lien_id = mortgaged
    bank = parties["bank"]
    sale = _proposed_sale(titles, parties, pid)
    office = agency["identity_office"]
    identities.setStatus(bank.subject, 2, keccak(text="stolen key"), sender=office)
    with reverts("LienUnauthorized"):
        liens.releaseLien(lien_id, sender=bank.account)
    with reverts("LienUnauthorized"):
        liens.consentToSale(lien_id, sale, True, sender=bank.account)
    with reverts("LienUnauthorized"):
        liens.withdrawSaleConsent(lien_id, sale, sender=bank.account)
    assert liens.lienOf(lien_id).state == LienState.ACTIVE
    identities.setStatus(bank.subject, 1, keccak(text="key rotated"), sender=office)
    liens.releaseLien(lien_id, sender=bank.account)
    assert liens.lienOf(lien_id).state == LienState.RELEASED


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
        with reverts("LienUnauthorized"):
            liens.withdrawLien(lien_id, sender=party.account)
        identities.setStatus(party.subject, 1, keccak(text="reinstated"), sender=office)
    liens.withdrawLien(lien_id, sender=alice.account)
    assert liens.lienOf(lien_id).state == LienState.WITHDRAWN
