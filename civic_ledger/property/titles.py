"""Client helpers for the TitleRegistry: parse parcel/identity/hash arguments, register, read a
parcel and its chain of titles, and drive the sale workflow (the buyer accepts the exact
encumbrance it was shown), splits and merges.

Every function takes the deployed contract instance(s); a transaction also takes the keywords
`sender` (the Ape account that signs) and `transact` (`civic_ledger.core.transact`: default a
plain call; the CLI passes its printing `send`). The click commands in `civic_ledger.cli.titles`
are a thin layer on top.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import IntEnum
from typing import Any, TypeVar

from eth_utils import keccak

from civic_ledger.core.encoding import hex32, parcel_id_of, to_bytes32
from civic_ledger.core.transact import Transact, direct, required_event

_State = TypeVar("_State", bound=IntEnum)


# Mirrors of ITitleRegistry's enums, in declaration order.
ParcelStatus = IntEnum("ParcelStatus", "NONE ACTIVE RETIRED", start=0)
TitleCause = IntEnum("TitleCause", "REGISTRATION SALE SPLIT MERGE", start=0)
SaleState = IntEnum("SaleState", "NONE PROPOSED ACCEPTED COMPLETED CANCELLED REJECTED", start=0)


# ------------------------------------------------------------------ argument parsing


def to_units(amount: str | int | Decimal, decimals: int = 18) -> int:
    """A token amount in whole tokens ("1200.50") to base units."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise ValueError(f"not a number: {amount!r}") from None
    units = value * (Decimal(10) ** decimals)
    if units < 0 or units != units.to_integral_value():
        raise ValueError(f"{amount} is negative or has more than {decimals} decimals")
    return int(units)


