"""A deploy plan on the chain Ape is connected to: the project, provider, accounts and network
name come from the Ape session, so `ape run deploy`, the benchmarks and the tests build the plan
the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from civic_ledger.core.config import RolesConfig
from civic_ledger.deploy.plan import DeployPlan


def connected_plan(
    *, sender: Any, roles: RolesConfig, manifest_path: Path, **options: Any
) -> DeployPlan:
    """`DeployPlan` for the connected provider; `options` (report, contracts, upgrades,
    catalogue, ... or a session value such as network_name) are passed on as given."""
    from ape import accounts, networks, project

    session = {
        "project": project,
        "provider": networks.provider,
        "accounts": accounts,
        "network_name": networks.provider.network.name,
    }
    return DeployPlan(
        sender=sender, roles=roles, manifest_path=manifest_path, **{**session, **options}
    )
