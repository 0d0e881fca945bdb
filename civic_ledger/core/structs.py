"""Plain views of the structs contracts return: a frozen dataclass filled from a struct field by
field, so a view reads like the Solidity struct it mirrors and is converted one way everywhere."""

from __future__ import annotations

import dataclasses
import functools
import typing
from enum import IntEnum
from typing import Any, TypeVar

View = TypeVar("View")

_SIMPLE = (bool, int, bytes, str)


def member_name(field_name: str) -> str:
    """The struct member a view field reads: its name in camelCase ("issued_at" -> "issuedAt")."""
    head, *rest = field_name.split("_")
    return head + "".join(part.title() for part in rest)


@functools.cache
def _hints(view: type) -> dict[str, Any]:
    return typing.get_type_hints(view)


def from_struct(view: type[View], struct: Any, **given: Any) -> View:
    """A `view` dataclass from `struct`: the fields in `given` as they are, every other field
    read from the struct member of the same name in camelCase and converted by its annotation
    (bool, int, bytes, str, or an IntEnum mirror). TypeError for a field it cannot convert."""
    hints = _hints(view)
    values = dict(given)
    for item in dataclasses.fields(view):  # type: ignore[arg-type]
        if item.name in values:
            continue
        kind = hints[item.name]
        raw = getattr(struct, member_name(item.name))
        if isinstance(kind, type) and issubclass(kind, IntEnum):
            values[item.name] = kind(int(raw))
        elif kind in _SIMPLE:
            values[item.name] = kind(raw)
        else:
            raise TypeError(f"{view.__name__}.{item.name} ({kind}) must be given")
    return view(**values)
