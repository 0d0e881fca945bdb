"""Regression tests of the security review (issue #12), property domain: each test is the
attacker's action followed by the harm it must no longer cause.

- Finding 1: accepting a sale locks in the encumbrances the buyer saw;
- Finding 5: the admin cannot swap the lien or tax module (set once);
- Finding 8: owner + accomplice cannot fill the lien cap against court orders;
- Finding 10: no free text in property events (parcel URIs are gone);
- Finding 12: a parcel's chain of title is capped at 2**32 - 1 entries, in the same slots.
"""

from __future__ import annotations

import pytest
from eth_utils import keccak
from reverts import reverts

from civic_ledger.deploy.proxy import deploy_upgradeable
from civic_ledger.property.titles import SaleState

from .helpers import accept_sale, parcel_data

LOAN = keccak(text="loan agreement")
ORDER = keccak(text="court order")
DEED = keccak(text="deed")


@pytest.fixture
def mortgaged_sale(titles, liens, parties, new_parcel):
    """alice's parcel with bank's lien; a sale to bob, bank answered "discharge at closing":
    (parcel, lien, sale) — the buyer has not accepted yet."""
    alice, bob, bank = parties["alice"], parties["bob"], parties["bank"]
    pid = new_parcel(alice)
    liens.proposeLien(pid, bank.subject, 300_000, LOAN, sender=bank.account)
    lien = liens.lienCount()
    liens.consentLien(lien, sender=alice.account)
    titles.proposeSale(pid, bob.subject, 500_000, DEED, sender=alice.account)
    sale = titles.openSaleOf(pid)
    liens.consentToSale(lien, sale, True, sender=bank.account)
    return pid, lien, sale


# ------------------------------------------------------------------ finding 1


def test_f1a_lender_cannot_switch_discharge_to_keep_after_acceptance(
    titles, liens, parties, registrar, mortgaged_sale
):
    pid, lien, sale = mortgaged_sale
    bank = parties["bank"].account
    accept_sale(titles, liens, sale, parties["bob"].account)
    with reverts("LienSaleAccepted"):  # discharge -> keep
        liens.consentToSale(lien, sale, False, sender=bank)
    with reverts("LienSaleAccepted"):
        liens.withdrawSaleConsent(lien, sale, sender=bank)
    assert liens.saleConsentOf(lien, sale) == 2  # still DischargeAtClosing
    titles.approveSale(sale, sender=registrar)
    assert titles.ownerIdentityOf(pid) == parties["bob"].subject
    assert list(liens.activeLiensOf(pid)) == [], "the buyer received a lien it saw discharged"


def test_f1b_seller_and_accomplice_cannot_add_a_lien_after_acceptance(
    titles, liens, parties, registrar, mortgaged_sale
):
    pid, _, sale = mortgaged_sale
    alice, accomplice = parties["alice"].account, parties["bank2"]
    accept_sale(titles, liens, sale, parties["bob"].account)
    liens.proposeLien(
        pid, accomplice.subject, 900_000, keccak(text="sham"), sender=accomplice.account
    )
    sham = liens.lienCount()
    with reverts("LienSaleAccepted"):
        liens.consentLien(sham, sender=alice)
    with reverts("LienWrongState"):  # never became a lien
        liens.consentToSale(sham, sale, False, sender=accomplice.account)
    titles.approveSale(sale, sender=registrar)
    assert titles.ownerIdentityOf(pid) == parties["bob"].subject
    assert list(liens.activeLiensOf(pid)) == [], "the buyer received a lien it never saw"


def test_f1c_answer_changed_between_read_and_accept_refuses_the_acceptance(
    titles, liens, parties, registrar, mortgaged_sale
):
    """Front-running: the buyer reads the state (discharge), the lender switches to keep
    before the buyer's acceptance is mined: the acceptance must fail."""
    pid, lien, sale = mortgaged_sale
    bob = parties["bob"].account
    seen = liens.saleEncumbranceHash(sale)
    liens.consentToSale(lien, sale, False, sender=parties["bank"].account)  # front-runs
    now = liens.saleEncumbranceHash(sale)
    with reverts("TitleEncumbranceChanged", expected=seen, actual=now):
        titles.acceptSale(sale, seen, sender=bob)
    assert titles.saleOf(sale).state == SaleState.PROPOSED
    with reverts("TitleSaleWrongState"):
        titles.approveSale(sale, sender=registrar)
    assert titles.ownerIdentityOf(pid) == parties["alice"].subject, (
        "the sale closed on a state the buyer never accepted"
    )


