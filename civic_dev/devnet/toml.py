"""Minimal TOML writer for the flat tables geth and Besu configs need (strings, ints, bools,
lists of those). Reading is `tomllib`'s job; nothing here parses."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

Scalar = str | int | bool


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"unsupported TOML value {value!r}")


def dumps(tables: Mapping[str, Mapping[str, Any]], comment: str = "") -> str:
    """`{"Node.P2P": {"StaticNodes": [...]}}` -> TOML text. Key "" holds top-level keys."""
    lines = [f"# {line}" if line else "#" for line in comment.splitlines()]
    for name, items in tables.items():
        if lines:
            lines.append("")
        if name:
            lines.append(f"[{name}]")
        lines.extend(f"{key} = {_value(val)}" for key, val in items.items())
    return "\n".join(lines) + "\n"
