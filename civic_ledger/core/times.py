"""Points in time and durations as people type them: the pieces every domain's parser shares
(`format_time` in `civic_ledger.core.encoding` writes them back)."""

from __future__ import annotations

import datetime as dt

#: Seconds in a day.
DAY = 24 * 60 * 60
#: Seconds per duration unit: s, m, h, d, w, and y (a year is 365 days).
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": DAY, "w": 7 * DAY, "y": 365 * DAY}


def parse_duration(text: str) -> int:
    """Seconds from "90", "12h", "30d", "2w", "3y" (a year is 365 days); "0" means none."""
    value = text.strip().lower()
    if value.isdigit():
        return int(value)
    number, unit = value[:-1], value[-1:]
    if unit not in UNIT_SECONDS or not number.isdigit():
        raise ValueError(f"{text!r} is not a duration (e.g. 3600, 12h, 30d, 2w, 3y)")
    return int(number) * UNIT_SECONDS[unit]


def end_of_day(day: dt.date) -> int:
    """Unix time of the last second of `day` (23:59:59 UTC): a date given as a deadline."""
    return int(dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.UTC).timestamp())


#: How the project writes a moment in UTC: journals, manifests, the audit log, the API.
ISO_UTC = "%Y-%m-%dT%H:%M:%SZ"


def iso_utc(timestamp: float | None = None) -> str:
    """Unix time `timestamp` (now when None) as ISO 8601 UTC to the second: 2026-11-30T14:03:07Z."""
    moment = (
        dt.datetime.now(dt.UTC)
        if timestamp is None
        else dt.datetime.fromtimestamp(timestamp, dt.UTC)
    )
    return moment.strftime(ISO_UTC)


def iso_timestamp(value: str) -> int:
    """Unix time of an ISO date-time, UTC unless it says otherwise (ValueError if not one)."""
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp())
