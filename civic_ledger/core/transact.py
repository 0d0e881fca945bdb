"""The one calling convention of the domain clients: how a client sends a contract call with a
description, and how it reads what the receipt emitted.

Every transaction function of `civic_ledger.<domain>` is called as
`fn(contract, ..., *, sender=..., transact=direct)`: both keyword-only, `sender` the signing
account and `transact` a function called as `transact(label, method, *args, sender=...)` that
sends `method(*args, sender=...)` and returns the receipt. The default, `direct`, just sends;
the CLI passes its `send`, which also prints and audits `label`. A client returns what the
transaction created or decided (an id, a list of ids, a decision, an amount), else the receipt
— never a tuple with the receipt: a caller that needs the receipts too (transaction hash, gas)
passes a `Recording` and reads them from it. `tests/core/test_client_convention.py` holds every
client to this.
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


class Recording:
    """A `Transact` that sends through `inner` and keeps the receipts it produced, in order:
    how a caller gets a client's result and its receipts (hash, gas) from one call."""

    def __init__(self, inner: Transact = direct) -> None:
        self.inner = inner
        self.receipts: list[Any] = []

    def __call__(self, label: str, method: Any, *args: Any, sender: Any, **kwargs: Any) -> Any:
        receipt = self.inner(label, method, *args, sender=sender, **kwargs)
        self.receipts.append(receipt)
        return receipt

    @property
    def last(self) -> Any:
        """The receipt of the latest transaction sent (LookupError before any)."""
        if not self.receipts:
            raise LookupError("no transaction was sent through this Recording")
        return self.receipts[-1]

    def take(self) -> list[Any]:
        """The receipts recorded so far; the recording starts over."""
        taken, self.receipts = self.receipts, []
        return taken


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
