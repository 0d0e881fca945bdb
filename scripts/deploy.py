"""`ape run deploy`: see civic_ledger/cli/deploy.py (`ape run deploy --help`)."""

from civic_ledger.cli.deploy import cli

__all__ = ["cli"]
