"""The read API's public questions about the city, answered from the index (SQL only, no
HTTP): a parcel with its chain of title, open liens and tax years; the fund's rounds,
applications and payouts (public spending); counts and daily activity.

Owners, buyers, applicants and lien holders appear as identity commitments only; nothing here
lists subjects."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import BigInteger, Connection, cast, func, select

from civic_ledger.core.times import DAY
from civic_ledger.gateway import schema
from civic_ledger.gateway.queries import columns, utc

OPEN_LIENS = ("proposed", "recorded")
ROUND_KINDS = ("rent", "research", "project")  # IGrantFund.RoundKind, in enum order
PAYOUT_KINDS = ("milestone", "rent", "clawback")


def parcel_hex(parcel_id: str | int) -> str:
    """A parcel id (uint256) as 0x + 64 hex digits, the form messages use."""
    return f"0x{int(parcel_id):064x}"


# ------------------------------------------------------------------ property


def tax_status(row: Any, now: int) -> str:
    """`PropertyTax.statusOf` at time `now`: due, overdue, paid or voided."""
    if row["status"] == "assessed":
        return "overdue" if row["due_date"] < now else "due"
    return str(row["status"])


def parcel(conn: Connection, parcel_id: int, now: int) -> dict[str, Any] | None:
    """One parcel: its registration, chain of title, open liens and tax years; None if the
    index does not know it."""
    p = schema.parcels
    key = str(parcel_id)
    row = conn.execute(select(p).where(p.c.parcel_id == key)).mappings().first()
    if row is None:
        return None
    h, li, t = schema.title_history, schema.liens, schema.tax_years
    history = conn.execute(
        select(h).where(h.c.parcel_id == key).order_by(h.c.block, h.c.log_index)
    ).mappings()
    liens = conn.execute(
        select(li)
        .where(li.c.parcel_id == key, li.c.status.in_(OPEN_LIENS))
        .order_by(cast(li.c.lien_id, BigInteger))
    ).mappings()
    years = conn.execute(select(t).where(t.c.parcel_id == key).order_by(t.c.year)).mappings()
    taxes = [
        {
            **columns(y, "year", "amount", "due_date"),
            "status": tax_status(y, now),
            "overdue": y["status"] == "assessed" and y["due_date"] < now,
            "paid_at": y["paid_at"],
        }
        for y in years
    ]
    return {
        "parcel_id": parcel_hex(key),
        "owner": row["owner"],
        "active": not row["retired"],
        **columns(row, "data_hash", "area", "land_use", "registered_at"),
        "title_history": [
            {
                "time": e["time"],
                "time_utc": utc(e["time"]),
                **columns(e, "tx_hash", "event", "owner"),
                "detail": _detail(e["detail"]),
            }
            for e in history
        ],
        "open_liens": [
            {
                "lien_id": int(x["lien_id"]),
                **columns(x, "holder", "amount", "status"),
                "by_order": bool(x["by_order"]),
            }
            for x in liens
        ],
        "tax_years": taxes,
        "tax_overdue": any(x["overdue"] for x in taxes),
    }


def _detail(text: str) -> dict[str, Any]:
    detail = json.loads(text or "{}")
    for name in ("children", "merged_into"):
        if name in detail:
            value = detail[name]
            detail[name] = (
                [parcel_hex(c) for c in value] if isinstance(value, list) else parcel_hex(value)
            )
    if detail.get("sale_id") is not None:
        detail["sale_id"] = int(detail["sale_id"])
    return detail


# ------------------------------------------------------------------ fund


def _round_json(row: Any) -> dict[str, Any]:
    kind = row["kind"]
    return {
        "round_id": int(row["round_id"]),
        "name": row["name"],
        "kind": ROUND_KINDS[kind] if 0 <= kind < len(ROUND_KINDS) else str(kind),
        "policy_id": int(row["policy_id"]),
        **columns(row, "budget", "funded", "awarded", "paid", "returned"),
        **columns(row, "opens_at", "closes_at", "decision_deadline"),
        "closed": bool(row["closed"]),
    }


def rounds(conn: Connection) -> list[dict[str, Any]]:
    r = schema.rounds
    rows = conn.execute(select(r).order_by(cast(r.c.round_id, BigInteger))).mappings()
    return [_round_json(row) for row in rows]


def round_detail(conn: Connection, round_id: int) -> dict[str, Any] | None:
    r, a = schema.rounds, schema.applications
    row = conn.execute(select(r).where(r.c.round_id == str(round_id))).mappings().first()
    if row is None:
        return None
    apps = conn.execute(
        select(a).where(a.c.round_id == str(round_id)).order_by(cast(a.c.app_id, BigInteger))
    ).mappings()
    return {
        **_round_json(row),
        "applications": [
            {
                "app_id": int(x["app_id"]),
                **columns(x, "subject", "amount", "status", "paid"),
            }
            for x in apps
        ],
    }


def month_range(month: str) -> tuple[int, int]:
    """[start, end) of a calendar month "YYYY-MM" in UTC; ValueError for anything else."""
    try:
        start = dt.datetime.strptime(month, "%Y-%m").replace(tzinfo=dt.UTC)
    except ValueError:
        raise ValueError(f"month {month!r} is not YYYY-MM") from None
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return int(start.timestamp()), int(end.timestamp())


PAYOUT_COLUMNS = ("time", "time_utc", "round_id", "app_id", "kind", "amount", "tx_hash")


def payouts(
    conn: Connection, *, month: str | None = None, kind: str | None = None, limit: int | None = None
) -> Iterator[dict[str, Any]]:
    """Payments out of the fund, oldest first: when, which round and application, the purpose
    (milestone, rent, or a clawback), the amount and the transaction. No payee: the payment's
    recipient is an enterprise's wallet, and the application names its commitment."""
    p = schema.payouts
    query = select(p).order_by(p.c.block, p.c.log_index)
    if month is not None:
        start, end = month_range(month)
        query = query.where(p.c.time >= start, p.c.time < end)
    if kind is not None:
        query = query.where(p.c.kind == kind)
    if limit is not None:
        query = query.limit(limit)
    for row in conn.execute(query).mappings():
        yield {
            "time": row["time"],
            "time_utc": utc(row["time"]),
            "round_id": int(row["round_id"]) if row["round_id"] else None,
            "app_id": int(row["app_id"]),
            **columns(row, "kind", "amount", "tx_hash"),
        }


