"""Per-domain contract specs, in deployment order."""

from __future__ import annotations

from civic_ledger.spec import ContractSpec


def all_contracts() -> list[ContractSpec]:
    """Every contract of the suite in deployment order (dependencies first)."""
    from civic_ledger.domains import access

    specs: list[ContractSpec] = list(access.CONTRACTS)
    for module_name in ("identity", "property", "fund"):
        try:
            module = __import__(f"civic_ledger.domains.{module_name}", fromlist=["CONTRACTS"])
        except ModuleNotFoundError as exc:
            if exc.name != f"civic_ledger.domains.{module_name}":
                raise
            continue
        specs.extend(module.CONTRACTS)
    return specs
