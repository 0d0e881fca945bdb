"""`ape run gateway index|status|serve`: the city gateway (see civic_ledger/cli/gateway.py;
the same commands as `ape civic gateway ...`)."""

from civic_ledger.cli.gateway import gateway as cli

__all__ = ["cli"]
