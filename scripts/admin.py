"""`ape run admin <group> <command>`: agency administration, one group per domain (the same
commands as the `ape civic` plugin; see civic_ledger/cli/admin.py). Run `ape run admin --help`
for the list."""

from civic_ledger.cli.admin import GROUPS, cli

__all__ = ["GROUPS", "cli"]
