"""Shared helpers of the property tests (ids, parcel data, parties)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from eth_utils import keccak

from civic_ledger.core.times import DAY

YEAR = 365 * DAY

_codes = itertools.count(1)


def subject_for(label: str) -> bytes:
    """A stand-in salted commitment for a named test party."""
    return keccak(b"test-salt:" + label.encode())


def parcel_id(code: str) -> int:
    """The deterministic parcel id the tooling derives from a cadastral code."""
    return int.from_bytes(keccak(text=code), "big")


def parcel_data(
    code: str | None = None, area: int = 1_000, land_use: int = 1
) -> tuple[int, bytes, int, int]:
    """A `TitleRegistry.ParcelData` tuple (parcelId, dataHash, area, landUse)."""
    code = code or f"TEST-{next(_codes):06d}"
    return (parcel_id(code), keccak(text=f"survey:{code}:{area}"), area, land_use)


def accept_sale(titles: Any, liens: Any, sale_id: int, buyer: Any) -> Any:
    """The buyer accepts sale `sale_id` with the encumbrance as it stands now."""
    return titles.acceptSale(sale_id, liens.saleEncumbranceHash(sale_id), sender=buyer)


@dataclass(frozen=True)
class Party:
    """A registered identity and the wallet controlling it."""

    name: str
    subject: bytes
    account: Any