def from_units(units: int, decimals: int = 18) -> str:
    text = format(Decimal(units) / (Decimal(10) ** decimals), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def parcel_ref(parcel_id: int) -> str:
    """A parcel id for messages, whole: small ids as they are, keccak ids as 0x + 64 hex digits
    (the CLI shows the cadastral code next to it where the clerk typed one)."""
    if parcel_id < 10**9:
        return str(parcel_id)
    return f"0x{parcel_id:064x}"


def existing(state_type: type[_State], value: Any, missing: str) -> _State:
    """`value` as a `state_type`; raises ValueError(`missing`) for its NONE (0): the registry
    answers an unknown id with an empty struct."""
    state = state_type(int(value))
    if state == 0:
        raise ValueError(missing)
    return state


# ------------------------------------------------------------------ views


@dataclass(frozen=True)
class TitleEntryInfo:
    owner: str
    since: int
    sale_id: int
    cause: TitleCause


@dataclass(frozen=True)
class ParcelInfo:
    parcel_id: int
    status: ParcelStatus
    owner: str
    holder: str | None
    data_hash: str
    area: int
    land_use: int
    registered_at: int
    token_uri: str  # the admin's base URI + parcel id in 0x-hex ("" without a base URI)
    open_sale: int
    parents: tuple[int, ...]
    children: tuple[int, ...]


@dataclass(frozen=True)
class SaleInfo:
    sale_id: int
    parcel_id: int
    seller: str
    buyer: str
    price: int
    deed_hash: str
    proposed_at: int
    state: SaleState
    encumbrance_hash: str  # what the buyer accepted (zero until accepted, or after voiding)


@dataclass(frozen=True)
class Readiness:
    accepted: bool
    identities_active: bool
    liens_cleared: bool
    tax_clear: bool
    encumbrance_as_accepted: bool = False
    titles_open: bool = True  # TitleRegistry.isOpen(): not paused, not closed
    liens_open: bool = True  # LienRegistry.isOpen(): its discharges are part of the closing

    @property
    def blockers(self) -> list[str]:
        reasons = []
        if not self.titles_open:
            reasons.append("the title registry is paused or closed")
        if not self.liens_open:
            reasons.append(
                "the lien registry is paused or closed (a sale closes together with the lien "
                "discharges it triggers)"
            )
        if not self.liens_cleared:
            reasons.append(
                "a lienholder has not answered this sale (keep or discharge at closing), so "
                "the buyer cannot accept yet"
                if not self.accepted
                else "an unreleased lien has not answered this sale"
            )
        if not self.accepted:
            reasons.append("the sale is not accepted by the buyer (or no longer open)")
        elif not self.encumbrance_as_accepted:
            reasons.append("the liens or their answers changed since the buyer accepted")
        if not self.identities_active:
            reasons.append("seller or buyer identity is not active")
        if not self.tax_clear:
            reasons.append("property tax is past due")
        return reasons


def show(titles: Any, parcel_id: int) -> ParcelInfo:
    """Everything the registry holds about `parcel_id` (raises ValueError when unknown)."""
    parcel = titles.parcelOf(parcel_id)
    status = existing(ParcelStatus, parcel.status, f"parcel {parcel_id} is not registered")
    return ParcelInfo(
        parcel_id=parcel_id,
        status=status,
        owner=hex32(titles.ownerIdentityOf(parcel_id)),
        holder=str(titles.ownerOf(parcel_id)) if status is ParcelStatus.ACTIVE else None,
        data_hash=hex32(parcel.dataHash),
        area=int(parcel.area),
        land_use=int(parcel.landUse),
        registered_at=int(parcel.registeredAt),
        token_uri=titles.tokenURI(parcel_id),
        open_sale=int(titles.openSaleOf(parcel_id)),
        parents=tuple(int(p) for p in titles.parentsOf(parcel_id)),
        children=tuple(int(c) for c in titles.childrenOf(parcel_id)),
    )


def history(titles: Any, parcel_id: int) -> list[TitleEntryInfo]:
    """The chain of titles of `parcel_id`, oldest first."""
    return [
        TitleEntryInfo(hex32(e.owner), int(e.since), int(e.saleId), TitleCause(int(e.cause)))
        for e in titles.chainOfTitle(parcel_id)
    ]


def lineage(titles: Any, parcel_id: int, max_depth: int = 16) -> list[tuple[int, int]]:
    """Ancestors of `parcel_id` through splits and merges as (depth, parcel id), nearest first."""
    out: list[tuple[int, int]] = []
    frontier = [parcel_id]
    for depth in range(1, max_depth + 1):
        parents = [int(p) for pid in frontier for p in titles.parentsOf(pid)]
        if not parents:
            break
        out.extend((depth, p) for p in parents)
        frontier = parents
    return out


def sale(titles: Any, sale_id: int) -> SaleInfo:
    s = titles.saleOf(sale_id)
    state = existing(SaleState, s.state, f"sale {sale_id} does not exist")
    return SaleInfo(
        sale_id, int(s.parcelId), hex32(s.seller), hex32(s.buyer), int(s.price),
        hex32(s.deedHash), int(s.proposedAt), state, hex32(s.encumbranceHash),
    )  # fmt: skip


def readiness(titles: Any, sale_id: int, liens: Any = None) -> Readiness:
    """What would stop the registrar's approval of `sale_id` now (with `liens`, the lien
    registry, also whether it is open: the closing discharges liens through it)."""
    r = titles.saleReadiness(sale_id)
    liens_open = True if liens is None else bool(liens.isOpen())
    return Readiness(
        bool(r[0]), bool(r[1]), bool(r[2]), bool(r[3]), bool(r[4]),
        titles_open=bool(titles.isOpen()), liens_open=liens_open,
    )  # fmt: skip


# ------------------------------------------------------------------ transactions


def parcel_data(
    code: str, data_hash: bytes, area: int, land_use: int
) -> tuple[int, bytes, int, int]:
    """The `ParcelData` tuple for a parcel identified by its cadastral code (the parcel
    document is addressed by its data hash: no URI goes on chain)."""
    if area <= 0:
        raise ValueError("area must be positive")
    return (parcel_id_of(code), to_bytes32(data_hash), area, land_use)


def register(
    titles: Any, owner: bytes, code: str, data_hash: bytes, area: int, land_use: int,
    *, sender: Any, transact: Transact = direct,
) -> int:  # fmt: skip
    """Registers one parcel (registrar). Returns its id."""
    data = parcel_data(code, data_hash, area, land_use)
    transact(f"registered parcel {code}", titles.register, to_bytes32(owner), data, sender=sender)
    return data[0]


def propose(
    titles: Any, parcel_id: int, buyer: bytes, price: int, deed_hash: bytes,
    *, sender: Any, transact: Transact = direct,
) -> int:  # fmt: skip
    """The owner proposes a sale. Returns the sale id."""
    receipt = transact(
        f"proposed sale of parcel {parcel_ref(parcel_id)}", titles.proposeSale,
        parcel_id, to_bytes32(buyer), price, to_bytes32(deed_hash), sender=sender,
    )  # fmt: skip
    return int(required_event(titles, "SaleProposed", receipt).saleId)


def cancel(titles: Any, sale_id: int, *, sender: Any, transact: Transact = direct) -> Any:
    """Seller or buyer withdraws from a sale before the registrar approves it."""
    return transact(f"cancelled sale {sale_id}", titles.cancelSale, sale_id, sender=sender)


def accept(
    titles: Any, liens: Any, sale_id: int, encumbrance_hash: bytes | str | None = None,
    *, sender: Any, transact: Transact = direct,
) -> Any:  # fmt: skip
    """The buyer accepts sale `sale_id` with its encumbrance (the parcel's liens and each
    holder's answer). `encumbrance_hash`: the state the buyer reviewed (e.g. shown by
    `titles sale`); without it, the state read now. Refuses before sending when the liens or
    answers changed since that review, or a lienholder has not answered yet. Returns the
    `Encumbrance` accepted; the chain refuses the acceptance if it changes before it is mined."""
    from civic_ledger.property import liens as lien_client

    sale(titles, sale_id)  # "sale N does not exist" before anything else
    state = lien_client.encumbrance(liens, sale_id)
    if encumbrance_hash is not None and to_bytes32(encumbrance_hash) != state.hash:
        raise ValueError(
            f"the liens or their answers changed since you reviewed them: you accept "
            f"{hex32(to_bytes32(encumbrance_hash))}, the current state is {hex32(state.hash)}; "
            f"review the sale again (titles sale {sale_id}) before accepting"
        )
    if not state.answered:
        waiting = ", ".join(f"#{i}" for i in state.unanswered)
        raise ValueError(
            f"the buyer cannot accept yet: lien {waiting} on the parcel has not answered sale "
            f"{sale_id} (keep, or discharge at closing)"
        )
    label = f"accepted sale {sale_id} (encumbrance {hex32(state.hash)[:10]}…)"
    transact(label, titles.acceptSale, sale_id, state.hash, sender=sender)
    return state


def approve(
    titles: Any, sale_id: int, *, liens: Any = None, sender: Any, transact: Transact = direct
) -> Any:
    """The registrar approves; raises ValueError naming the blockers before sending."""
    blockers = readiness(titles, sale_id, liens).blockers
    if blockers:
        raise ValueError(f"sale {sale_id} cannot be approved: " + "; ".join(blockers))
    return transact(f"approved sale {sale_id}", titles.approveSale, sale_id, sender=sender)


def reject(
    titles: Any, sale_id: int, reason_hash: bytes, *, sender: Any, transact: Transact = direct
) -> Any:
    """The registrar refuses a sale; `reason_hash` is the content hash of the decision."""
    reason = to_bytes32(reason_hash)
    return transact(f"rejected sale {sale_id}", titles.rejectSale, sale_id, reason, sender=sender)


def split(
    titles: Any, parent_id: int, children: Sequence[tuple[str, int]], survey_hash: bytes,
    land_use: int | None = None, *, sender: Any, transact: Transact = direct,
) -> list[int]:  # fmt: skip
    """Splits `parent_id` into (cadastral code, area) children. Each child's data hash is
    keccak256(survey hash, code): one survey document covers the whole subdivision."""
    parent = titles.parcelOf(parent_id)
    use = int(parent.landUse) if land_use is None else land_use
    total = sum(area for _, area in children)
    if total != int(parent.area):
        raise ValueError(f"child areas add up to {total} m², the parent has {int(parent.area)} m²")
    data = [parcel_data(code, _child_hash(survey_hash, code), area, use) for code, area in children]
    label = f"split parcel {parcel_ref(parent_id)} into {len(data)}"
    transact(label, titles.split, parent_id, data, sender=sender)
    return [d[0] for d in data]


def merge(
    titles: Any, parent_ids: Sequence[int], code: str, survey_hash: bytes,
    land_use: int | None = None, *, sender: Any, transact: Transact = direct,
) -> int:  # fmt: skip
    """Merges `parent_ids` into a new parcel `code` (area = sum of the parents')."""
    parents = [titles.parcelOf(p) for p in parent_ids]
    area = sum(int(p.area) for p in parents)
    use = int(parents[0].landUse) if land_use is None else land_use
    data = parcel_data(code, _child_hash(survey_hash, code), area, use)
    label = f"merged {len(parent_ids)} parcels into {code}"
    transact(label, titles.merge, list(parent_ids), data, sender=sender)
    return data[0]


def set_base_uri(titles: Any, base_uri: str, *, sender: Any, transact: Transact = direct) -> Any:
    """The admin sets the base of every token URI (base + parcel id in 0x-hex)."""
    check_base_uri(base_uri)
    return transact("set the title base URI", titles.setBaseURI, base_uri, sender=sender)


MAX_BASE_URI_LENGTH = 256  # TitleRegistry.MAX_BASE_URI_LENGTH (bytes)


def check_base_uri(base_uri: str) -> str:
    """A base URI the registry accepts: at most 256 UTF-8 bytes, no control characters."""
    size = len(base_uri.encode())
    if size > MAX_BASE_URI_LENGTH:
        raise ValueError(f"{size} bytes; at most {MAX_BASE_URI_LENGTH}")
    if any(ord(c) < 32 or ord(c) == 127 for c in base_uri):
        raise ValueError("contains control characters")
    return base_uri


def sync_holder(titles: Any, parcel_id: int, *, sender: Any, transact: Transact = direct) -> Any:
    label = f"synced holder of parcel {parcel_ref(parcel_id)}"
    return transact(label, titles.syncHolder, parcel_id, sender=sender)


def _child_hash(survey_hash: bytes, code: str) -> bytes:
    return keccak(to_bytes32(survey_hash) + code.encode())
