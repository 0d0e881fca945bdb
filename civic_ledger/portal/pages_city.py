"""The city's public pages: a parcel (chain of title, open liens, tax years) and its printable
title status with a QR code back to the page; the fund's rounds and payouts with charts and the
CSV; and the agency dashboard (activity per day, the index's lag, the chain's health: head,
last block time and the Clique signers, from the node the gateway indexes)."""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import segno
from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from civic_ledger.core.exceptions import GatewayError, PortalError
from civic_ledger.gateway import city_queries, queries
from civic_ledger.gateway.indexer import status
from civic_ledger.gateway.web import PARCEL_PATTERN, snapshot
from civic_ledger.portal import charts
from civic_ledger.portal.health import chain_health_of
from civic_ledger.portal.views import N_, gateway_of, query_value, refusal, render

router = APIRouter(include_in_schema=False)

PARCEL = re.compile(PARCEL_PATTERN)  # what the API takes (gateway.web)
DASHBOARD_DAYS = 14
#: Payout purposes in plain words (milestone rounds fund research).
PURPOSES = {"milestone": N_("research"), "rent": N_("rent"), "clawback": N_("clawed back")}
#: Round kinds in plain words (the API's `kind` of a round: IGrantFund.RoundKind).
ROUND_KINDS = {"rent": N_("rent"), "research": N_("research"), "project": N_("project grant")}
#: Title events in plain words.
TITLE_EVENTS = {
    "ParcelRegistered": N_("registered"),
    "SaleApproved": N_("sold"),
    "ParcelSplit": N_("split"),
    "ParcelsMerged": N_("merged"),
    "HolderSynced": N_("holder updated"),
}
TAX_STATUS = {"due": N_("due"), "overdue": N_("overdue"), "paid": N_("paid"),
              "voided": N_("voided")}  # fmt: skip
LIEN_STATUS = {"proposed": N_("proposed"), "recorded": N_("recorded")}
ACTIVITY = {
    "registrations": N_("registrations"),
    "records": N_("records"),
    "disputes": N_("disputes"),
    "sales": N_("sales"),
    "awards": N_("fund awards"),
    "data_grants": N_("data grants"),
}


def parcel_number(text: str) -> int:
    if not PARCEL.match(text):
        raise PortalError(422, N_("A parcel id is 0x followed by 64 hexadecimal digits, or a "
                                  "parcel number."))  # fmt: skip
    number = int(text, 16) if text.startswith("0x") else int(text)
    if number >= 2**256:
        raise PortalError(422, N_("This parcel number is too large."))
    return number


@router.get("/parcels", response_class=HTMLResponse)
def parcel_lookup(request: Request) -> Response:
    """The parcel form's target: `?parcel=` -> the parcel's page."""
    try:
        text = query_value(request, "parcel")
        if text is None:
            raise PortalError(422, N_("Give a parcel id."))
        number = parcel_number(text)
    except PortalError as exc:
        return refusal(request, exc)
    return RedirectResponse(f"/parcels/{city_queries.parcel_hex(number)}", status_code=303)


def _parcel_page(
    request: Request,
    parcel_id: str,
    template: str,
    extra: Callable[[dict[str, Any]], dict[str, Any]] = lambda _found: {},
) -> HTMLResponse:
    """A parcel rendered in `template` (with `extra(parcel)` values), or the refusal page."""
    try:
        number = parcel_number(parcel_id)
        with snapshot(gateway_of(request).engine) as conn:
            at = queries.as_of(conn)
            found = city_queries.parcel(conn, number, at.block_time)
        if found is None:
            raise PortalError(404, N_("This city has no parcel with that id."))
    except PortalError as exc:
        return refusal(request, exc)
    return render(request, template, parcel=found, as_of=at, words=_words(), **extra(found))


@router.get("/parcels/{parcel_id}", response_class=HTMLResponse)
def parcel_page(request: Request, parcel_id: str) -> HTMLResponse:
    return _parcel_page(request, parcel_id, "parcel.html")


@router.get("/parcels/{parcel_id}/print", response_class=HTMLResponse)
def parcel_print(request: Request, parcel_id: str) -> HTMLResponse:
    """The title status to print, with a QR code leading back to the parcel's page."""

    def qr_code(found: dict[str, Any]) -> dict[str, Any]:
        url = str(request.base_url).rstrip("/") + f"/parcels/{found['parcel_id']}"
        return {"url": url, "qr_svg": segno.make(url, error="m").svg_inline(scale=3, title=url)}

    return _parcel_page(request, parcel_id, "parcel_print.html", qr_code)


def _words() -> dict[str, dict[str, str]]:
    return {
        "title": TITLE_EVENTS,
        "tax": TAX_STATUS,
        "lien": LIEN_STATUS,
        "purpose": PURPOSES,
        "round": ROUND_KINDS,
    }


@router.get("/fund", response_class=HTMLResponse)
def fund(request: Request) -> HTMLResponse:
    """Rounds with budgets and awards, payouts per month and per purpose, as charts and tables."""
    with snapshot(gateway_of(request).engine) as conn:
        at = queries.as_of(conn)
        rounds = city_queries.rounds(conn)
        paid = list(city_queries.payouts(conn))
    kinds = list(PURPOSES)
    per_month: dict[str, list[int]] = defaultdict(lambda: [0] * len(kinds))
    per_purpose = dict.fromkeys(kinds, 0)
    for p in paid:
        month = p["time_utc"][:7]
        index = kinds.index(p["kind"]) if p["kind"] in kinds else len(kinds) - 1
        per_month[month][index] += int(p["amount"])
        per_purpose[kinds[index]] += int(p["amount"])
    months = sorted(per_month)
    monthly = charts.stacked([(m, per_month[m]) for m in months])
    round_chart = charts.horizontal(
        [(r["name"] or f"#{r['round_id']}", [int(r["budget"]), int(r["awarded"]), int(r["paid"])])
         for r in rounds]
    )  # fmt: skip
    return render(request, "fund.html", as_of=at, rounds=rounds, months=months,
                  per_month=per_month, per_purpose=per_purpose, kinds=kinds, monthly=monthly,
                  round_chart=round_chart, payouts=paid[-50:], words=_words())  # fmt: skip


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request) -> HTMLResponse:
    """For the operators: activity per day, the index's lag, and the chain's health (head, last
    block time, signers and the last block each sealed) as the node answers, cached a few
    seconds."""
    gw = gateway_of(request)
    try:
        state = status(gw.engine)
    except GatewayError:
        return refusal(request, PortalError(503, N_("The gateway has not indexed anything yet.")))
    with snapshot(gw.engine) as conn:
        at = queries.as_of(conn)
        days = city_queries.activity(conn, at.block_time, DASHBOARD_DAYS)
        totals = city_queries.stats(conn, at.block_time, 1)["counts"]
    kinds = list(ACTIVITY)
    chart = charts.stacked([(d["date"][5:], [d[k] for k in kinds]) for d in days])
    health = chain_health_of(request.app)
    chain = health.read() if health is not None else None
    return render(request, "dashboard.html", state=state, as_of=at, days=days, kinds=kinds,
                  names=ACTIVITY, chart=chart, totals=totals, chain=chain,
                  now=int(time.time()))  # fmt: skip
