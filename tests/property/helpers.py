"""Shared helpers of the property tests (ids, parcel data, parties)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from eth_utils import keccak

PERSON = 1
ENTERPRISE = 2
DAY = 24 * 60 * 60
YEAR = 365 * DAY

_codes = itertools.count(1)


def subject_for(label: str) -> bytes:
    """A stand-in salted commitment for a named test party."""
    return keccak(b"test-salt:" + label.encode())


def parcel_id(code: str) -> int:
    """The deterministic parcel id the tooling derives from a cadastral code."""
    return int.from_bytes(keccak(text=code), "big")


def parcel_data(
    code: str | None = None, area: int = 1_000, land_use: int = 1, uri: str | None = None
) -> tuple[int, bytes, int, int, str]:
    """A `TitleRegistry.ParcelData` tuple (parcelId, dataHash, area, landUse, uri)."""
    code = code or f"TEST-{next(_codes):06d}"
    return (
        parcel_id(code),
        keccak(text=f"survey:{code}:{area}"),
        area,
        land_use,
        uri if uri is not None else f"ipfs://parcel/{code}",
    )


@dataclass(frozen=True)
class Party:
    """A registered identity and the wallet controlling it."""

    name: str
    subject: bytes
    account: Any
