"""`ape run admin <group> <command>`: agency administration, one group per domain.

Each group lives in its own module, civic_ledger/cli/<group>.py (identity, records, titles, liens,
tax, fund, token, access); run `ape run admin --help` for the list."""

from __future__ import annotations

import importlib

import click

GROUPS = {
    "identity": ("civic_ledger.cli.identity", "identity"),
    "records": ("civic_ledger.cli.records", "records"),
    "titles": ("civic_ledger.cli.titles", "titles"),
    "liens": ("civic_ledger.cli.liens", "liens"),
    "tax": ("civic_ledger.cli.tax", "tax"),
    "fund": ("civic_ledger.cli.fund", "fund"),
    "token": ("civic_ledger.cli.token", "token"),
    "access": ("civic_ledger.cli.access", "access"),
    "report": ("civic_ledger.cli.report", "report"),
}


@click.group()
def cli() -> None:
    """Administer the city ledger as an agency: every command signs with the Ape account given
    by --account and selects the chain with --network (default: the embedded test chain)."""


for _name, (_module, _attr) in GROUPS.items():
    try:
        _group = getattr(importlib.import_module(_module), _attr)
    except (ModuleNotFoundError, AttributeError):
        continue  # that domain's commands are not installed in this checkout
    cli.add_command(_group, _name)
