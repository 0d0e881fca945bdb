"""Stateful model of the land register: random sequences of registrations, sales, liens, tax,
splits, merges, token mints/burns and time jumps, checked against a Python model after every step.

Invariants:
- every active parcel has exactly one owner: the model's, both as owner identity and as ERC-721
  holder (the owner's controller wallet); retired parcels have no holder;
- chain of title and provenance: every parcel's (active or retired) chain of title is exactly the
  model's sequence of (owner, cause, sale) entries with non-decreasing dates, its parents and
  children are the model's, and each split/merge preserved area along that lineage;
- no sale completes without proposal, acceptance and registrar approval; past-due unpaid tax
  makes approval revert with exactly that reason (the model predicts each approval's outcome),
  and a parcel with an open sale, a lien or unpaid tax can be neither split nor merged; ERC-721
  transfers are always refused;
- a buyer never receives encumbrances it did not accept: the buyer accepts only a complete
  state (every lien answered) with the hash it read (a stale hash is refused); while accepted,
  lienholders' answer changes and the owner's new voluntary liens are refused, while a
  court-ordered lien or release, or a holder's release, voids the acceptance (the sale is
  Proposed again, on chain as in the model); at every approval the liens left on the parcel are
  exactly those the accepted state said would stay (KeepLien);
- lien caps: 8 voluntary and, apart, 8 court-ordered unreleased liens per parcel;
- liens and tax: active liens, `hasUnpaid` and `hasOverdue` of every touched parcel match the
  model; voided assessments stop blocking;
- split and merge preserve total area (sum over active parcels on chain == area ever registered);
- CityToken supply == minted - burned, and the treasury received exactly the tax paid;
- the pause story: while the guardian has paused a property contract, every self-checked
  function of it the model could call (propose/accept a sale, sync a holder, propose/release a
  lien, answer a sale, pay tax) is refused with CityContractStopped and changes nothing; the
  admin resumes it.

Reads are the expensive part on the embedded chain (~0.1 s each), so instead of per-step
`@invariant`s each rule checks what it can change (the parcels it touched, holdings, token
totals) and every example ends with a full sweep of all of it in `teardown`.
Budget (tests/stateful_budget.py): 15 examples x 12 steps in the default suite
(CIVIC_STATEFUL_EXAMPLES / _STEPS override); the `slow` invariant sweep runs SWEEP_BUDGET (CI),
raised by CIVIC_SWEEP_EXAMPLES / CIVIC_SWEEP_STEPS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar

import pytest
from eth_utils import keccak
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule
from reverts import reverts
from stateful_budget import (
    Budget,
    CountingMachine,
    SweepCounter,
    invariant_sweep,
    run_counted,
    stateful_budget,
)

from civic_ledger.property.liens import SaleConsent
from civic_ledger.property.titles import ParcelStatus, SaleState, TitleCause

from .helpers import DAY, Party, parcel_data

OWNERS = ("alice", "bob", "carol")
LENDERS = ("bank", "bank2")
MAX_LIENS = 8  # LienRegistry.MAX_LIENS_PER_PARCEL (voluntary) and MAX_ORDERED_LIENS_PER_PARCEL
STOPPED = "CityContractStopped"  # ICityManaged: paused or closed


@dataclass
class SaleModel:
    sale_id: int
    buyer: str
    accepted: bool = False
    # the encumbrance the buyer accepted: lien id -> discharge at closing
    accepted_state: dict[int, bool] = field(default_factory=dict)


@dataclass
class LienModel:
    holder: str
    by_order: bool = False
    consents: dict[int, bool] = field(default_factory=dict)  # sale id -> discharge at closing


@dataclass
class ParcelModel:
    owner: str
    area: int
    sale: SaleModel | None = None
    liens: dict[int, LienModel] = field(default_factory=dict)
    unpaid: dict[int, tuple[int, int]] = field(default_factory=dict)  # year -> (amount, due)
    # chain of title: (owner, sale id, cause) per entry, oldest first
    titles: list[tuple[str, int, int]] = field(default_factory=list)


@dataclass
class LineageModel:
    """What stays known of every parcel ever created, retired ones included."""

    area: int
    titles: list[tuple[str, int, int]]
    parents: list[int] = field(default_factory=list)
    children: list[int] = field(default_factory=list)


class TitleMachine(CountingMachine):
    ctx: ClassVar[dict[str, Any]] = {}

    def __init__(self) -> None:
        super().__init__()
        c = self.ctx
        self.chain = c["chain"]
        self.titles, self.liens, self.tax, self.token = (
            c["titles"],
            c["liens"],
            c["tax"],
            c["token"],
        )
        self.parties: dict[str, Party] = c["parties"]
        self.registrar, self.assessor = c["registrar"], c["assessor"]
        self.guardian, self.admin = c["guardian"], c["admin"]
        self.treasurer, self.treasury = c["treasurer"], c["treasury"]
        self.snapshot = self.chain.snapshot()
        # parcels registered before the machine starts (part of the snapshot)
        self.parcels: dict[int, ParcelModel] = {
            pid: ParcelModel(owner, area, titles=[(owner, 0, TitleCause.REGISTRATION)])
            for pid, owner, area in c["initial"]
        }
        self.lineage: dict[int, LineageModel] = {
            pid: LineageModel(m.area, m.titles) for pid, m in self.parcels.items()
        }
        self.retired: set[int] = set()
        self.registered_area = sum(area for _, _, area in c["initial"])
        self.minted = self.burned = self.paid = 0
        self.supply0 = self.token.totalSupply()
        self.treasury0 = self.token.balanceOf(self.treasury)
        self.next_year = 2000
        self.next_code = (
            0  # codes restart each example (the snapshot forgets them): replays are exact
        )
        self.count_example()

    def start_state(self) -> tuple[int, ...]:
        return (
            self.chain.blocks.height,
            int(self.titles.saleCount()),
            int(self.liens.lienCount()),
            int(self.supply0),
            int(self.treasury0),
        )

    def teardown(self) -> None:
        try:
            self._full_sweep()
        finally:
            self.chain.restore(self.snapshot)

    # -------------------------------------------------------------- helpers

    def _acct(self, name: str) -> Any:
        return self.parties[name].account

    def _free(self) -> list[int]:
        """Parcels a split or merge may take: no open sale, no lien, no unpaid tax."""
        return sorted(
            p for p, m in self.parcels.items() if m.sale is None and not m.liens and not m.unpaid
        )

    def _data(self, area: int) -> tuple[int, bytes, int, int, str]:
        self.next_code += 1
        return parcel_data(f"SM-{self.next_code}", area)

    def _new_parcel(
        self, pid: int, owner: str, area: int, cause: int, parents: list[int] | None = None
    ) -> None:
        """Model a parcel created on chain (registration, split child or merge result)."""
        model = ParcelModel(owner, area, titles=[(owner, 0, cause)])
        self.parcels[pid] = model
        self.lineage[pid] = LineageModel(area, model.titles, parents=list(parents or []))
        for parent in parents or []:
            self.lineage[parent].children.append(pid)

    def _mint(self, to: Any, amount: int) -> None:
        self.token.mint(to, amount, sender=self.treasurer)
        self.minted += amount

    # -------------------------------------------------------------- registration

    @precondition(lambda self: len(self.parcels) < 8)
    @rule(owner=st.sampled_from(OWNERS), area=st.integers(2, 50_000))
    def register(self, owner: str, area: int) -> None:
        data = self._data(area)
        self.titles.register(self.parties[owner].subject, data, sender=self.registrar)
        self._new_parcel(data[0], owner, area, TitleCause.REGISTRATION)
        self.registered_area += area
        self._check_parcel(data[0])
        self._check_holdings()

    # -------------------------------------------------------------- sales

    @precondition(lambda self: any(m.sale is None for m in self.parcels.values()))
    @rule(data=st.data(), buyer=st.sampled_from(OWNERS), accept=st.booleans())
    def propose(self, data: st.DataObject, buyer: str, accept: bool) -> None:
        pid = data.draw(
            st.sampled_from(sorted(p for p, m in self.parcels.items() if m.sale is None))
        )
        model = self.parcels[pid]
        if buyer == model.owner:
            buyer = OWNERS[(OWNERS.index(buyer) + 1) % len(OWNERS)]
        self.titles.proposeSale(
            pid, self.parties[buyer].subject, 1, keccak(text="deed"), sender=self._acct(model.owner)
        )
        model.sale = SaleModel(self.titles.openSaleOf(pid), buyer)
        if accept:  # the buyer signs right away (refused while a lien has not answered)
            self._accept(pid, stale=False)

    @precondition(lambda self: any(m.sale and not m.sale.accepted for m in self.parcels.values()))
    @rule(data=st.data(), stale=st.sampled_from([False, False, True]))
    def accept(self, data: st.DataObject, stale: bool) -> None:
        """The buyer accepts the encumbrance it read; with a stale read it is refused."""
        pid = data.draw(
            st.sampled_from(
                sorted(p for p, m in self.parcels.items() if m.sale and not m.sale.accepted)
            )
        )
        self._accept(pid, stale)

    def _accept(self, pid: int, stale: bool) -> None:
        model = self.parcels[pid]
        sale = model.sale
        assert sale is not None and not sale.accepted
        # what the buyer is shown is the model's state, exactly
        (sale_id, parcel, ids, _, _, consents), seen, answered = self.liens.saleEncumbrance(
            sale.sale_id
        )
        expected = [
            (lid, (SaleConsent.DISCHARGE_AT_CLOSING if lien.consents[sale.sale_id] else SaleConsent.KEEP_LIEN)
             if sale.sale_id in lien.consents else SaleConsent.NONE)
            for lid, lien in sorted(model.liens.items())
        ]  # fmt: skip
        assert (sale_id, parcel) == (sale.sale_id, pid)
        assert list(zip((int(i) for i in ids), (int(c) for c in consents), strict=True)) == expected
        assert answered == all(c != SaleConsent.NONE for _, c in expected)
        buyer = self._acct(sale.buyer)
        if stale:  # the state moved on after the buyer read it
            with reverts("TitleEncumbranceChanged"):
                self.titles.acceptSale(sale.sale_id, keccak(b"stale" + bytes(seen)), sender=buyer)
        elif not answered:
            with reverts("TitleLiensUnanswered"):
                self.titles.acceptSale(sale.sale_id, seen, sender=buyer)
        else:
            self.titles.acceptSale(sale.sale_id, seen, sender=buyer)
            sale.accepted = True
            sale.accepted_state = {
                lid: lien.consents[sale.sale_id] for lid, lien in model.liens.items()
            }
            assert self.titles.saleOf(sale.sale_id).encumbranceHash == seen

    @precondition(lambda self: any(m.sale for m in self.parcels.values()))
    @rule(data=st.data(), by=st.sampled_from(["buyer", "seller", "seller", "registrar"]))
    def cancel(self, data: st.DataObject, by: str) -> None:
        """The buyer or seller cancels, or the registrar rejects, an open sale."""
        pid = data.draw(st.sampled_from(sorted(p for p, m in self.parcels.items() if m.sale)))
        model = self.parcels[pid]
        assert model.sale is not None
        if by == "registrar":
            self.titles.rejectSale(model.sale.sale_id, keccak(text="no"), sender=self.registrar)
        else:
            who = model.sale.buyer if by == "buyer" else model.owner
            self.titles.cancelSale(model.sale.sale_id, sender=self._acct(who))
        model.sale = None
        assert self.titles.openSaleOf(pid) == 0

    @precondition(lambda self: any(m.sale for m in self.parcels.values()))
    @rule(data=st.data())
    def approve(self, data: st.DataObject) -> None:
        pid = data.draw(st.sampled_from(sorted(p for p, m in self.parcels.items() if m.sale)))
        model = self.parcels[pid]
        sale = model.sale
        assert sale is not None
        now = self.chain.pending_timestamp
        tax_ok = all(due >= now for _, due in model.unpaid.values())
        if not sale.accepted:
            error: str | None = "TitleSaleWrongState"
        elif not tax_ok:
            error = "TitleBlockedByTax"
        else:
            error = None
        if error is None:
            # the acceptance stood: the liens and answers are still those the buyer accepted
            assert {lid: lien.consents.get(sale.sale_id) for lid, lien in model.liens.items()} == (
                sale.accepted_state
            )
            self.titles.approveSale(sale.sale_id, sender=self.registrar)
            # INVARIANT: the buyer receives exactly the liens it accepted as KeepLien
            kept = sorted(lid for lid, discharge in sale.accepted_state.items() if not discharge)
            assert sorted(int(i) for i in self.liens.activeLiensOf(pid)) == kept, (pid, kept)
            model.liens = {lid: model.liens[lid] for lid in kept}
            model.owner, model.sale = sale.buyer, None
            model.titles.append((sale.buyer, sale.sale_id, TitleCause.SALE))
        else:
            with reverts(error):
                self.titles.approveSale(sale.sale_id, sender=self.registrar)
        self._check_parcel(pid)
        self._check_holdings()

    # -------------------------------------------------------------- liens

    def _voided(self, pid: int) -> None:
        """A change of the parcel's liens voids an accepted sale (model side)."""
        sale = self.parcels[pid].sale
        if sale is not None and sale.accepted:
            sale.accepted, sale.accepted_state = False, {}

    @precondition(lambda self: any(len(m.liens) < 2 * MAX_LIENS for m in self.parcels.values()))
    @rule(data=st.data(), holder=st.sampled_from(LENDERS), by_order=st.booleans())
    def add_lien(self, data: st.DataObject, holder: str, by_order: bool) -> None:
        """A court-ordered lien is always recordable (own cap) and voids an accepted sale; a
        voluntary one needs the owner's consent, refused while a sale is accepted."""
        pid = data.draw(
            st.sampled_from(
                sorted(p for p, m in self.parcels.items() if len(m.liens) < 2 * MAX_LIENS)
            )
        )
        model = self.parcels[pid]
        subject = self.parties[holder].subject
        evidence = keccak(text=f"loan:{pid}:{len(model.liens)}")
        same_kind = sum(lien.by_order == by_order for lien in model.liens.values())
        accepted = model.sale is not None and model.sale.accepted
        if by_order:
            if same_kind >= MAX_LIENS:
                with reverts("LienTooManyOrderedLiens"):
                    self.liens.recordLienByOrder(pid, subject, 100, evidence, sender=self.registrar)
                return
            self.liens.recordLienByOrder(pid, subject, 100, evidence, sender=self.registrar)
            self._voided(pid)
        else:
            self.liens.proposeLien(pid, subject, 100, evidence, sender=self._acct(holder))
            lien_id, owner = self.liens.lienCount(), self._acct(model.owner)
            if accepted or same_kind >= MAX_LIENS:
                with reverts("LienSaleAccepted" if accepted else "LienTooManyLiens"):
                    self.liens.consentLien(lien_id, sender=owner)
                self.liens.withdrawLien(lien_id, sender=owner)  # the owner declines it
                self._check_parcel(pid)
                return
            self.liens.consentLien(lien_id, sender=owner)
        model.liens[self.liens.lienCount()] = LienModel(holder, by_order)
        self._check_parcel(pid)

    @precondition(lambda self: any(m.sale and m.liens for m in self.parcels.values()))
    @rule(data=st.data(), consent=st.sampled_from(["keep", "discharge", "discharge", "withdraw"]))
    def consent_to_sale(self, data: st.DataObject, consent: str) -> None:
        """A lien holder answers the open sale (keeping the lien or discharging it at closing),
        or withdraws its answer; refused once the buyer accepted (the answers bind)."""
        pid = data.draw(
            st.sampled_from(sorted(p for p, m in self.parcels.items() if m.sale and m.liens))
        )
        model = self.parcels[pid]
        assert model.sale is not None
        lien_id = data.draw(st.sampled_from(sorted(model.liens)))
        lien = model.liens[lien_id]
        sale_id, holder = model.sale.sale_id, self._acct(lien.holder)
        if model.sale.accepted:
            with reverts("LienSaleAccepted"):
                if consent == "withdraw":
                    self.liens.withdrawSaleConsent(lien_id, sale_id, sender=holder)
                else:
                    self.liens.consentToSale(
                        lien_id, sale_id, consent == "discharge", sender=holder
                    )
            return
        if consent == "withdraw":
            self.liens.withdrawSaleConsent(lien_id, sale_id, sender=holder)
            lien.consents.pop(sale_id, None)
        else:
            discharge = consent == "discharge"
            self.liens.consentToSale(lien_id, sale_id, discharge, sender=holder)
            lien.consents[sale_id] = discharge

    @precondition(lambda self: any(m.liens for m in self.parcels.values()))
    @rule(data=st.data(), by_court=st.booleans())
    def release_lien(self, data: st.DataObject, by_court: bool) -> None:
        """A holder's or a court-ordered release: allowed, and voids an accepted sale."""
        pid = data.draw(st.sampled_from(sorted(p for p, m in self.parcels.items() if m.liens)))
        model = self.parcels[pid]
        lien_id = data.draw(st.sampled_from(sorted(model.liens)))
        if by_court:
            self.liens.orderRelease(lien_id, keccak(text="order"), sender=self.registrar)
        else:
            self.liens.releaseLien(lien_id, sender=self._acct(model.liens[lien_id].holder))
        del model.liens[lien_id]
        self._voided(pid)
        self._check_parcel(pid)

    # -------------------------------------------------------------- tax and token

    @precondition(lambda self: bool(self.parcels))
    @rule(data=st.data(), amount=st.integers(1, 10**6), due_days=st.integers(1, 60))
    def assess(self, data: st.DataObject, amount: int, due_days: int) -> None:
        pid = data.draw(st.sampled_from(sorted(self.parcels)))
        year = self.next_year
        self.next_year += 1
        # half a day off the day grid: whole-day time jumps never land on a due date
        due = self.chain.pending_timestamp + due_days * DAY + DAY // 2
        self.tax.assess(pid, year, amount, due, sender=self.assessor)
        self.parcels[pid].unpaid[year] = (amount, due)

    def _draw_unpaid(self, data: st.DataObject) -> tuple[int, ParcelModel, int]:
        """(parcel id, its model, year) of an open assessment."""
        pid = data.draw(st.sampled_from(sorted(p for p, m in self.parcels.items() if m.unpaid)))
        model = self.parcels[pid]
        return pid, model, data.draw(st.sampled_from(sorted(model.unpaid)))

    @precondition(lambda self: any(m.unpaid for m in self.parcels.values()))
    @rule(data=st.data())
    def void(self, data: st.DataObject) -> None:
        """The assessor voids an open assessment: it no longer blocks anything."""
        pid, model, year = self._draw_unpaid(data)
        self.tax.voidAssessment(pid, year, keccak(text="void"), sender=self.assessor)
        del model.unpaid[year]
        self._check_parcel(pid)

    @precondition(lambda self: any(m.unpaid for m in self.parcels.values()))
    @rule(data=st.data())
    def pay(self, data: st.DataObject) -> None:
        pid, model, year = self._draw_unpaid(data)
        amount, _ = model.unpaid[year]
        payer = self._acct(model.owner)
        self._mint(payer, amount)
        self.token.approve(self.tax, amount, sender=payer)
        self.tax.pay(pid, year, sender=payer)
        self.paid += amount
        del model.unpaid[year]
        self._check_parcel(pid)
        self._check_token()

    # -------------------------------------------------------------- the pause story

    @precondition(lambda self: bool(self.parcels))
    @rule(data=st.data(), which=st.sampled_from(["titles", "liens", "tax"]))
    def while_paused(self, data: st.DataObject, which: str) -> None:
        """The guardian pauses one property contract; its self-checked functions are refused
        (CityContractStopped) and change nothing until the admin resumes it."""
        pid = data.draw(st.sampled_from(sorted(self.parcels)))
        model = self.parcels[pid]
        owner = self._acct(model.owner)
        contract = getattr(self, which)
        contract.pause(sender=self.guardian)
        try:
            if which == "titles":
                with reverts(STOPPED):
                    self.titles.syncHolder(pid, sender=owner)
                if model.sale is None:
                    buyer = next(o for o in OWNERS if o != model.owner)
                    with reverts(STOPPED):
                        self.titles.proposeSale(
                            pid, self.parties[buyer].subject, 1, keccak(text="deed"), sender=owner
                        )
                elif not model.sale.accepted:
                    seen = self.liens.saleEncumbranceHash(model.sale.sale_id)
                    with reverts(STOPPED):
                        self.titles.acceptSale(
                            model.sale.sale_id, seen, sender=self._acct(model.sale.buyer)
                        )
            elif which == "liens":
                lender = data.draw(st.sampled_from(LENDERS))
                with reverts(STOPPED):
                    self.liens.proposeLien(
                        pid, self.parties[lender].subject, 100, keccak(text="loan"),
                        sender=self._acct(lender),
                    )  # fmt: skip
                for lien_id, lien in sorted(model.liens.items()):
                    holder = self._acct(lien.holder)
                    if model.sale is not None:
                        with reverts(STOPPED):
                            self.liens.consentToSale(
                                lien_id, model.sale.sale_id, True, sender=holder
                            )
                    with reverts(STOPPED):
                        self.liens.releaseLien(lien_id, sender=holder)
            else:
                for year in sorted(model.unpaid):
                    with reverts(STOPPED):
                        self.tax.pay(pid, year, sender=owner)
        finally:
            contract.unpause(sender=self.admin)
        assert contract.isOpen()
        self._check_parcel(pid)

    @rule(amount=st.integers(1, 10**9), burn_share=st.integers(0, 100))
    def mint_and_burn(self, amount: int, burn_share: int) -> None:
        self._mint(self.treasurer, amount)
        burn = amount * burn_share // 100
        if burn:
            self.token.burn(burn, sender=self.treasurer)
            self.burned += burn
        self._check_token()

    @rule(days=st.integers(1, 45))
    def advance_time(self, days: int) -> None:
        self.chain.pending_timestamp += days * DAY

    # -------------------------------------------------------------- split / merge

    @precondition(lambda self: any(self.parcels[p].area >= 2 for p in self._free()))
    @rule(data=st.data(), pieces=st.integers(2, 4))
    def split(self, data: st.DataObject, pieces: int) -> None:
        pid = data.draw(st.sampled_from([p for p in self._free() if self.parcels[p].area >= 2]))
        model = self.parcels.pop(pid)
        pieces = min(pieces, model.area)
        cuts = sorted(
            data.draw(
                st.sets(st.integers(1, model.area - 1), min_size=pieces - 1, max_size=pieces - 1)
            )
        )
        areas = [b - a for a, b in zip([0, *cuts], [*cuts, model.area], strict=True)]
        children = [self._data(a) for a in areas]
        self.titles.split(pid, children, sender=self.registrar)
        self.retired.add(pid)
        for child in children:
            self._new_parcel(child[0], model.owner, child[2], TitleCause.SPLIT, parents=[pid])
            self._check_parcel(child[0])
        self._check_holdings()

    @precondition(
        lambda self: any(sum(self.parcels[p].owner == o for p in self._free()) >= 2 for o in OWNERS)
    )
    @rule(data=st.data())
    def merge(self, data: st.DataObject) -> None:
        free = self._free()
        owner = data.draw(
            st.sampled_from(
                [o for o in OWNERS if sum(self.parcels[p].owner == o for p in free) >= 2]
            )
        )
        mine = [p for p in free if self.parcels[p].owner == owner]
        chosen = data.draw(st.lists(st.sampled_from(mine), min_size=2, max_size=3, unique=True))
        area = sum(self.parcels[p].area for p in chosen)
        merged = self._data(area)
        self.titles.merge(chosen, merged, sender=self.registrar)
        for p in chosen:
            del self.parcels[p]
            self.retired.add(p)
        self._new_parcel(merged[0], owner, area, TitleCause.MERGE, parents=chosen)
        self._check_parcel(merged[0])
        self._check_holdings()

    def _blocker(self, pid: int) -> str | None:
        """Why the model says parcel `pid` cannot be split or merged (contract check order)."""
        model = self.parcels[pid]
        if model.sale is not None:
            return "TitleBlockedBySale"
        if model.liens:
            return "TitleBlockedByLien"
        if model.unpaid:
            return "TitleBlockedByTax"
        return None

    @precondition(lambda self: len(self._free()) < len(self.parcels))
    @rule(data=st.data(), as_merge=st.booleans())
    def split_or_merge_encumbered(self, data: st.DataObject, as_merge: bool) -> None:
        """An open sale, a lien or unpaid tax blocks split and merge, with that reason."""
        blocked = sorted(p for p in self.parcels if self._blocker(p) is not None)
        pid = data.draw(st.sampled_from(blocked))
        model, error = self.parcels[pid], self._blocker(pid)
        assert error is not None
        if as_merge:
            others = [p for p in self._free() if self.parcels[p].owner == model.owner]
            if others:  # the blocked parcel second: the free one passes, then it fails
                merged = parcel_data("SM-BLOCKED", model.area + self.parcels[others[0]].area)
                with reverts(error):
                    self.titles.merge([others[0], pid], merged, sender=self.registrar)
                return
        if model.area >= 2:
            halves = [parcel_data("SM-BLOCKED-A", 1), parcel_data("SM-BLOCKED-B", model.area - 1)]
            with reverts(error):
                self.titles.split(pid, halves, sender=self.registrar)

    @precondition(lambda self: bool(self.parcels))
    @rule(data=st.data(), to=st.sampled_from(OWNERS))
    def transfer_directly(self, data: st.DataObject, to: str) -> None:
        """Titles move only through approved sales: ERC-721 transfers are refused."""
        pid = data.draw(st.sampled_from(sorted(self.parcels)))
        holder = self._acct(self.parcels[pid].owner)
        with reverts("TitleTransferDisabled"):
            self.titles.transferFrom(holder, self._acct(to), pid, sender=holder)

    # -------------------------------------------------------------- invariants

    def _check_parcel(self, pid: int, full: bool = False) -> None:
        """Exactly one owner: the model's, as identity and as token holder; liens and open tax
        years as modelled. `full` (teardown): also the chain of title and `hasOverdue`."""
        model = self.parcels[pid]
        owner = self.parties[model.owner]
        assert self.titles.ownerIdentityOf(pid) == owner.subject
        assert self.titles.ownerOf(pid) == owner.account.address
        assert sorted(self.liens.activeLiensOf(pid)) == sorted(model.liens)
        assert sorted(self.tax.openYearsOf(pid)) == sorted(model.unpaid), pid
        if model.sale is not None:  # accepted (with its hash) or Proposed again, as modelled
            stored = self.titles.saleOf(model.sale.sale_id)
            assert stored.state == (
                SaleState.ACCEPTED if model.sale.accepted else SaleState.PROPOSED
            ), pid
            assert (bytes(stored.encumbranceHash) != b"\x00" * 32) == model.sale.accepted
        if full:
            self._check_titles(pid)
            now = self.chain.blocks.head.timestamp
            overdue = any(due < now for _, due in model.unpaid.values())
            assert self.tax.hasOverdue(pid) == overdue, (pid, model.unpaid, now)

    def _check_titles(self, pid: int) -> None:
        """The chain of title is the model's: owners, causes and sales in order, dated in
        non-decreasing order, the last entry naming the current owner."""
        entries = self.titles.chainOfTitle(pid)
        expected = [
            (self.parties[owner].subject, sale_id, cause)
            for owner, sale_id, cause in self.lineage[pid].titles
        ]
        assert [(bytes(e.owner), int(e.saleId), int(e.cause)) for e in entries] == expected, pid
        dates = [int(e.since) for e in entries]
        assert dates == sorted(dates), (pid, dates)

    def _full_sweep(self) -> None:
        on_chain_area = 0
        for pid in self.parcels:
            self._check_parcel(pid, full=True)
            parcel = self.titles.parcelOf(pid)
            assert parcel.status == ParcelStatus.ACTIVE
            on_chain_area += parcel.area
        assert on_chain_area == self.registered_area  # split/merge preserve total area
        for pid in self.retired:
            assert self.titles.parcelOf(pid).status == ParcelStatus.RETIRED
            with reverts("ERC721NonexistentToken"):  # a retired parcel has no holder
                self.titles.ownerOf(pid)
            self._check_titles(pid)
        self._check_provenance()
        self._check_holdings()
        self._check_token()

    def _check_provenance(self) -> None:
        """Parents and children of every parcel are the model's; each split's children and
        each merge's parents add up to the area on the other side of it."""
        for pid, lineage in self.lineage.items():
            assert [int(p) for p in self.titles.parentsOf(pid)] == lineage.parents, pid
            assert [int(c) for c in self.titles.childrenOf(pid)] == lineage.children, pid
            assert int(self.titles.parcelOf(pid).area) == lineage.area, pid
            if len(lineage.children) > 1:  # split
                assert sum(self.lineage[c].area for c in lineage.children) == lineage.area
            if len(lineage.parents) > 1:  # merge
                assert sum(self.lineage[p].area for p in lineage.parents) == lineage.area

    def _check_holdings(self) -> None:
        for name in OWNERS:
            held = sum(m.owner == name for m in self.parcels.values())
            assert self.titles.balanceOf(self._acct(name)) == held

    def _check_token(self) -> None:
        assert self.token.totalSupply() == self.supply0 + self.minted - self.burned
        assert self.token.balanceOf(self.treasury) == self.treasury0 + self.paid
        assert self.token.balanceOf(self.tax) == 0


