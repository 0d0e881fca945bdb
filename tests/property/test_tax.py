"""PropertyTax: assessment, payment to the treasury (incl. permit), overdue status, blocking."""

from __future__ import annotations

from typing import Any

import pytest
from emitted import assert_event
from eth_utils import keccak
from reverts import reverts

from civic_ledger.property.tax import TaxStatus, sign_permit

from .helpers import DAY, YEAR, accept_sale, parcel_data

TAX = 12_000


def _due_in(chain: Any, seconds: int) -> int:
    return chain.pending_timestamp + seconds


@pytest.fixture
def assessed(tax, assessor, parties, new_parcel, chain, fund):
    """A parcel of alice assessed for 2026 (due in 30 days); alice holds enough tokens."""
    pid = new_parcel(parties["alice"])
    tax.assess(pid, 2026, TAX, _due_in(chain, 30 * DAY), sender=assessor)
    fund(parties["alice"].account, 10 * TAX)
    return pid


def test_assess_records_and_emits(tax, assessor, parties, new_parcel, chain):
    pid = new_parcel(parties["alice"])
    due = _due_in(chain, 30 * DAY)
    receipt = tax.assess(pid, 2026, TAX, due, sender=assessor)
    a = tax.assessmentOf(pid, 2026)
    assert (a.amount, a.dueDate, a.state) == (TAX, due, 1)
    assert tax.statusOf(pid, 2026) == TaxStatus.DUE
    assert tax.hasUnpaid(pid) and not tax.hasOverdue(pid)
    [event] = tax.TaxAssessed.from_receipt(receipt)
    assert (event.parcelId, event.year, event.operator, event.amount) == (
        pid,
        2026,
        assessor.address,
        TAX,
    )


def test_only_assessor_assesses(tax, parties, new_parcel, chain, outsider, registrar):
    pid = new_parcel(parties["alice"])
    for caller in (outsider, registrar, parties["alice"].account):
        with reverts("AccessManagedUnauthorized"):
            tax.assess(pid, 2026, TAX, _due_in(chain, DAY), sender=caller)


def test_assess_rules(tax, assessor, parties, new_parcel, chain):
    pid = new_parcel(parties["alice"])
    with reverts("TaxParcelNotActive"):
        tax.assess(12345, 2026, TAX, _due_in(chain, DAY), sender=assessor)
    with reverts("TaxInvalidAssessment"):
        tax.assess(pid, 2026, 0, _due_in(chain, DAY), sender=assessor)
    with reverts("TaxInvalidAssessment"):
        tax.assess(pid, 0, TAX, _due_in(chain, DAY), sender=assessor)
    with reverts("TaxInvalidAssessment"):
        tax.assess(pid, 2026, TAX, chain.pending_timestamp - 1, sender=assessor)
    tax.assess(pid, 2026, TAX, _due_in(chain, DAY), sender=assessor)
    with reverts("TaxAlreadyAssessed"):
        tax.assess(pid, 2026, TAX, _due_in(chain, DAY), sender=assessor)


def test_pay_sends_tokens_to_treasury_and_emits_receipt(tax, token, parties, assessed, treasury):
    alice = parties["alice"]
    before_treasury, before_alice = token.balanceOf(treasury), token.balanceOf(alice.account)
    token.approve(tax, TAX, sender=alice.account)
    receipt = tax.pay(assessed, 2026, sender=alice.account)

    assert token.balanceOf(treasury) == before_treasury + TAX
    assert token.balanceOf(alice.account) == before_alice - TAX
    assert token.balanceOf(tax) == 0
    assert tax.statusOf(assessed, 2026) == TaxStatus.PAID
    assert not tax.hasUnpaid(assessed)
    [event] = tax.TaxPaid.from_receipt(receipt)
    assert_event(
        event,
        parcelId=assessed,
        year=2026,
        operator=alice.account.address,
        owner=alice.subject,
        amount=TAX,
        treasury=treasury.address,
    )
    with reverts("TaxNotOpen"):
        tax.pay(assessed, 2026, sender=alice.account)


def test_pay_needs_allowance_and_balance(tax, token, parties, assessed, fund):
    bob = parties["bob"]
    with reverts("ERC20InsufficientAllowance"):
        tax.pay(assessed, 2026, sender=bob.account)
    token.approve(tax, TAX, sender=bob.account)
    with reverts("ERC20InsufficientBalance"):
        tax.pay(assessed, 2026, sender=bob.account)
    fund(bob.account, TAX)  # a third party (e.g. a buyer at closing) may pay
    tax.pay(assessed, 2026, sender=bob.account)
    assert tax.statusOf(assessed, 2026) == TaxStatus.PAID
    with reverts("TaxNotOpen"):
        tax.pay(assessed, 2027, sender=bob.account)


def test_pay_with_permit(tax, token, parties, assessed, chain, treasury):
    alice = parties["alice"].account
    deadline = chain.pending_timestamp + DAY
    v, r, s = sign_permit(token, alice, tax.address, TAX, deadline)
    before = token.balanceOf(treasury)
    tax.payWithPermit(assessed, 2026, deadline, v, r, s, sender=alice)
    assert token.balanceOf(treasury) == before + TAX
    assert tax.statusOf(assessed, 2026) == TaxStatus.PAID
    assert token.nonces(alice) == 1


def test_pay_with_bad_permit_falls_back_to_allowance(tax, token, parties, assessed, chain):
    alice, bob = parties["alice"].account, parties["bob"].account
    deadline = chain.pending_timestamp + DAY
    v, r, s = sign_permit(token, bob, tax.address, TAX, deadline)  # wrong signer
    with reverts("ERC20InsufficientAllowance"):
        tax.payWithPermit(assessed, 2026, deadline, v, r, s, sender=alice)
    token.approve(tax, TAX, sender=alice)
    tax.payWithPermit(assessed, 2026, deadline, v, r, s, sender=alice)
    assert tax.statusOf(assessed, 2026) == TaxStatus.PAID