# ------------------------------------------------------------------ statistics

COUNTED = {
    "identity": (schema.identities, schema.schemas, schema.records, schema.disputes),
    "property": (schema.parcels, schema.sales, schema.liens, schema.tax_years),
    "fund": (schema.rounds, schema.applications, schema.payouts),
    "data": (schema.data_resources, schema.data_requests, schema.receipt_batches),
}


def stats(conn: Connection, now: int, days: int) -> dict[str, Any]:
    """Rows per table of each domain, events in total, and events per UTC day for the `days`
    days up to `now` (the indexed head's time), oldest first, days without events included."""
    counts = {
        domain: {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar() or 0 for t in tables
        }
        for domain, tables in COUNTED.items()
    }
    e = schema.events
    today = now // DAY
    first = today - days + 1
    day = e.c.time // DAY  # integer division on SQLite and PostgreSQL alike
    rows = conn.execute(
        select(day.label("day"), func.count()).where(e.c.time >= first * DAY).group_by(day)
    ).all()
    per_day = {int(d): n for d, n in rows}
    total = conn.execute(select(schema.cursor.c.events)).scalar() or 0
    return {
        "counts": counts,
        "events": total,
        "events_per_day": [
            {
                "date": dt.datetime.fromtimestamp(d * DAY, dt.UTC).strftime("%Y-%m-%d"),
                "events": per_day.get(d, 0),
            }
            for d in range(first, today + 1)
        ],
    }


#: The activity the agency dashboard counts per day: kind -> the events that are one of it.
ACTIVITY = {
    "registrations": ("IdentityRegistered",),
    "records": ("RecordIssued",),
    "disputes": ("RecordDisputed", "ExemptionDisputed"),
    "sales": ("SaleApproved",),
    "awards": ("AwardMade",),
    "data_grants": ("GrantIssued",),
}


def activity(conn: Connection, now: int, days: int) -> list[dict[str, Any]]:
    """Per UTC day, for the `days` days up to `now` (oldest first, quiet days included), how
    many events of each `ACTIVITY` kind the index holds."""
    e = schema.events
    today = now // DAY
    first = today - days + 1
    day = e.c.time // DAY
    names = [name for events in ACTIVITY.values() for name in events]
    rows = conn.execute(
        select(day.label("day"), e.c.event, func.count())
        .where(e.c.time >= first * DAY, e.c.event.in_(names))
        .group_by(day, e.c.event)
    ).all()
    kind_of = {name: kind for kind, events in ACTIVITY.items() for name in events}
    counts: dict[int, dict[str, int]] = {}
    for d, event, n in rows:
        per_kind = counts.setdefault(int(d), dict.fromkeys(ACTIVITY, 0))
        per_kind[kind_of[event]] += n
    return [
        {
            "date": dt.datetime.fromtimestamp(d * DAY, dt.UTC).strftime("%Y-%m-%d"),
            **counts.get(d, dict.fromkeys(ACTIVITY, 0)),
        }
        for d in range(first, today + 1)
    ]
