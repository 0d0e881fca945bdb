"""Client helpers for the LienRegistry: add (lender proposal or registrar order), consent,
release (holder or court order), consent to a sale, and read liens back."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from civic_ledger.clients.titles import Transact, direct, hex32, short_id, to_bytes32


class LienState(IntEnum):
    NONE = 0
    PROPOSED = 1
    ACTIVE = 2
    RELEASED = 3
    WITHDRAWN = 4


class SaleConsent(IntEnum):
    NONE = 0
    KEEP_LIEN = 1
    DISCHARGE_AT_CLOSING = 2


@dataclass(frozen=True)
class LienInfo:
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
    state = LienState(int(lien.state))
    if state is LienState.NONE:
        raise ValueError(f"lien {lien_id} does not exist")
    return LienInfo(
        lien_id, int(lien.parcelId), hex32(lien.holder), int(lien.amount),
        hex32(lien.evidenceHash), int(lien.createdAt), state, bool(lien.byOrder),
    )  # fmt: skip


def active_on(liens: Any, parcel_id: int) -> list[LienInfo]:
    """The unreleased liens on `parcel_id`."""
    return [show(liens, int(i)) for i in liens.activeLiensOf(parcel_id)]


def _lien_id(liens: Any, event: str, receipt: Any) -> int:
    events = getattr(liens, event).from_receipt(receipt)
    if not events:
        raise RuntimeError(f"transaction {receipt.txn_hash} emitted no {event} event")
    return int(events[0].lienId)


def propose(
    liens: Any,
    sender: Any,
    parcel_id: int,
    holder: bytes,
    amount: int,
    evidence_hash: bytes,
    transact: Transact = direct,
) -> int:
    """The lender (controller of `holder`) proposes a lien. Returns the lien id."""
    receipt = transact(
        f"proposed lien on parcel {short_id(parcel_id)}",
        liens.proposeLien,
        parcel_id,
        to_bytes32(holder),
        amount,
        to_bytes32(evidence_hash),
        sender=sender,
    )
    return _lien_id(liens, "LienProposed", receipt)


def record_by_order(
    liens: Any,
    sender: Any,
    parcel_id: int,
    holder: bytes,
    amount: int,
    order_hash: bytes,
    transact: Transact = direct,
) -> int:
    """The registrar records a lien by order. Returns the lien id."""
    receipt = transact(
        f"recorded lien on parcel {short_id(parcel_id)} by order",
        liens.recordLienByOrder,
        parcel_id,
        to_bytes32(holder),
        amount,
        to_bytes32(order_hash),
        sender=sender,
    )
    return _lien_id(liens, "LienRecorded", receipt)


def consent(liens: Any, sender: Any, lien_id: int, transact: Transact = direct) -> Any:
    """The parcel owner consents to a proposed lien."""
    return transact(f"consented to lien {lien_id}", liens.consentLien, lien_id, sender=sender)


def withdraw(liens: Any, sender: Any, lien_id: int, transact: Transact = direct) -> Any:
    return transact(f"withdrew lien proposal {lien_id}", liens.withdrawLien, lien_id, sender=sender)


def release(liens: Any, sender: Any, lien_id: int, transact: Transact = direct) -> Any:
    """The holder releases its lien."""
    return transact(f"released lien {lien_id}", liens.releaseLien, lien_id, sender=sender)


def order_release(
    liens: Any, sender: Any, lien_id: int, order_hash: bytes, transact: Transact = direct
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
    liens: Any,
    sender: Any,
    lien_id: int,
    sale_id: int,
    discharge: bool = True,
    transact: Transact = direct,
) -> Any:
    """The holder consents to a sale; `discharge` releases the lien when the sale closes."""
    how = "discharge at closing" if discharge else "lien stays with the land"
    return transact(
        f"lien {lien_id} consented to sale {sale_id} ({how})",
        liens.consentToSale,
        lien_id,
        sale_id,
        discharge,
        sender=sender,
    )
