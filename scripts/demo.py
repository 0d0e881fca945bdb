"""`ape run demo`: see civic_ledger/cli/demo.py (`ape run demo --help`)."""

from civic_ledger.cli.demo import cli

__all__ = ["cli"]
