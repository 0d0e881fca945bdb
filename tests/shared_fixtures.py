"""Fixtures every domain's tests share, registered by the root conftest (`pytest_plugins`): the
session suite's contracts and the agencies' accounts, under the names the tests use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from civic_ledger.core import names

# fixture name -> contract name in the session suite
CONTRACTS = {
    "manager": names.MANAGER,
    "identity": names.IDENTITY_REGISTRY,
    "identities": names.IDENTITY_REGISTRY,
    "records": names.RECORD_REGISTRY,
    "token": names.TOKEN,
    "titles": names.TITLE_REGISTRY,
    "liens": names.LIEN_REGISTRY,
    "tax": names.PROPERTY_TAX,
}

# fixture name -> agency (config/roles.local.yaml, plus `treasury` and `deployer`)
AGENCIES = {
    "admin": "deployer",
    "office": "identity_office",
    "data_bureau": "data_bureau",
    "tax_bureau": "tax_bureau",
    "assessor": "tax_bureau",
    "market": "market_regulator",
    "court": "court",
    "arbiter": "arbitration_office",
    "guardian": "emergency_guardian",
    "registrar": "land_registry",
    "treasurer": "finance_bureau",
    "treasury": "treasury",
}


def _contract(contract: str) -> Callable[[Any], Any]:
    def fixture(suite: Any) -> Any:
        return suite[contract]

    return fixture


def _agency(name: str) -> Callable[[dict[str, Any]], Any]:
    def fixture(agency: dict[str, Any]) -> Any:
        return agency[name]

    return fixture


for _name, _contract_name in CONTRACTS.items():
    globals()[_name] = pytest.fixture(name=_name)(_contract(_contract_name))
for _name, _agency_name in AGENCIES.items():
    globals()[_name] = pytest.fixture(name=_name)(_agency(_agency_name))


class Killed(Exception):
    """Stands in for a killed process."""


@pytest.fixture
def kill_imports(monkeypatch: pytest.MonkeyPatch) -> Callable[[int | None], None]:
    """`kill_imports(n)`: the import commands' runner dies right after broadcasting batch `n`
    (before its receipt), like a killed process; `kill_imports(None)` restores it."""
    from civic_ledger.bulk import runner
    from civic_ledger.cli import imports

    def arm(batch: int | None) -> None:
        if batch is None:
            monkeypatch.setattr(imports, "BulkRunner", runner.BulkRunner)
            return

        class KilledRunner(runner.BulkRunner):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                def kill(sent: int) -> None:
                    if sent == batch:
                        raise Killed(f"killed after broadcasting batch {sent}")

                super().__init__(*args, on_sent=kill, **kwargs)

        monkeypatch.setattr(imports, "BulkRunner", KilledRunner)

    return arm


def invoke_command(command: Any, suite: Any, *args: str, account: str | None = None) -> Any:
    """Run the click `command` in process on the session suite's manifest (without Ape's
    --network wrapper, which would disconnect the test provider), signing as `account` when
    given; the result's `text` is stdout and stderr on one line (rich wraps at 80 columns)."""
    import click
    from click.testing import CliRunner

    plain = click.Command(
        command.name, callback=command.callback,
        params=[p for p in command.params if p.name != "network"],
    )  # fmt: skip
    signer = ["--account", account] if account else []
    result = CliRunner(mix_stderr=False).invoke(
        plain, [*args, *signer, "--manifest", str(suite.manifest.path)]
    )
    result.text = " ".join((result.stdout + result.stderr).split())
    return result


def set_target_closed(manager: Any, admin: Any, target: Any, closed: bool = True) -> None:
    """The admin closes (or reopens) `target` in the AccessManager: at once, or scheduled and
    executed after the target's admin delay (the upgrade notice, in force 5 days after
    deployment) when it has one."""
    import ape

    delay = int(manager.getTargetAdminDelay(target))
    if delay == 0:
        manager.setTargetClosed(target, closed, sender=admin)
    else:
        call = manager.setTargetClosed.encode_input(target, closed)
        manager.schedule(manager, call, 0, sender=admin)
        ape.chain.mine(timestamp=ape.chain.pending_timestamp + delay + 1)
        manager.execute(manager, call, sender=admin)
    assert manager.isTargetClosed(target) == closed