DEFAULT_BUDGET = (12, 12)  # as fast as the default run was before the new checks
SWEEP_BUDGET = (10, 15)  # CI: ~2 minutes on a 2-core runner (~1 s per step)


@pytest.fixture
def title_world(
    chain, titles, liens, tax, token, parties, registrar, assessor, treasurer, treasury, agency
) -> dict[str, Any]:
    """Four registered parcels (alice x2, bob, carol) and the machine's contracts and actors."""
    initial = []
    owners = (("alice", 1_000), ("alice", 2_000), ("bob", 3_000), ("carol", 4_000))
    for index, (owner, area) in enumerate(owners):
        data = parcel_data(f"SM-INIT-{index}", area)
        titles.register(parties[owner].subject, data, sender=registrar)
        initial.append((data[0], owner, area))
    return {
        "initial": initial,
        "chain": chain,
        "titles": titles,
        "liens": liens,
        "tax": tax,
        "token": token,
        "parties": parties,
        "registrar": registrar,
        "assessor": assessor,
        "treasurer": treasurer,
        "treasury": treasury,
        "guardian": agency["emergency_guardian"],
        "admin": agency["deployer"],
    }


def run_title_machine(ctx: dict[str, Any], budget: Budget) -> SweepCounter:
    TitleMachine.ctx = ctx
    return run_counted(TitleMachine, "property/TitleRegistry", budget)


def test_title_registry_state_machine(title_world: dict[str, Any]) -> None:
    run_title_machine(title_world, stateful_budget(*DEFAULT_BUDGET))


@pytest.mark.slow
def test_title_registry_invariant_sweep(
    title_world: dict[str, Any], capsys: Any, record_property: Any
) -> None:
    """The invariant sweep (issue #8): the same machine with a larger budget."""
    invariant_sweep(partial(run_title_machine, title_world), SWEEP_BUDGET, capsys, record_property)
