"""Checking an emitted event's fields by name, for every domain's tests."""

from __future__ import annotations

from typing import Any


def assert_event(event: Any, **expected: Any) -> None:
    """Assert that `event` (a log decoded by Ape) carries `expected`, field by field (the
    fields not named are not checked); a failure names every field that differs."""
    actual = {name: getattr(event, name) for name in expected}
    wrong = {
        name: f"{actual[name]!r}, expected {value!r}"
        for name, value in expected.items()
        if actual[name] != value
    }
    assert not wrong, f"{getattr(event, 'event_name', 'event')}: {wrong}"
