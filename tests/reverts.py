"""Expecting a contract's custom error by name and arguments, for every domain's tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import ape

from civic_ledger.core.revert import decode_revert, project_registry, raw_revert_data


@contextmanager
def reverts(error: str, **inputs: Any) -> Iterator[Any]:
    """Expect a revert with custom error `error` (by name) and, optionally, these arguments.

    The suite's one way to expect a custom error (tests/test_conventions.py): stricter than
    `ape.reverts(contract.Error)`, which any revert Ape left undecoded satisfies (Ape 0.8 leaves
    undecoded the errors whose arguments eth-tester prints as b"..."), and usable for errors an
    older ABI lacks."""
    with ape.reverts() as info:
        yield info
    actual, arguments = decoded_error(info.value)
    assert actual == error, f"expected {error}, got {actual}: {info.value}"
    for name, expected in inputs.items():
        assert name in arguments, f"{error} has no argument {name!r} ({arguments})"
        value = arguments[name]
        if isinstance(expected, bytes):
            value = bytes(value)
        elif isinstance(expected, str) and isinstance(value, str):
            value, expected = value.lower(), expected.lower()
        assert value == expected, f"{error}.{name} = {value!r}, expected {expected!r}"


def decoded_error(exc: Any) -> tuple[str, dict[str, Any]]:
    """(error name, arguments) of a revert. Ape sometimes leaves a custom error undecoded (a
    plain ContractLogicError carrying the raw bytes): decode those against the project's ABIs."""
    if isinstance(getattr(exc, "inputs", None), dict):
        return type(exc).__name__, exc.inputs
    data = raw_revert_data(exc)
    if data is not None and (decoded := decode_revert(data, project_registry())):
        definition, arguments = decoded
        return definition.name, arguments
    return type(exc).__name__, {}


def refused(what: str, error: str, call: Callable[[], Any], **inputs: Any) -> None:
    """`call()` (described by `what`, e.g. "pay while paused") must revert with `error` and
    these arguments; a failure starts with `what`."""
    try:
        with reverts(error, **inputs):
            call()
    except AssertionError as exc:
        raise AssertionError(f"{what}: {exc}") from None
