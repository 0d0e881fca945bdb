"""Stateful model of the land register: random sequences of registrations, sales, liens, tax,
splits, merges, token mints/burns and time jumps, checked against a Python model after every step.

Invariants:
- every active parcel has exactly one owner: the model's, both as owner identity and as ERC-721
  holder (the owner's controller wallet); retired parcels have no holder;
- no sale completes without proposal, acceptance and registrar approval; unconsented liens and
  past-due unpaid tax make approval revert (the model predicts each approval's outcome);
- split and merge preserve total area (sum over active parcels on chain == area ever registered);
- CityToken supply == minted - burned, and the treasury received exactly the tax paid.

Reads are the expensive part on the embedded chain (~0.1 s each), so instead of per-step
`@invariant`s each rule checks what it can change (the parcels it touched, holdings, token
totals) and every example ends with a full sweep of all of it in `teardown`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import ape
from eth_utils import keccak
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    precondition,
    rule,
    run_state_machine_as_test,
)

from .helpers import DAY, Party, parcel_data

OWNERS = ("alice", "bob", "carol")
LENDERS = ("bank", "bank2")
MAX_LIENS = 8
ACTIVE, RETIRED = 1, 2


@dataclass
class SaleModel:
    sale_id: int
    buyer: str
    accepted: bool = False


@dataclass
class LienModel:
    holder: str
    consents: dict[int, bool] = field(default_factory=dict)  # sale id -> discharge at closing


@dataclass
class ParcelModel:
    owner: str
    area: int
    sale: SaleModel | None = None
    liens: dict[int, LienModel] = field(default_factory=dict)
    unpaid: dict[int, tuple[int, int]] = field(default_factory=dict)  # year -> (amount, due)


class TitleMachine(RuleBasedStateMachine):
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
        self.treasurer, self.treasury = c["treasurer"], c["treasury"]
        self.snapshot = self.chain.snapshot()
        # parcels registered before the machine starts (part of the snapshot)
        self.parcels: dict[int, ParcelModel] = {
            pid: ParcelModel(owner, area) for pid, owner, area in c["initial"]
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

    def _mint(self, to: Any, amount: int) -> None:
        self.token.mint(to, amount, sender=self.treasurer)
        self.minted += amount

    # -------------------------------------------------------------- registration

    @precondition(lambda self: len(self.parcels) < 8)
    @rule(owner=st.sampled_from(OWNERS), area=st.integers(2, 50_000))
    def register(self, owner: str, area: int) -> None:
        data = self._data(area)
        self.titles.register(self.parties[owner].subject, data, sender=self.registrar)
        self.parcels[data[0]] = ParcelModel(owner, area)
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
        if accept:  # the common case: the buyer signs right away
            self.titles.acceptSale(model.sale.sale_id, sender=self._acct(buyer))
            model.sale.accepted = True

    @precondition(lambda self: any(m.sale and not m.sale.accepted for m in self.parcels.values()))
    @rule(data=st.data())
    def accept(self, data: st.DataObject) -> None:
        pid = data.draw(
            st.sampled_from(
                sorted(p for p, m in self.parcels.items() if m.sale and not m.sale.accepted)
            )
        )
        sale = self.parcels[pid].sale
        assert sale is not None
        self.titles.acceptSale(sale.sale_id, sender=self._acct(sale.buyer))
        sale.accepted = True

    @precondition(lambda self: any(m.sale for m in self.parcels.values()))
    @rule(data=st.data(), by_buyer=st.booleans())
    def cancel(self, data: st.DataObject, by_buyer: bool) -> None:
        pid = data.draw(st.sampled_from(sorted(p for p, m in self.parcels.items() if m.sale)))
        model = self.parcels[pid]
        assert model.sale is not None
        who = model.sale.buyer if by_buyer else model.owner
        self.titles.cancelSale(model.sale.sale_id, sender=self._acct(who))
        model.sale = None

    @precondition(lambda self: any(m.sale for m in self.parcels.values()))
    @rule(data=st.data())
    def approve(self, data: st.DataObject) -> None:
        pid = data.draw(st.sampled_from(sorted(p for p, m in self.parcels.items() if m.sale)))
        model = self.parcels[pid]
        sale = model.sale
        assert sale is not None
        now = self.chain.pending_timestamp
        liens_ok = all(sale.sale_id in lien.consents for lien in model.liens.values())
        tax_ok = all(due >= now for _, due in model.unpaid.values())
        if sale.accepted and liens_ok and tax_ok:
            self.titles.approveSale(sale.sale_id, sender=self.registrar)
            model.liens = {
                lid: lien for lid, lien in model.liens.items() if not lien.consents[sale.sale_id]
            }
            model.owner, model.sale = sale.buyer, None
        else:
            with ape.reverts():
                self.titles.approveSale(sale.sale_id, sender=self.registrar)
        self._check_parcel(pid)
        self._check_holdings()

    # -------------------------------------------------------------- liens

    @precondition(lambda self: any(len(m.liens) < MAX_LIENS for m in self.parcels.values()))
    @rule(data=st.data(), holder=st.sampled_from(LENDERS), by_order=st.booleans())
    def add_lien(self, data: st.DataObject, holder: str, by_order: bool) -> None:
        pid = data.draw(
            st.sampled_from(sorted(p for p, m in self.parcels.items() if len(m.liens) < MAX_LIENS))
        )
        model = self.parcels[pid]
        subject = self.parties[holder].subject
        evidence = keccak(text=f"loan:{pid}:{len(model.liens)}")
        if by_order:
            self.liens.recordLienByOrder(pid, subject, 100, evidence, sender=self.registrar)
        else:
            self.liens.proposeLien(pid, subject, 100, evidence, sender=self._acct(holder))
            self.liens.consentLien(self.liens.lienCount(), sender=self._acct(model.owner))
        model.liens[self.liens.lienCount()] = LienModel(holder)
        self._check_parcel(pid)

    @precondition(lambda self: any(m.sale and m.liens for m in self.parcels.values()))
    @rule(data=st.data(), discharge=st.booleans())
    def consent_to_sale(self, data: st.DataObject, discharge: bool) -> None:
        pid = data.draw(
            st.sampled_from(sorted(p for p, m in self.parcels.items() if m.sale and m.liens))
        )
        model = self.parcels[pid]
        assert model.sale is not None
        lien_id = data.draw(st.sampled_from(sorted(model.liens)))
        lien = model.liens[lien_id]
        self.liens.consentToSale(
            lien_id, model.sale.sale_id, discharge, sender=self._acct(lien.holder)
        )
        lien.consents[model.sale.sale_id] = discharge

    @precondition(lambda self: any(m.liens for m in self.parcels.values()))
    @rule(data=st.data(), by_court=st.booleans())
    def release_lien(self, data: st.DataObject, by_court: bool) -> None:
        pid = data.draw(st.sampled_from(sorted(p for p, m in self.parcels.items() if m.liens)))
        model = self.parcels[pid]
        lien_id = data.draw(st.sampled_from(sorted(model.liens)))
        if by_court:
            self.liens.orderRelease(lien_id, keccak(text="order"), sender=self.registrar)
        else:
            self.liens.releaseLien(lien_id, sender=self._acct(model.liens[lien_id].holder))
        del model.liens[lien_id]
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

    @precondition(lambda self: any(m.unpaid for m in self.parcels.values()))
    @rule(data=st.data())
    def pay(self, data: st.DataObject) -> None:
        pid = data.draw(st.sampled_from(sorted(p for p, m in self.parcels.items() if m.unpaid)))
        model = self.parcels[pid]
        year = data.draw(st.sampled_from(sorted(model.unpaid)))
        amount, _ = model.unpaid[year]
        payer = self._acct(model.owner)
        self._mint(payer, amount)
        self.token.approve(self.tax, amount, sender=payer)
        self.tax.pay(pid, year, sender=payer)
        self.paid += amount
        del model.unpaid[year]
        self._check_token()

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
            self.parcels[child[0]] = ParcelModel(model.owner, child[2])
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
        self.parcels[merged[0]] = ParcelModel(owner, area)
        self._check_parcel(merged[0])
        self._check_holdings()

    # -------------------------------------------------------------- invariants

    def _check_parcel(self, pid: int) -> None:
        """Exactly one owner: the model's, as identity and as token holder; liens as modelled."""
        model = self.parcels[pid]
        owner = self.parties[model.owner]
        assert self.titles.ownerIdentityOf(pid) == owner.subject
        assert self.titles.ownerOf(pid) == owner.account.address
        assert sorted(self.liens.activeLiensOf(pid)) == sorted(model.liens)

    def _full_sweep(self) -> None:
        on_chain_area = 0
        for pid in self.parcels:
            self._check_parcel(pid)
            parcel = self.titles.parcelOf(pid)
            assert parcel.status == ACTIVE
            on_chain_area += parcel.area
        assert on_chain_area == self.registered_area  # split/merge preserve total area
        for pid in self.retired:
            assert self.titles.parcelOf(pid).status == RETIRED
        self._check_holdings()
        self._check_token()

    def _check_holdings(self) -> None:
        for name in OWNERS:
            held = sum(m.owner == name for m in self.parcels.values())
            assert self.titles.balanceOf(self._acct(name)) == held

    def _check_token(self) -> None:
        assert self.token.totalSupply() == self.supply0 + self.minted - self.burned
        assert self.token.balanceOf(self.treasury) == self.treasury0 + self.paid
        assert self.token.balanceOf(self.tax) == 0


def test_title_registry_state_machine(
    chain, titles, liens, tax, token, parties, registrar, assessor, treasurer, treasury
):
    initial = []
    owners = (("alice", 1_000), ("alice", 2_000), ("bob", 3_000), ("carol", 4_000))
    for index, (owner, area) in enumerate(owners):
        data = parcel_data(f"SM-INIT-{index}", area)
        titles.register(parties[owner].subject, data, sender=registrar)
        initial.append((data[0], owner, area))
    TitleMachine.ctx = {
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
    }
    run_state_machine_as_test(
        TitleMachine,
        settings=settings(
            max_examples=15,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )
