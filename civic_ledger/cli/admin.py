"""The agency administration CLI: one click group per domain, each in its own module
civic_ledger/cli/<group>.py. Reached two ways, the same commands:

    ape run admin <group> <command> ...   # the project's script (scripts/admin.py)
    ape civic <group> <command> ...       # the Ape CLI plugin this package registers
                                          # (entry point `ape_cli_subcommands: ape_civic`)
"""

from __future__ import annotations

import importlib

import click

GROUPS = {
    "identity": ("civic_ledger.cli.identity", "identity"),
    "records": ("civic_ledger.cli.records", "records"),
    "certificates": ("civic_ledger.cli.certificates", "certificates"),
    "titles": ("civic_ledger.cli.titles", "titles"),
    "liens": ("civic_ledger.cli.liens", "liens"),
    "tax": ("civic_ledger.cli.tax", "tax"),
    "fund": ("civic_ledger.cli.fund", "fund"),
    "token": ("civic_ledger.cli.token", "token"),
    "access": ("civic_ledger.cli.access", "access"),
    "safe": ("civic_ledger.cli.safe", "safe"),
    "report": ("civic_ledger.cli.report", "report"),
    "data": ("civic_ledger.cli.data", "data"),
    "gateway": ("civic_ledger.cli.gateway", "gateway"),
}


@click.group(short_help="Administer the city ledger as an agency (civic-ledger)")
def cli() -> None:
    """Administer the city ledger as an agency: every command signs with the Ape account given
    by --account and selects the chain with --network (default: the embedded test chain)."""


for _name, (_module, _attr) in GROUPS.items():
    try:
        _group = getattr(importlib.import_module(_module), _attr)
    except (ModuleNotFoundError, AttributeError):
        continue  # that domain's commands are not installed in this checkout
    cli.add_command(_group, _name)