def test_overdue_after_due_date(tax, parties, assessed, chain):
    assert tax.statusOf(assessed, 2026) == TaxStatus.DUE
    chain.pending_timestamp += 31 * DAY
    chain.mine()
    assert tax.statusOf(assessed, 2026) == TaxStatus.OVERDUE
    assert tax.hasOverdue(assessed)


def test_overdue_blocks_sale_until_paid(
    tax, token, titles, liens, parties, assessed, chain, registrar
):
    alice, bob = parties["alice"], parties["bob"]
    titles.proposeSale(assessed, bob.subject, 1, keccak(text="deed"), sender=alice.account)
    sale = titles.openSaleOf(assessed)
    accept_sale(titles, liens, sale, bob.account)
    chain.pending_timestamp += 31 * DAY
    assert titles.saleReadiness(sale).taxClear is False
    with reverts("TitleBlockedByTax"):
        titles.approveSale(sale, sender=registrar)
    token.approve(tax, TAX, sender=alice.account)
    tax.pay(assessed, 2026, sender=alice.account)
    titles.approveSale(sale, sender=registrar)
    assert titles.ownerOf(assessed) == bob.account.address


def test_tax_not_yet_due_does_not_block_sale(titles, liens, parties, assessed, registrar):
    alice, bob = parties["alice"], parties["bob"]
    titles.proposeSale(assessed, bob.subject, 1, keccak(text="deed"), sender=alice.account)
    sale = titles.openSaleOf(assessed)
    accept_sale(titles, liens, sale, bob.account)
    titles.approveSale(sale, sender=registrar)
    assert titles.ownerOf(assessed) == bob.account.address


def test_earliest_due_recomputed_on_payment(tax, token, assessor, parties, assessed, chain):
    alice = parties["alice"].account
    tax.assess(assessed, 2025, TAX, _due_in(chain, 10 * DAY), sender=assessor)
    tax.assess(assessed, 2027, TAX, _due_in(chain, YEAR), sender=assessor)
    assert sorted(tax.openYearsOf(assessed)) == [2025, 2026, 2027]
    chain.pending_timestamp += 15 * DAY
    chain.mine()
    assert tax.hasOverdue(assessed)  # 2025 past due
    token.approve(tax, 10 * TAX, sender=alice)
    tax.pay(assessed, 2025, sender=alice)
    assert not tax.hasOverdue(assessed)  # 2026 (30 days) not due yet
    assert sorted(tax.openYearsOf(assessed)) == [2026, 2027]
    chain.pending_timestamp += 20 * DAY
    chain.mine()
    assert tax.hasOverdue(assessed)
    tax.pay(assessed, 2026, sender=alice)
    assert not tax.hasOverdue(assessed)
    assert tax.hasUnpaid(assessed)


def test_void_assessment(tax, assessor, parties, assessed, chain, outsider):
    with reverts("AccessManagedUnauthorized"):
        tax.voidAssessment(assessed, 2026, keccak(text="appeal"), sender=outsider)
    receipt = tax.voidAssessment(assessed, 2026, keccak(text="appeal"), sender=assessor)
    [event] = tax.TaxVoided.from_receipt(receipt)
    assert (event.operator, event.reasonHash) == (assessor.address, keccak(text="appeal"))
    assert tax.statusOf(assessed, 2026) == TaxStatus.VOIDED
    chain.pending_timestamp += 60 * DAY
    chain.mine()
    assert not tax.hasOverdue(assessed)
    with reverts("TaxNotOpen"):
        tax.voidAssessment(assessed, 2026, keccak(text="again"), sender=assessor)


def test_unpaid_tax_blocks_split_and_merge(
    tax, token, titles, parties, assessed, new_parcel, registrar
):
    alice = parties["alice"]
    with reverts("TitleBlockedByTax"):
        titles.split(assessed, [parcel_data(area=500), parcel_data(area=500)], sender=registrar)
    other = new_parcel(alice, area=5)
    with reverts("TitleBlockedByTax"):
        titles.merge([other, assessed], parcel_data(area=1005), sender=registrar)
    token.approve(tax, TAX, sender=alice.account)
    tax.pay(assessed, 2026, sender=alice.account)
    titles.merge([other, assessed], parcel_data(area=1005), sender=registrar)
    # assessments stay with the retired parcel: history readable, no new ones accepted
    assert tax.statusOf(assessed, 2026) == TaxStatus.PAID


def test_retired_parcel_cannot_be_assessed(
    tax, titles, assessor, parties, new_parcel, chain, registrar
):
    pid = new_parcel(parties["alice"], area=10)
    titles.split(pid, [parcel_data(area=5), parcel_data(area=5)], sender=registrar)
    with reverts("TaxParcelNotActive"):
        tax.assess(pid, 2026, TAX, _due_in(chain, DAY), sender=assessor)


def test_open_assessments_cap(tax, assessor, parties, new_parcel, chain):
    pid = new_parcel(parties["alice"])
    cap = tax.MAX_OPEN_PER_PARCEL()
    due = _due_in(chain, YEAR)
    for year in range(2000, 2000 + cap):
        tax.assess(pid, year, 1, due, sender=assessor)
    with reverts("TaxTooManyOpen"):
        tax.assess(pid, 2000 + cap, 1, due, sender=assessor)


def test_wiring(tax, suite, treasury):
    assert tax.token() == suite["CityToken"].address
    assert tax.titleRegistry() == suite["TitleRegistry"].address
    assert tax.treasury() == treasury.address
