"""What an agency types about records, checked before anything is sent: issuer roles, schema
references, record data (NAME=VALUE fields or raw hex against the schema's layout), validity
and dispute-stay durations, points in time, record ids, signer nonces and the signed requests
`sign-issue` writes. Each function raises ValueError with one sentence naming the problem (the
CLI adds which option it was)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from civic_ledger.access.roles import role
from civic_ledger.core.encoding import UINT64_MAX, to_bytes32
from civic_ledger.identity import records as rec_client


def uint64(value: int, what: str) -> int:
    """`value` if a uint64 can hold it (times, schema and role ids)."""
    if not 0 <= value <= UINT64_MAX:
        raise ValueError(f"{what} {value} is out of range (at most {UINT64_MAX})")
    return value


def role_ref(text: str) -> int:
    """An issuer role given by id or by name (e.g. TAX_RECORD_ISSUER)."""
    return uint64(int(text), "role id") if text.isascii() and text.isdigit() else role(text).id


def schema_ref(registry: Any, value: str) -> int:
    """The id of a schema given by name or id."""
    value = value.strip()
    if value.isascii() and value.isdigit():
        uint64(int(value), "schema id")
    return rec_client.resolve_schema(registry, value)


def parse_fields(values: tuple[str, ...]) -> dict[str, str]:
    """`NAME=VALUE` items -> {name: value} (the value as typed, the name without blanks)."""
    fields: dict[str, str] = {}
    for item in values:
        if "=" not in item:
            raise ValueError(f"{item!r} is not NAME=VALUE")
        name, value = item.split("=", 1)
        fields[name.strip()] = value
    return fields


def record_data(layout: str, fields: tuple[str, ...], data_hex: str | None) -> bytes:
    """A record's data: raw 0x-hex checked against the schema's layout, or NAME=VALUE fields
    encoded by it (nothing for a schema without a layout)."""
    if data_hex:
        data = bytes.fromhex(data_hex.removeprefix("0x"))
        rec_client.check_data(layout, data)
        return data
    if not fields and not layout:
        return b""
    return rec_client.encode_data(layout, parse_fields(fields))


def validity(text: str) -> int:
    """A schema's default validity in seconds (0 = forever), at most 100 years."""
    seconds = rec_client.parse_duration(text)
    if seconds > rec_client.MAX_DEFAULT_VALIDITY:
        raise ValueError(f"{text!r} is longer than 100 years (the registry's maximum)")
    return seconds


def dispute_stay(text: str) -> int:
    """How long a dispute suspends a record, in seconds, at most 90 days."""
    seconds = rec_client.parse_duration(text)
    if seconds > rec_client.MAX_DISPUTE_STAY:
        raise ValueError(f"{text!r} is longer than 90 days (the registry's maximum stay)")
    return seconds


def read_signed(path: Path) -> rec_client.SignedIssue:
    """A signed request written by `sign-issue`; any defect names the file."""
    try:
        return rec_client.SignedIssue.from_json(path.read_text(encoding="utf-8"))
    except Exception as exc:
        detail = f"missing field {exc}" if isinstance(exc, KeyError) else " ".join(str(exc).split())
        raise ValueError(
            f"{path} is not a signed record request from `sign-issue` ({detail[:120]})"
        ) from None


def moment(text: str, now: int, what: str) -> int:
    """A point in time (+30d, 2027-12-31, ISO date-time or unix time) as a uint64."""
    return uint64(rec_client.parse_expiry(text, now), what)


def record_ids(values: tuple[str, ...], most: int) -> list[bytes]:
    """Distinct record ids (0x + 64 hex digits each), at most `most` of them."""
    ids = [to_bytes32(value) for value in values]
    if len(ids) > most:
        raise ValueError(f"{len(ids)} record ids; at most {most} per transaction")
    if len(set(ids)) != len(ids):
        raise ValueError("a record id is given twice")
    return ids


def schema_refs(registry: Any, values: tuple[str, ...], most: int) -> list[int]:
    """Distinct schema ids from names or ids, at most `most` of them."""
    if len(values) > most:
        raise ValueError(f"at most {most} schemas")
    ids = [schema_ref(registry, value) for value in values]
    if len(set(ids)) != len(ids):
        raise ValueError("a schema is given twice")
    return ids


def nonce_target(current: int, through: int) -> int:
    """The signer nonce that cancels every signed request up to `through` (inclusive), given
    the next unused nonce `current`."""
    if through < current:
        raise ValueError(
            f"nonce {through} is already used or cancelled (your next nonce is {current})"
        )
    if through + 1 - current > rec_client.MAX_NONCE_STEP:
        raise ValueError(
            f"at most {rec_client.MAX_NONCE_STEP} nonces at a time (your next nonce is {current})"
        )
    return through + 1