def test_f1d_court_ordered_lien_voids_acceptance_until_reaccepted(
    titles, liens, parties, registrar, mortgaged_sale
):
    pid, lien, sale = mortgaged_sale
    bob, bank2 = parties["bob"], parties["bank2"]
    accept_sale(titles, liens, sale, bob.account)
    receipt = liens.recordLienByOrder(pid, bank2.subject, 7, ORDER, sender=registrar)
    ordered = liens.lienCount()
    assert titles.saleOf(sale).state == SaleState.PROPOSED, (
        "the acceptance survived a new court-ordered lien"
    )
    [voided] = titles.SaleAcceptanceVoided.from_receipt(receipt)
    assert (voided.saleId, voided.parcelId, voided.operator) == (sale, pid, registrar.address)
    # the new holder answers "keep": approval still needs the buyer to accept the new state
    liens.consentToSale(ordered, sale, False, sender=bank2.account)
    with reverts("TitleSaleWrongState"):
        titles.approveSale(sale, sender=registrar)
    accepted = liens.saleEncumbranceHash(sale)
    receipt = titles.acceptSale(sale, accepted, sender=bob.account)
    [event] = titles.SaleAccepted.from_receipt(receipt)
    assert event.encumbranceHash == accepted == titles.saleOf(sale).encumbranceHash
    titles.approveSale(sale, sender=registrar)
    # exactly what the buyer accepted: bank's lien discharged, the ordered one kept
    assert list(liens.activeLiensOf(pid)) == [ordered]
    assert liens.lienOf(lien).state == 3  # Released


# ------------------------------------------------------------------ finding 5


def test_f5_admin_cannot_replace_a_set_module(
    project, suite, agency, titles, liens, parties, new_parcel, registrar
):
    admin = agency["deployer"]
    alice, bank = parties["alice"], parties["bank"]
    pid = new_parcel(alice)
    liens.proposeLien(pid, bank.subject, 1, LOAN, sender=bank.account)
    liens.consentLien(liens.lienCount(), sender=alice.account)
    empty = deploy_upgradeable(
        project, "LienRegistry", suite["CityAccessManager"], titles, suite["IdentityRegistry"],
        sender=admin,
    )  # fmt: skip
    with reverts("TitleModulesAlreadySet"):
        titles.setModules(empty, suite["PropertyTax"], sender=admin)
    assert titles.lienRegistry() == liens.address, "the admin swapped the lien registry"
    with reverts("TitleBlockedByLien"):  # the lien still binds the parcel
        titles.split(pid, [parcel_data(area=500), parcel_data(area=500)], sender=registrar)


# ------------------------------------------------------------------ finding 8


def test_f8_owner_and_accomplice_cannot_block_court_orders(liens, parties, new_parcel, registrar):
    alice, accomplice, creditor = parties["alice"], parties["bank2"], parties["bank"]
    pid = new_parcel(alice)
    for i in range(8):
        liens.proposeLien(
            pid, accomplice.subject, 1, keccak(text=f"sham {i}"), sender=accomplice.account
        )
        liens.consentLien(liens.lienCount(), sender=alice.account)
    liens.recordLienByOrder(pid, creditor.subject, 50_000, ORDER, sender=registrar)
    assert liens.lienOf(liens.lienCount()).byOrder
    assert len(liens.activeLiensOf(pid)) == 9


# ------------------------------------------------------------------ finding 10


def test_f10_no_free_text_in_property_events(project):
    """Events of the property contracts carry hashes and typed, bounded fields only (the one
    string is the base URI the admin configures, not data about a parcel or a person)."""
    allowed = {("TitleRegistry", "BaseURISet", "baseURI")}
    found = set()
    for name in ("TitleRegistry", "LienRegistry", "PropertyTax", "CityToken"):
        for abi in getattr(project, name).contract_type.abi:
            if abi.type != "event":
                continue
            for arg in abi.inputs:
                if arg.type in ("string", "bytes") or arg.type.startswith("tuple"):
                    found.add((name, abi.name, arg.name))
    assert found <= allowed, sorted(found - allowed)


# ------------------------------------------------------------------ finding 12


def test_f12_title_history_counter_is_uint32_in_the_same_slots(chain, titles, parties, new_parcel):
    """The chain of title counter is uint32 (2**32 - 1 entries: one per sale, never reached)
    and the stored parcel still fits two storage slots (dataHash; one packed word)."""
    [parcel_abi] = [
        a for a in titles.contract_type.abi if a.type == "function" and a.name == "parcelOf"
    ]
    fields = {c.name: c.type for c in parcel_abi.outputs[0].components}
    assert fields["titleCount"] == "uint32"
    pid = new_parcel(parties["alice"], area=777, land_use=9)
    parcel = titles.parcelOf(pid)
    web3 = chain.provider.web3
    # find the mapping's base slot (a member of the civic.TitleRegistry namespace, ERC-7201) by
    # the stored data hash, then read the packed word after it
    namespace = (int.from_bytes(keccak(text="civic.TitleRegistry"), "big") - 1).to_bytes(32, "big")
    root = int.from_bytes(keccak(namespace), "big") & ~0xFF
    for base in range(root, root + 16):
        slot = int.from_bytes(keccak(pid.to_bytes(32, "big") + base.to_bytes(32, "big")), "big")
        if bytes(web3.eth.get_storage_at(titles.address, slot)) == bytes(parcel.dataHash):
            break
    else:
        pytest.fail("parcel storage not found")
    word = int.from_bytes(bytes(web3.eth.get_storage_at(titles.address, slot + 1)), "big")
    assert word & (2**128 - 1) == 777  # area
    assert (word >> 128) & (2**32 - 1) == 9  # landUse
    assert (word >> 160) & (2**48 - 1) == parcel.registeredAt
    assert (word >> 208) & 0xFF == 1  # status Active
    assert (word >> 216) & (2**32 - 1) == 1  # titleCount, in the same word
    assert bytes(web3.eth.get_storage_at(titles.address, slot + 2)) == b"\x00" * 32
