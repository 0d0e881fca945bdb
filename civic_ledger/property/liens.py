"""Client helpers for the LienRegistry: add (lender proposal or registrar order), consent,
release (holder or court order), answer a sale, read liens back, and read (and recompute) the
encumbrance a buyer accepts. Transactions take the keywords `sender` and `transact`
(`civic_ledger.core.transact`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_abi import encode as abi_encode
from eth_utils import keccak

from civic_ledger.core.encoding import to_bytes32
from civic_ledger.core.transact import Transact, direct, required_event
from civic_ledger.property.titles import existing, hex32, parcel_ref

# Mirrors of ILienRegistry's enums, in declaration order.
LienState = IntEnum("LienState", "NONE PROPOSED ACTIVE RELEASED WITHDRAWN", start=0)
SaleConsent = IntEnum("SaleConsent", "NONE KEEP_LIEN DISCHARGE_AT_CLOSING", start=0)


@dataclass(frozen=True)
class LienInfo:
    """A lien as `LienRegistry.lienOf` reports it; `by_order` when the registrar recorded it
    by order (no consent of the owner)."""

    lien_id: int
    parcel_id: int
    holder: str
    amount: int
    evidence_hash: str
    created_at: int
    state: LienState
    by_order: bool


def show(liens: Any, lien_id: int) -> LienInfo:
    lien = liens.lienOf(lien_id)
    state = existing(LienState, lien.state, f"lien {lien_id} does not exist")
    return LienInfo(
        lien_id, int(lien.parcelId), hex32(lien.holder), int(lien.amount),
        hex32(lien.evidenceHash), int(lien.createdAt), state, bool(lien.byOrder),
    )  # fmt: skip


def active_on(liens: Any, parcel_id: int) -> list[LienInfo]:
    """The unreleased liens on `parcel_id`."""
    return [show(liens, int(i)) for i in liens.activeLiensOf(parcel_id)]


# ------------------------------------------------------------------ the encumbrance of a sale

ENCUMBRANCE_TYPES = ["uint256", "uint256", "uint256[]", "bytes32[]", "uint256[]", "uint8[]"]


@dataclass(frozen=True)
class EncumbranceItem:
    """One unreleased lien of the sale's parcel and its holder's answer to the sale."""

    lien_id: int
    holder: bytes
    amount: int
    consent: SaleConsent

    @property
    def answer(self) -> str:
        return {
            SaleConsent.NONE: "has not answered",
            SaleConsent.KEEP_LIEN: "stays with the land",
            SaleConsent.DISCHARGE_AT_CLOSING: "discharged at closing",
        }[self.consent]


@dataclass(frozen=True)
class Encumbrance:
    """What a buyer accepts: the parcel's unreleased liens (by id) and their answers, with the
    hash `TitleRegistry.acceptSale` takes (`LienRegistry.saleEncumbranceHash`)."""

    sale_id: int
    parcel_id: int
    items: tuple[EncumbranceItem, ...]
    hash: bytes

    @property
    def answered(self) -> bool:
        return all(item.consent is not SaleConsent.NONE for item in self.items)

    @property
    def unanswered(self) -> list[int]:
        """Lien ids whose holders have not answered the sale."""
        return [i.lien_id for i in self.items if i.consent is SaleConsent.NONE]

    @property
    def kept(self) -> list[int]:
        """Lien ids that stay on the parcel after closing."""
        return [i.lien_id for i in self.items if i.consent is SaleConsent.KEEP_LIEN]

    @property
    def discharged(self) -> list[int]:
        return [i.lien_id for i in self.items if i.consent is SaleConsent.DISCHARGE_AT_CLOSING]


def encumbrance_hash(sale_id: int, parcel_id: int, items: Sequence[EncumbranceItem]) -> bytes:
    """The documented formula (LienRegistry.saleEncumbranceHash):
    keccak256(abi.encode(saleId, parcelId, lienIds, holders, amounts, consents)), lien ids
    ascending, consents as uint8."""
    ordered = sorted(items, key=lambda i: i.lien_id)
    return keccak(
        abi_encode(
            ENCUMBRANCE_TYPES,
            [
                sale_id,
                parcel_id,
                [i.lien_id for i in ordered],
                [bytes(i.holder) for i in ordered],
                [i.amount for i in ordered],
                [int(i.consent) for i in ordered],
            ],
        )
    )


def encumbrance(liens: Any, sale_id: int) -> Encumbrance:
    """The current encumbrance of sale `sale_id`, its hash recomputed here from the liens and
    answers shown (a node reporting a hash that does not match what it shows is refused)."""
    (sid, parcel_id, ids, holders, amounts, consents), digest, _ = liens.saleEncumbrance(sale_id)
    items = tuple(
        EncumbranceItem(int(i), bytes(h), int(a), SaleConsent(int(c)))
        for i, h, a, c in zip(ids, holders, amounts, consents, strict=True)
    )
    state = Encumbrance(int(sid), int(parcel_id), items, bytes(digest))
    if encumbrance_hash(state.sale_id, state.parcel_id, items) != state.hash:
        raise ValueError(
            f"the lien registry's encumbrance hash for sale {sale_id} does not match the liens "
            "it lists: refusing to accept on it"
        )
    return state


def _add_lien(
    liens: Any, method: str, event: str, label: str, sender: Any, parcel_id: int,
    holder: bytes, amount: int, document_hash: bytes, transact: Transact,
) -> int:  # fmt: skip
    receipt = transact(
        label, getattr(liens, method), parcel_id, to_bytes32(holder), amount,
        to_bytes32(document_hash), sender=sender,
    )  # fmt: skip
    return int(required_event(liens, event, receipt).lienId)


def propose(
    liens: Any, parcel_id: int, holder: bytes, amount: int, evidence_hash: bytes,
    *, sender: Any, transact: Transact = direct,
) -> int:  # fmt: skip
    """The lender (controller of `holder`) proposes a lien. Returns the lien id."""
    return _add_lien(
        liens, "proposeLien", "LienProposed", f"proposed lien on parcel {parcel_ref(parcel_id)}",
        sender, parcel_id, holder, amount, evidence_hash, transact,
    )  # fmt: skip


def record_by_order(
    liens: Any, parcel_id: int, holder: bytes, amount: int, order_hash: bytes,
    *, sender: Any, transact: Transact = direct,
) -> int:  # fmt: skip
    """The registrar records a lien by order. Returns the lien id."""
    return _add_lien(
        liens, "recordLienByOrder", "LienRecorded",
        f"recorded lien on parcel {parcel_ref(parcel_id)} by order",
        sender, parcel_id, holder, amount, order_hash, transact,
    )  # fmt: skip


def consent(liens: Any, lien_id: int, *, sender: Any, transact: Transact = direct) -> Any:
    """The parcel owner consents to a proposed lien."""
    return transact(f"consented to lien {lien_id}", liens.consentLien, lien_id, sender=sender)


def withdraw(liens: Any, lien_id: int, *, sender: Any, transact: Transact = direct) -> Any:
    """The lender withdraws, or the owner declines, a proposed lien."""
    return transact(f"withdrew lien proposal {lien_id}", liens.withdrawLien, lien_id, sender=sender)


def release(liens: Any, lien_id: int, *, sender: Any, transact: Transact = direct) -> Any:
    """The holder releases its lien."""
    return transact(f"released lien {lien_id}", liens.releaseLien, lien_id, sender=sender)


def order_release(
    liens: Any, lien_id: int, order_hash: bytes, *, sender: Any, transact: Transact = direct
) -> Any:
    """The registrar records a court-ordered release."""
    return transact(
        f"released lien {lien_id} by court order",
        liens.orderRelease,
        lien_id,
        to_bytes32(order_hash),
        sender=sender,
    )


def consent_to_sale(
    liens: Any, lien_id: int, sale_id: int, discharge: bool = True,
    *, sender: Any, transact: Transact = direct,
) -> Any:  # fmt: skip
    """The holder answers a proposed sale; `discharge` releases the lien when the sale closes
    (binding once the buyer accepts: the chain then refuses changes)."""
    how = "discharge at closing" if discharge else "lien stays with the land"
    label = f"lien {lien_id} consented to sale {sale_id} ({how})"
    return transact(label, liens.consentToSale, lien_id, sale_id, discharge, sender=sender)
