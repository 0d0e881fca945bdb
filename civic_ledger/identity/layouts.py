"""Record data layouts: a schema's field layout ("uint16 year,bool compliant") parsed and
checked as RecordRegistry.registerSchema checks it, and record data encoded, checked and decoded
with it (static types only, one 32-byte word per field: no free text on chain)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode

MAX_FIELDS = 16  # RecordRegistry.MAX_FIELDS
MAX_LAYOUT_LENGTH = 256  # RecordRegistry.MAX_STRING_LENGTH

_STATIC_TYPE = re.compile(r"(u?int)([1-9][0-9]{0,2})|bool|bytes([1-9][0-9]?)")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _static_type_ok(abi_type: str) -> bool:
    """uint8..uint256 / int8..int256 in steps of 8, bool, bytes1..bytes32 (what the registry
    accepts: one 32-byte word per field, nothing free-text)."""
    match = _STATIC_TYPE.fullmatch(abi_type)
    if not match:
        return False
    if match.group(2):
        bits = int(match.group(2))
        return bits % 8 == 0 and 8 <= bits <= 256
    if match.group(3):
        return 1 <= int(match.group(3)) <= 32
    return True


def parse_layout(layout: str) -> list[tuple[str, str]]:
    """`"uint16 year,bool compliant"` -> `[("uint16", "year"), ("bool", "compliant")]`, checked
    as RecordRegistry.registerSchema checks it: static types only (uint8..uint256,
    int8..int256, bool, bytes1..bytes32), identifier names, distinct, at most 16 fields;
    fields separated by commas, spaces allowed around them. Raises ValueError naming the
    problem."""
    if len(layout.encode("utf-8")) > MAX_LAYOUT_LENGTH:
        raise ValueError(f"a layout is at most {MAX_LAYOUT_LENGTH} bytes")
    if not layout.strip(" "):
        if layout:
            raise ValueError("a layout holding only spaces is not empty: give none")
        return []
    fields: list[tuple[str, str]] = []
    for part in layout.split(","):
        pieces = part.strip(" ").split(" ")
        pieces = [p for p in pieces if p]
        if len(pieces) != 2 or "\t" in part or "\n" in part:
            raise ValueError(f"layout field {part.strip()!r} is not '<type> <name>'")
        abi_type, name = pieces
        if not _static_type_ok(abi_type):
            raise ValueError(
                f"{abi_type!r} is not a field type the registry accepts: uint8..uint256, "
                "int8..int256 (multiples of 8), bool or bytes1..bytes32 (no string, bytes, "
                "address or arrays: no free text on chain)"
            )
        if not _IDENTIFIER.fullmatch(name):
            raise ValueError(f"field name {name!r} is not an identifier (letters, digits, _)")
        if name in {n for _, n in fields}:
            raise ValueError(f"field {name!r} appears twice")
        fields.append((abi_type, name))
    if len(fields) > MAX_FIELDS:
        raise ValueError(f"a layout has at most {MAX_FIELDS} fields ({len(fields)} given)")
    return fields


def _convert(abi_type: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = value.strip()
    if abi_type.startswith(("uint", "int")):
        return int(text, 0)
    if abi_type == "bool":
        lowered = text.lower()
        if lowered in {"true", "yes", "1"}:
            return True
        if lowered in {"false", "no", "0"}:
            return False
        raise ValueError(f"{value!r} is not a boolean (true/false)")
    if abi_type.startswith("bytes"):
        raw = bytes.fromhex(text.removeprefix("0x"))
        if len(raw) > int(abi_type[5:]):
            raise ValueError(f"{value!r} is longer than {abi_type}")
        return raw
    return text


def encode_data(layout: str, values: Mapping[str, Any]) -> bytes:
    """ABI-encode `values` (name -> value; strings are converted by type) in layout order.
    Every field of the layout must be given, and nothing else."""
    fields = parse_layout(layout)
    names = [name for _, name in fields]
    missing = [name for name in names if name not in values]
    unknown = [name for name in values if name not in names]
    if missing or unknown:
        raise ValueError(
            f"record data for layout '{layout}': missing {missing or 'none'}, "
            f"unknown {unknown or 'none'}"
        )
    return abi_encode([t for t, _ in fields], [_convert(t, values[name]) for t, name in fields])


def check_data(layout: str, data: bytes) -> None:
    """Refuse (ValueError) data the registry would refuse for this layout: anything but one
    32-byte word per field, each in range for its type (RecordDataMismatch on chain)."""
    fields = parse_layout(layout)
    if len(data) != 32 * len(fields):
        raise ValueError(
            f"record data is {len(data)} bytes; layout '{layout}' takes {32 * len(fields)} "
            f"({len(fields)} field(s) of 32 bytes)"
        )
    for index, (abi_type, name) in enumerate(fields):
        word = int.from_bytes(data[32 * index : 32 * index + 32], "big")
        if abi_type == "bool":
            ok = word <= 1
        elif abi_type.startswith("uint"):
            ok = word < 2 ** int(abi_type[4:])
        elif abi_type.startswith("int"):
            bits = int(abi_type[3:])
            high = word >> (bits - 1)
            ok = high in (0, (2 ** (257 - bits)) - 1)
        else:
            size = int(abi_type[5:])
            ok = word % (2 ** (8 * (32 - size))) == 0
        if not ok:
            raise ValueError(f"record data field {index} ({abi_type} {name}) is out of range")


def decode_data(layout: str, data: bytes) -> dict[str, Any]:
    """Decode record data with its schema's layout (empty dict for an empty layout or data)."""
    fields = parse_layout(layout)
    if not fields or not data:
        return {}
    values = abi_decode([t for t, _ in fields], bytes(data))
    return {name: value for (_, name), value in zip(fields, values, strict=True)}
