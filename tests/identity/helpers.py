"""Constants and small helpers shared by the identity-domain tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import ape
from eth_utils import keccak

from civic_ledger.access.roles import BY_NAME
from civic_ledger.core.revert import decode_revert, project_registry, raw_revert_data

PERSON, ENTERPRISE, AGENCY = 1, 2, 3
ACTIVE, SUSPENDED, CLOSED = 1, 2, 3
DAY = 24 * 60 * 60
YEAR = 365 * DAY
ZERO32 = b"\x00" * 32


def subject_for(label: str) -> bytes:
    """A stand-in salted commitment for a named test party."""
    return keccak(b"identity-test-salt:" + label.encode())


def evidence(label: str) -> bytes:
    return keccak(text=f"evidence:{label}")


def blank_data(records: Any, schema_id: int) -> bytes:
    """Valid data for any schema: one zero word per field of its layout."""
    return b"\x00" * 32 * int(records.getSchema(schema_id).fieldCount)


def word(value: int) -> bytes:
    """One ABI word (a uintN field's data)."""
    return value.to_bytes(32, "big")


def role_id(name: str) -> int:
    return BY_NAME[name].id


@dataclass(frozen=True)
class Party:
    """A registered identity and the wallet controlling it."""

    name: str
    subject: bytes
    account: Any


@dataclass(frozen=True)
class Schemas:
    """Ids of the standard test schemas."""

    tax_ok: int  # tax bureau, non-adverse, revocable, 1 year default ("uint16 year")
    tax_penalty: int  # tax bureau, adverse, revocable, 3 years ("uint256 amount")
    licence: int  # market regulator, non-adverse, revocable, never expires ("uint64 licenceNo")
    judgment: int  # court, adverse, NOT revocable, 5 years (no data)


@contextmanager
def reverts(error: str, **inputs: Any) -> Iterator[Any]:
    """Expect a revert with custom error `error` (by name) and, optionally, these arguments
    (stricter than `ape.reverts(contract.Error)`, and usable for errors an older ABI lacks)."""
    with ape.reverts() as info:
        yield info
    actual, arguments = decoded_error(info.value)
    assert actual == error, f"expected {error}, got {actual}: {info.value}"
    for name, expected in inputs.items():
        value = arguments[name]
        if isinstance(expected, str) and isinstance(value, str):
            value, expected = value.lower(), expected.lower()
        assert value == expected, f"{error}.{name} = {value!r}, expected {expected!r}"


def decoded_error(exc: Any) -> tuple[str, dict[str, Any]]:
    """(error name, arguments) of a revert, decoded against the project's ABIs when Ape left
    it undecoded."""
    if isinstance(getattr(exc, "inputs", None), dict):
        return type(exc).__name__, exc.inputs
    data = raw_revert_data(exc)
    if data is not None and (decoded := decode_revert(data, project_registry())):
        definition, arguments = decoded
        return definition.name, arguments
    return type(exc).__name__, {}
