"""Public views of the city: a parcel's title, liens and taxes; the fund's rounds and every
payment (public spending transparency, also as CSV); counts and daily activity."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import Path as PathParam
from fastapi import Query
from fastapi.responses import StreamingResponse

from civic_ledger.core.csvfile import csv_lines
from civic_ledger.core.exceptions import ApiError
from civic_ledger.gateway import city_queries, queries
from civic_ledger.gateway.web import PARCEL_PATTERN, Conn, GatewayDep, answer, api_router, snapshot

router = api_router()

MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
Month = Annotated[str | None, Query(pattern=MONTH_PATTERN, description="A month, YYYY-MM (UTC)")]
Kind = Annotated[
    Literal["milestone", "rent", "clawback"] | None,
    Query(description="Only payments of this purpose"),
]
MAX_PAYOUTS = 10_000


@router.get("/parcels/{parcel_id}", tags=["property"], summary="A parcel's title, liens and taxes")
def parcel(
    parcel_id: Annotated[
        str,
        PathParam(pattern=PARCEL_PATTERN, description="Parcel id: 0x + 64 hex digits (or decimal)"),
    ],
    conn: Conn,
) -> dict[str, Any]:
    """The parcel's registration, chain of title (owners as identity commitments), open liens
    (holder commitment, amount, status) and tax years with their status (`due`, `overdue`,
    `paid`, `voided`, as `PropertyTax.statusOf` says at the indexed block)."""
    number = int(parcel_id, 16) if parcel_id.startswith("0x") else int(parcel_id)
    if number >= 2**256:
        raise ApiError(422, f"malformed parcel_id {parcel_id!r}: larger than uint256")
    at = queries.as_of(conn)
    found = city_queries.parcel(conn, number, at.block_time)
    if found is None:
        raise ApiError(404, f"no parcel {city_queries.parcel_hex(number)} in the index")
    return answer(at, found)


@router.get("/fund/rounds", tags=["fund"], summary="Every grant round")
def rounds(conn: Conn) -> dict[str, Any]:
    """Every round with its budget, funds deposited, awarded, paid and returned."""
    at = queries.as_of(conn)
    return answer(at, rounds=city_queries.rounds(conn))


@router.get("/fund/rounds/{round_id}", tags=["fund"], summary="A round and its applications")
def round_detail(
    round_id: Annotated[int, PathParam(ge=1, le=2**64, description="The round number")], conn: Conn
) -> dict[str, Any]:
    """One round's totals and its applications (applicant commitment, amount, status, paid)."""
    at = queries.as_of(conn)
    found = city_queries.round_detail(conn, round_id)
    if found is None:
        raise ApiError(404, f"no round {round_id} in the index")
    return answer(at, found)


@router.get("/fund/payouts", tags=["fund"], summary="Payments out of the fund")
def payouts(
    conn: Conn,
    month: Month = None,
    kind: Kind = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAYOUTS)] = 1000,
) -> dict[str, Any]:
    """Every payment, oldest first (at most `limit`): time, round, application, purpose,
    amount and transaction; optionally one month's and one purpose's."""
    at = queries.as_of(conn)
    rows = list(city_queries.payouts(conn, month=month, kind=kind, limit=limit))
    return answer(at, month=month, kind=kind, payouts=rows)


@router.get(
    "/fund/payouts.csv",
    tags=["fund"],
    summary="Payments out of the fund, as CSV",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def payouts_csv(gw: GatewayDep, month: Month = None, kind: Kind = None) -> StreamingResponse:
    """The same payments as CSV (UTF-8, a header row), the index's block in `X-As-Of-Block`."""
    with snapshot(gw.engine) as conn:
        at = queries.as_of(conn)
        rows = list(city_queries.payouts(conn, month=month, kind=kind))

    def lines() -> Iterator[str]:
        columns = city_queries.PAYOUT_COLUMNS
        yield from csv_lines([columns, *([r[c] for c in columns] for r in rows)])

    name = "payouts" + (f"-{month}" if month else "") + (f"-{kind}" if kind else "") + ".csv"
    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-As-Of-Block": str(at.block),
        "X-As-Of-Time": str(at.block_time),
    }
    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/stats", tags=["statistics"], summary="Counts and daily activity")
def stats(
    conn: Conn,
    days: Annotated[
        int, Query(ge=1, le=366, description="Days of activity, up to the index's")
    ] = 30,
) -> dict[str, Any]:
    """Rows per table of each domain, events in total and per UTC day for the last `days`
    days up to the indexed block's time."""
    at = queries.as_of(conn)
    return answer(at, city_queries.stats(conn, at.block_time, days))
