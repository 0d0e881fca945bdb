"""What an issuer asks the RecordRegistry to record (`RecordRequest`, its ABI tuple) and the
expiry an issuer types for it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from civic_ledger.core.encoding import ZERO32, to_bytes32
from civic_ledger.core.times import end_of_day, iso_timestamp, parse_duration


@dataclass(frozen=True)
class RecordRequest:
    """What an issuer asks the registry to record (RecordRegistry.RecordInput)."""

    schema_id: int
    subject: bytes
    evidence_hash: bytes = ZERO32
    data: bytes = b""
    expires_at: int = 0
    supersedes: bytes = ZERO32

    def as_tuple(self) -> tuple[int, bytes, bytes, bytes, int, bytes]:
        """The ABI tuple `(schemaId, subject, evidenceHash, data, expiresAt, supersedes)`."""
        return (
            self.schema_id,
            to_bytes32(self.subject),
            to_bytes32(self.evidence_hash),
            bytes(self.data),
            self.expires_at,
            to_bytes32(self.supersedes),
        )


def parse_expiry(text: str | None, now: int) -> int:
    """Unix time from "+30d" (relative to `now`), "2027-12-31" (end of that day, UTC), an
    ISO date-time, or a unix timestamp. None/"" -> 0 (the schema's default validity)."""
    if not text:
        return 0
    value = text.strip()
    if value.startswith("+"):
        return now + parse_duration(value[1:])
    if value.isdigit():
        return int(value)
    try:
        if len(value) == 10:
            return end_of_day(dt.date.fromisoformat(value))
        return iso_timestamp(value)
    except ValueError:
        raise ValueError(
            f"{text!r} is not an expiry (+30d, 2027-12-31, 2027-12-31T12:00:00Z or unix time)"
        ) from None
