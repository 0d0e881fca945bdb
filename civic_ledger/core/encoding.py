"""Encodings and ids shared by every domain: bytes32 values, parcel ids and cadastral codes,
timestamps, and how a bad value is quoted in an error.

One rule each, so a parcel id computed by the bulk import, a clerk's command and an outside
integrator (docs/integration.md) is the same number.
"""

from __future__ import annotations

import datetime as dt
import re

from eth_utils import keccak

ZERO32 = b"\x00" * 32
ZERO_ADDRESS = "0x" + "00" * 20
UINT64_MAX = 2**64 - 1
NEVER = UINT64_MAX  # the contracts' "never expires" uint64
HEX32 = re.compile(r"^0x[0-9a-fA-F]{64}$")
ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")  # any case: the EIP-55 checksum is checked apart
UINT256_MAX = 2**256 - 1
MAX_CODE_LENGTH = 64  # characters of a cadastral code
SHOWN_VALUE = 40  # characters of a bad value quoted in an error

_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
DIGITS = re.compile(r"[0-9]+")  # ASCII digits (fullmatch): int() also takes "1_000", "١٢", "+5"


def shown(value: str, limit: int = SHOWN_VALUE) -> str:
    """A bad value for an error message: quoted, and cut (saying how long it was) if long."""
    if len(value) > limit:
        return repr(value[: limit - 10]) + f"… ({len(value)} characters)"
    return repr(value)


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


def check_code(value: str) -> str:
    """A cadastral code: 1-64 ASCII letters, digits or ._/- (starting with a letter or digit).
    Raises ValueError naming the problem; returns the code without surrounding blanks."""
    code = value.strip()
    if not code:
        raise ValueError("empty cadastral_code")
    if len(code) > MAX_CODE_LENGTH or not _CODE.fullmatch(code):
        raise ValueError(
            f"cadastral_code {shown(code)} must be 1-{MAX_CODE_LENGTH} letters, digits or ._/-"
        )
    return code


def parse_parcel(value: str) -> int:
    """A parcel given as a decimal id, a 0x-hex id or a cadastral code (the clerk's argument and
    the tax roll's column alike); ValueError naming the problem."""
    value = value.strip()
    if not value:
        raise ValueError("empty parcel")
    if DIGITS.fullmatch(value):
        if len(value) > 80 or int(value) > UINT256_MAX:
            raise ValueError(f"parcel id {shown(value)} does not fit in 256 bits")
        return int(value)
    if HEX32.fullmatch(value):
        return int(value, 16)
    try:
        return parcel_id_of(check_code(value))
    except ValueError as exc:
        raise ValueError(str(exc).replace("cadastral_code", "parcel", 1)) from None


def format_time(timestamp: int, *, seconds: bool = True) -> str:
    """A chain timestamp in UTC for tables and messages ("-" for 0, "never" for the max
    uint64); to the minute with `seconds=False`."""
    if timestamp == 0:
        return "-"
    if timestamp >= NEVER:
        return "never"
    moment = dt.datetime.fromtimestamp(timestamp, dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC")
