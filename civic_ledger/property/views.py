"""The land registry as a clerk reads it: a parcel's rows (with its liens and unpaid tax), what
a sale's buyer takes on, the new parcels of a split, and the outcome of a bulk import."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from civic_ledger.core.encoding import check_code, format_time
from civic_ledger.property.liens import Encumbrance
from civic_ledger.property.titles import ParcelInfo


def parcel_rows(
    info: ParcelInfo, liens: Sequence[Any], unpaid: Sequence[Any]
) -> list[tuple[str, str]]:
    """The rows `titles show` prints: the parcel, then its active liens and unpaid tax years."""
    return [
        ("parcel", f"{info.parcel_id}"),
        ("status", info.status.name.lower()),
        ("owner identity", info.owner),
        ("title holder", info.holder or "-"),
        ("area", f"{info.area:,} m²"),
        ("land use", str(info.land_use)),
        ("data hash", info.data_hash),
        ("token uri", info.token_uri or "-"),
        ("registered", format_time(info.registered_at, seconds=False)),
        ("open sale", str(info.open_sale or "-")),
        ("parents", ", ".join(map(str, info.parents)) or "-"),
        ("children", ", ".join(map(str, info.children)) or "-"),
        ("liens", ", ".join(f"#{lien.lien_id}" for lien in liens) or "none"),
        ("unpaid tax", ", ".join(f"{a.year} ({a.status.name.lower()})" for a in unpaid) or "none"),
    ]


def encumbrance_summary(state: Encumbrance) -> str:
    """What the buyer of an accepted sale takes on: the liens kept and those discharged."""
    if not state.items:
        return "no liens: the buyer receives an unencumbered title"
    kept = ", ".join(f"#{i}" for i in state.kept) or "none"
    discharged = ", ".join(f"#{i}" for i in state.discharged) or "none"
    return f"liens kept {kept}; discharged at closing {discharged}"


def split_children(children: Sequence[str]) -> list[tuple[str, int]]:
    """`CODE=AREA` items (area in m²) -> [(cadastral code, area)], codes distinct."""
    parsed: list[tuple[str, int]] = []
    for child in children:
        code, _, area = child.partition("=")
        area = area.strip()
        if not code or not (area.isascii() and area.isdigit()) or not 0 < int(area) < 2**128:
            raise ValueError(f"{child!r}: expected CODE=AREA (area in m², 1 to 2**128 - 1)")
        code = check_code(code)
        if code in (c for c, _ in parsed):
            raise ValueError(f"child {code!r} given twice")
        parsed.append((code, int(area)))
    return parsed
