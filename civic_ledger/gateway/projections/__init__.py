"""What each event of the suite does to the gateway's tables: one module per domain, each a
`HANDLERS` tuple of `Handlers` maps from (contract, event) to a function of the `Store` and
the `Event`. Events
without a handler are kept in the `events` table only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, Table

from civic_ledger.gateway.store import Store


@dataclass(frozen=True)
class Event:
    """One decoded event, where and when it happened."""

    contract: str
    name: str
    block: int
    log_index: int
    time: int
    tx_hash: str
    actor: str
    args: dict[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.args[name]


Handler = Callable[[Store, Event], None]


class Handlers(dict[tuple[str, str], Handler]):
    """One contract's handlers by (contract, event), registered next to their functions:
    `@on("RecordIssued")`, or `on("SchemaActiveSet")(schema_changed(...))` for a made one, or
    `statuses(table, key, argument, SaleRejected="rejected", ...)` for status changes."""

    def __init__(self, contract: str) -> None:
        super().__init__()
        self.contract = contract

    def on(self, *events: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for name in events:
                self[(self.contract, name)] = handler
            return handler

        return register

    def statuses(self, table: Table, key: str, argument: str, **statuses: str) -> None:
        """For each event named, a `status_change` of `table`'s row to the status given."""
        for event, status in statuses.items():
            self.on(event)(status_change(table, key, argument, status))


def status_change(table: Table, key: str, argument: str, status: str, **columns: str) -> Handler:
    """The handler of an event that moves the row of `table` whose `key` is the event's
    `argument` (as text where the column is text) to `status`, and sets each of `columns` to
    the event argument named."""
    as_key = str if isinstance(table.c[key].type, String) else (lambda value: value)

    def handle(store: Store, e: Event) -> None:
        values = {column: e[name] for column, name in columns.items()}
        store.update(table, {key: as_key(e[argument])}, status=status, **values)

    return handle


def handlers() -> dict[tuple[str, str], Handler]:
    """Every domain's handlers, keyed by (contract, event)."""
    from civic_ledger.gateway.projections import data, fund, identity, property

    out: dict[tuple[str, str], Handler] = {}
    for module in (identity, property, fund, data):
        for table in module.HANDLERS:
            out.update(table)
    return out
