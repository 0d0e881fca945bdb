"""Encodings and ids shared by every domain: bytes32 values, parcel ids, timestamps.

One rule each, so a parcel id computed by the bulk import, a clerk's command and an outside
integrator (docs/integration.md) is the same number.
"""

from __future__ import annotations

import datetime as dt
import re

from eth_utils import keccak

ZERO32 = b"\x00" * 32
NEVER = 2**64 - 1  # the contracts' "never expires" uint64
HEX32 = re.compile(r"^0x[0-9a-fA-F]{64}$")


def to_bytes32(value: bytes | str | None, *, empty_is_zero: bool = False) -> bytes:
    """bytes32 from raw bytes or a 0x-hex string of exactly 32 bytes. With `empty_is_zero`,
    None and "" stand for the zero value (an optional field)."""
    if value is None or value == "":
        if empty_is_zero:
            return ZERO32
        raise ValueError("expected 0x followed by 64 hex digits, got nothing")
    if isinstance(value, str):
        if not HEX32.match(value):
            raise ValueError(f"expected 0x followed by 64 hex digits, got {value!r}")
        return bytes.fromhex(value[2:])
    raw = bytes(value)
    if len(raw) != 32:
        raise ValueError(f"expected 32 bytes, got {len(raw)}")
    return raw


def hex32(value: bytes) -> str:
    """Raw bytes (a bytes32 value) as 0x + lower-case hex."""
    return "0x" + bytes(value).hex()


def parcel_id_of(code: str) -> int:
    """The parcel id of a cadastral code: uint256(keccak256(utf8(code)))."""
    return int.from_bytes(keccak(text=code), "big")


def format_time(timestamp: int, *, seconds: bool = True) -> str:
    """A chain timestamp in UTC for tables and messages ("-" for 0, "never" for the max
    uint64); to the minute with `seconds=False`."""
    if timestamp == 0:
        return "-"
    if timestamp >= NEVER:
        return "never"
    moment = dt.datetime.fromtimestamp(timestamp, dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC")
