"""Shared fixtures: the whole suite deployed once per session through the real deploy plan
(the same code `ape run deploy` runs), agency accounts from config/roles.local.yaml, and Ape's
automatic per-test chain isolation (snapshot/restore) on top."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ape
import pytest

from civic_ledger.cli.common import Suite
from civic_ledger.core.config import RolesConfig, load_roles_file
from civic_ledger.core.paths import DEFAULT_ROLES_FILE
from civic_ledger.deploy import DeployPlan

CITIZEN_INDICES = range(15, 20)

# tests/shared_fixtures.py: the contracts and agencies every domain uses. (Not "fixtures":
# pytest registers its own `_pytest.fixtures` under that name and would skip ours.)
pytest_plugins = ["shared_fixtures"]


def pytest_configure(config: pytest.Config) -> None:
    """Commands run by the tests log their signed actions to a throwaway audit log, never to
    the developer's own (~/.local/share/civic-ledger/audit.jsonl)."""
    if "CIVIC_AUDIT_LOG" not in os.environ:
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="civic-audit-"))
        os.environ["CIVIC_AUDIT_LOG"] = str(folder / "audit.jsonl")


@pytest.fixture(scope="session")
def roles_config() -> RolesConfig:
    return load_roles_file(DEFAULT_ROLES_FILE)


@pytest.fixture(scope="session")
def deployer(accounts: Any) -> Any:
    return accounts[0]


@pytest.fixture(scope="session")
def agency(accounts: Any, roles_config: RolesConfig, deployer: Any) -> dict[str, Any]:
    """Agency name (as in config/roles.local.yaml) -> its test account; plus `treasury` and
    `deployer` (the admin on the dev chain)."""
    named = {a.name: accounts[a.account.test_account] for a in roles_config.agencies}
    named["treasury"] = accounts[roles_config.treasury.test_account]
    named["deployer"] = deployer
    return named


@pytest.fixture(scope="session")
def outsider(accounts: Any) -> Any:
    """An account with no role at all."""
    return accounts[CITIZEN_INDICES.stop - 1]


@pytest.fixture(scope="session")
def citizens(accounts: Any) -> list[Any]:
    """Spare accounts to act as controllers of persons and enterprises (the last one is the
    `outsider`, kept identity-less)."""
    return [accounts[i] for i in CITIZEN_INDICES][:-1]


def deploy_suite(
    project: Any,
    networks: Any,
    sender: Any,
    manifest_path: Path,
    roles: RolesConfig,
    contracts: Any = None,
) -> DeployPlan:
    plan = DeployPlan(
        project=project,
        provider=networks.provider,
        accounts=ape.accounts,
        sender=sender,
        roles=roles,
        manifest_path=manifest_path,
        network_name=networks.provider.network.name,
        contracts=contracts,
    )
    plan.run()
    return plan


@pytest.fixture(scope="session")
def suite(
    project: Any,
    networks: Any,
    deployer: Any,
    roles_config: RolesConfig,
    tmp_path_factory: pytest.TempPathFactory,
) -> Suite:
    """The whole suite deployed and wired once per session (deploy plan, all domains)."""
    manifest = tmp_path_factory.mktemp("deployments") / "local.json"
    plan = deploy_suite(project, networks, deployer, manifest, roles_config)
    return Suite.from_manifest(plan.manifest)


ROOT = Path(__file__).resolve().parent.parent


def _ape_run(*args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.setdefault("APE_DATA_FOLDER", str(ROOT / ".ape-data"))
    ape = Path(sys.executable).with_name("ape")
    return subprocess.run(
        [str(ape), "run", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="session")
def ape_run() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run `ape run <script> ...` in a subprocess, as a user would (no stdin)."""
    return _ape_run


# Modules that connect Ape to a chain of their own (`networks.parse_network_choice(...)`):
# after such a switch, Ape's snapshot isolation on the embedded test chain no longer restores
# between tests (state leaked into later tests when they ran first). They run last.
OWN_CHAIN_MODULES = (
    "tests/bench/test_bulk_resume.py",
    "tests/devnet/test_devnet_fault.py",
    "tests/chain/test_log_range_limit.py",
    "tests/gateway/test_faults.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Stable sort: everything else keeps its order; the own-chain modules go to the end."""
    items.sort(key=lambda item: item.nodeid.split("::")[0] in OWN_CHAIN_MODULES)
