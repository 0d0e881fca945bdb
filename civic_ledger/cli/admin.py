"""The agency administration CLI: one click group per domain, each in its own module
civic_ledger/cli/<group>.py. Reached two ways, the same commands:

    ape run admin <group> <command> ...   # the project's script (scripts/admin.py)
    ape civic <group> <command> ...       # the Ape CLI plugin this package registers
                                          # (entry point `ape_cli_subcommands: ape_civic`)
"""

from __future__ import annotations

import importlib

import click

#: The command groups, in `--help` order: group NAME is `civic_ledger.cli.NAME.NAME`.
GROUPS = (
    "identity", "records", "certificates", "titles", "liens", "tax", "fund", "token", "access",
    "safe", "report", "data", "gateway",
)  # fmt: skip


@click.group(short_help="Administer the city ledger as an agency (civic-ledger)")
def cli() -> None:
    """Administer the city ledger as an agency: every command signs with the Ape account given
    by --account and selects the chain with --network (default: the embedded test chain)."""


for _name in GROUPS:
    try:
        _group = getattr(importlib.import_module(f"civic_ledger.cli.{_name}"), _name)
    except (ModuleNotFoundError, AttributeError):
        continue  # that domain's commands are not installed in this checkout
    cli.add_command(_group, _name)
