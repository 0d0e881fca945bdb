"""The one calling convention of the domain clients: how a client sends a contract call with a
description, and how it reads what the receipt emitted.

Every transaction function of `civic_ledger.<domain>` takes the signing account as `sender`
and a `transact` keyword: a function called as `transact(label, method, *args, sender=...)`
that sends `method(*args, sender=...)` and returns the receipt. The default, `direct`, just
sends; the CLI passes its `send`, which also prints and audits `label`. A client returns what
the transaction created or decided (an id, a decision, an amount), else the receipt.
"""

from __future__ import annotations

from typing import Any, Protocol


class Transact(Protocol):
    """Sends `method(*args, sender=sender, **kwargs)`, described by `label`; returns the
    receipt."""

    def __call__(self, label: str, method: Any, *args: Any, sender: Any, **kwargs: Any) -> Any: ...


def direct(label: str, method: Any, *args: Any, sender: Any, **kwargs: Any) -> Any:
    """Default `transact`: just send the transaction."""
    return method(*args, sender=sender, **kwargs)


def events(contract: Any, name: str, receipt: Any) -> list[Any]:
    """The `name` events `contract` emitted in `receipt`, in log order."""
    return list(getattr(contract, name).from_receipt(receipt))


def first_event(contract: Any, name: str, receipt: Any) -> Any | None:
    """The first `name` event of `contract` in `receipt`, or None."""
    found = events(contract, name, receipt)
    return found[0] if found else None


def required_event(contract: Any, name: str, receipt: Any) -> Any:
    """The first `name` event of `contract` in `receipt` (RuntimeError when it emitted none)."""
    event = first_event(contract, name, receipt)
    if event is None:
        raise RuntimeError(f"transaction {receipt.txn_hash} emitted no {name} event")
    return event
