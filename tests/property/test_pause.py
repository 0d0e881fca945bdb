"""The pause story of the property contracts (issue #12 finding 12; contracts/common/
CityManaged.sol): the guardian pauses, the admin unpauses, and closing a contract in the
AccessManager stops it as well. Functions that check their callers themselves stop with
`CityContractStopped`; `restricted` ones with `EnforcedPause` while paused and are refused by the
manager (`AccessManagedUnauthorized`) while closed. What continues during a pause is named in
each contract's rules block, with its reason, and tested here; closing stops it too.

Before the conversion LienRegistry and PropertyTax could not be paused at all, and every
self-checked function (propose/accept a sale, propose/consent/release a lien, answer a sale,
pay tax) ignored the manager's `closed` flag."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from eth_utils import keccak
from reverts import refused
from shared_fixtures import set_target_closed

from civic_ledger.property.liens import LienState
from civic_ledger.property.tax import sign_permit
from civic_ledger.property.titles import SaleState

from .helpers import DAY, accept_sale, parcel_data

STOPPED = "CityContractStopped"
PAUSED = "EnforcedPause"
UNAUTHORISED = "AccessManagedUnauthorized"
DEED = keccak(text="deed")
LOAN = keccak(text="loan")
ORDER = keccak(text="court order")


def functions_of(contract: Any) -> set[str]:
    return {m.name for m in contract.contract_type.abi if m.type == "function"}


def can_pause(contract: Any, name: str) -> None:
    missing = {"pause", "unpause", "isOpen"} - functions_of(contract)
    assert not missing, f"{name} has no {sorted(missing)}: the guardian cannot stop it"


@pytest.fixture
def lien_world(titles, liens, parties, new_parcel):
    """alice's parcel `pid` with bank's active lien `active`, bank2's proposed lien `proposed`
    and a sale to bob that the active lien has not answered; alice's second parcel `clean`
    with a sale bob accepted (no liens)."""
    alice, bob, bank, bank2 = (parties[n] for n in ("alice", "bob", "bank", "bank2"))
    pid = new_parcel(alice)
    liens.proposeLien(pid, bank.subject, 5, LOAN, sender=bank.account)
    active = int(liens.lienCount())
    liens.consentLien(active, sender=alice.account)
    liens.proposeLien(pid, bank2.subject, 5, LOAN, sender=bank2.account)
    proposed = int(liens.lienCount())
    titles.proposeSale(pid, bob.subject, 1, DEED, sender=alice.account)
    sale = int(titles.openSaleOf(pid))
    clean = new_parcel(alice)
    titles.proposeSale(clean, bob.subject, 1, DEED, sender=alice.account)
    accepted = int(titles.openSaleOf(clean))
    accept_sale(titles, liens, accepted, bob.account)
    return {"pid": pid, "active": active, "proposed": proposed, "sale": sale,
            "clean": clean, "accepted": accepted}  # fmt: skip


# ------------------------------------------------------------------ TitleRegistry


def test_paused_title_registry_stops_its_self_checked_functions(
    titles, liens, parties, new_parcel, sale_ready, registrar, guardian, admin
):
    alice, bob, bank = parties["alice"], parties["bob"], parties["bank"]
    free = new_parcel(alice)
    proposed_parcel = new_parcel(alice)
    titles.proposeSale(proposed_parcel, bob.subject, 1, DEED, sender=alice.account)
    proposed = int(titles.openSaleOf(proposed_parcel))
    accepted_parcel, accepted = sale_ready

    titles.pause(sender=guardian)
    refused("proposeSale while paused", STOPPED, lambda: titles.proposeSale(
        free, bob.subject, 1, DEED, sender=alice.account))  # fmt: skip
    refused("acceptSale while paused", STOPPED, lambda: accept_sale(
        titles, liens, proposed, bob.account))  # fmt: skip
    refused("syncHolder while paused", STOPPED, lambda: titles.syncHolder(free, sender=bob.account))
    refused("register while paused", PAUSED, lambda: titles.register(
        alice.subject, parcel_data(), sender=registrar))  # fmt: skip
    refused("approveSale while paused", PAUSED, lambda: titles.approveSale(
        accepted, sender=registrar))  # fmt: skip
    refused("setBaseURI while paused", PAUSED, lambda: titles.setBaseURI("x", sender=admin))

    # Continue during a pause (rules block): a court order still voids the acceptance it
    # changes, a party may still withdraw, the registrar may still refuse.
    liens.recordLienByOrder(accepted_parcel, bank.subject, 7, ORDER, sender=registrar)
    assert titles.saleOf(accepted).state == SaleState.PROPOSED, (
        "the court order did not void the acceptance"
    )
    titles.cancelSale(accepted, sender=bob.account)
    assert titles.saleOf(accepted).state == SaleState.CANCELLED
    titles.rejectSale(proposed, keccak(text="deed defective"), sender=registrar)
    assert titles.saleOf(proposed).state == SaleState.REJECTED

    titles.unpause(sender=admin)
    assert titles.isOpen()
    titles.proposeSale(free, bob.subject, 1, DEED, sender=alice.account)


# ------------------------------------------------------------------ LienRegistry


def lien_calls(
    liens: Any, w: dict[str, int], parties: dict[str, Any], other: int, registrar: Any
) -> dict[str, Callable[[], Any]]:
    """The lien registry's state changes on `lien_world`, each by the party entitled to it
    (`other`: a parcel of alice without liens)."""
    alice, bank, bank2 = parties["alice"], parties["bank"], parties["bank2"]
    return {
        "proposeLien": lambda: liens.proposeLien(other, bank.subject, 5, LOAN, sender=bank.account),
        "consentLien": lambda: liens.consentLien(w["proposed"], sender=alice.account),
        "withdrawLien": lambda: liens.withdrawLien(w["proposed"], sender=bank2.account),
        "releaseLien": lambda: liens.releaseLien(w["active"], sender=bank.account),
        "consentToSale": lambda: liens.consentToSale(
            w["active"], w["sale"], True, sender=bank.account
        ),
        "withdrawSaleConsent": lambda: liens.withdrawSaleConsent(
            w["active"], w["sale"], sender=bank.account
        ),
        "recordLienByOrder": lambda: liens.recordLienByOrder(
            other, bank.subject, 5, ORDER, sender=registrar
        ),
    }


def test_paused_lien_registry_stops_its_self_checked_functions(
    titles, liens, parties, new_parcel, lien_world, registrar, guardian, admin
):
    can_pause(liens, "LienRegistry")
    bank, bank2 = parties["bank"], parties["bank2"]
    w = lien_world
    calls = lien_calls(liens, lien_world, parties, new_parcel(parties["alice"]), registrar)

    liens.pause(sender=guardian)
    for name in ("proposeLien", "consentLien", "releaseLien", "consentToSale"):
        refused(f"{name} while paused", STOPPED, calls[name])
    refused("withdrawSaleConsent while paused", STOPPED, calls["withdrawSaleConsent"])
    refused("recordLienByOrder while paused", PAUSED, calls["recordLienByOrder"])
    refused("orderRelease while paused", PAUSED, lambda: liens.orderRelease(
        w["active"], ORDER, sender=registrar))  # fmt: skip
    # A sale closes together with the lien releases it triggers: not while the liens are stopped.
    refused("approveSale while the lien registry is paused", STOPPED, lambda: titles.approveSale(
        w["accepted"], sender=registrar))  # fmt: skip

    # Continues during a pause (rules block): withdrawing a proposal that never took effect.
    liens.withdrawLien(w["proposed"], sender=bank2.account)
    assert liens.lienOf(w["proposed"]).state == LienState.WITHDRAWN

    liens.unpause(sender=admin)
    assert liens.isOpen()
    liens.consentToSale(w["active"], w["sale"], True, sender=bank.account)
    titles.approveSale(w["accepted"], sender=registrar)


# ------------------------------------------------------------------ PropertyTax


def test_paused_property_tax_stops_payments(
    tax, token, parties, new_parcel, assessor, fund, chain, guardian, admin
):
    can_pause(tax, "PropertyTax")
    alice = parties["alice"].account
    pid = new_parcel(parties["alice"])
    due = chain.pending_timestamp + 30 * DAY
    tax.assess(pid, 2026, 100, due, sender=assessor)
    tax.assess(pid, 2027, 100, due, sender=assessor)
    fund(alice, 1_000)
    token.approve(tax, 100, sender=alice)

    tax.pause(sender=guardian)
    refused("pay while paused", STOPPED, lambda: tax.pay(pid, 2026, sender=alice))
    deadline = chain.pending_timestamp + DAY
    v, r, s = sign_permit(token, alice, tax.address, 100, deadline)
    refused("payWithPermit while paused", STOPPED, lambda: tax.payWithPermit(
        pid, 2027, deadline, v, r, s, sender=alice))  # fmt: skip
    refused("assess while paused", PAUSED, lambda: tax.assess(
        pid, 2028, 100, due, sender=assessor))  # fmt: skip
    refused("voidAssessment while paused", PAUSED, lambda: tax.voidAssessment(
        pid, 2027, keccak(text="appeal"), sender=assessor))  # fmt: skip

    tax.unpause(sender=admin)
    assert tax.isOpen()
    tax.pay(pid, 2026, sender=alice)
    tax.payWithPermit(pid, 2027, deadline, v, r, s, sender=alice)
    assert not tax.hasUnpaid(pid)


# ------------------------------------------------------------------ closed by the manager


def test_closed_title_registry_stops_every_state_change(
    suite, titles, liens, parties, new_parcel, sale_ready, registrar, admin, chain
):
    alice, bob, bank = parties["alice"], parties["bob"], parties["bank"]
    free = new_parcel(alice)
    accepted_parcel, accepted = sale_ready
    set_target_closed(suite["CityAccessManager"], admin, titles)
    refused("proposeSale on a closed registry", STOPPED, lambda: titles.proposeSale(
        free, bob.subject, 1, DEED, sender=alice.account))  # fmt: skip
    refused("cancelSale on a closed registry", STOPPED, lambda: titles.cancelSale(
        accepted, sender=bob.account))  # fmt: skip
    refused("syncHolder on a closed registry", STOPPED, lambda: titles.syncHolder(
        free, sender=bob.account))  # fmt: skip
    # the lien registry's hook: a court order on a parcel of a closed register cannot land
    refused(
        "a court-ordered lien on a closed registry's parcel",
        STOPPED,
        lambda: liens.recordLienByOrder(accepted_parcel, bank.subject, 7, ORDER, sender=registrar),
    )
    refused("approveSale on a closed registry", UNAUTHORISED, lambda: titles.approveSale(
        accepted, sender=registrar))  # fmt: skip
    assert titles.saleOf(accepted).state == SaleState.ACCEPTED
    assert not titles.isOpen()


def test_closed_lien_registry_stops_every_state_change(
    suite, titles, liens, parties, new_parcel, lien_world, registrar, admin, chain
):
    calls = lien_calls(liens, lien_world, parties, new_parcel(parties["alice"]), registrar)
    set_target_closed(suite["CityAccessManager"], admin, liens)
    for name in ("proposeLien", "consentLien", "withdrawLien", "releaseLien", "consentToSale"):
        refused(f"{name} on a closed lien registry", STOPPED, calls[name])
    refused("recordLienByOrder on a closed lien registry", UNAUTHORISED, calls["recordLienByOrder"])
    assert liens.lienOf(lien_world["active"]).state == LienState.ACTIVE


def test_closed_property_tax_stops_payments(
    suite, tax, token, parties, new_parcel, assessor, fund, chain, admin
):
    alice = parties["alice"].account
    pid = new_parcel(parties["alice"])
    tax.assess(pid, 2026, 100, chain.pending_timestamp + 30 * DAY, sender=assessor)
    fund(alice, 1_000)
    token.approve(tax, 100, sender=alice)
    set_target_closed(suite["CityAccessManager"], admin, tax)
    refused("pay on a closed tax module", STOPPED, lambda: tax.pay(pid, 2026, sender=alice))
    assert tax.hasUnpaid(pid) and token.balanceOf(alice) == 1_000
