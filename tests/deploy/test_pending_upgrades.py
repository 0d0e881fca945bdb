"""Scheduled upgrades as an operator sees them (issue #20): `ape run admin access pending` lists
each upgradeable contract's version and every upgrade waiting in the AccessManager with its
earliest execution time (whether the deploy plan or someone else scheduled it);
`cancel-upgrade` lets the guardian cancel one; executed and cancelled upgrades disappear."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from civic_ledger.cli import access as cli
from civic_ledger.core.encoding import format_time
from civic_ledger.core.exceptions import DeployError
from civic_ledger.deploy.pending import upgrade_status

from .test_upgrade import advance, run_plan


@pytest.fixture
def deployed(project, networks, deployer, roles_config, tmp_path):
    path = tmp_path / "deployments" / "local.json"
    plan, _ = run_plan(project, networks, deployer, roles_config, path)
    return plan, path


def run_cli(path: Path, name: str, *args: str) -> Any:
    """The command as a plain click command on the test chain (Ape's connected wrapper would
    disconnect the provider on exit)."""
    command = cli.access.commands[name]
    plain = click.Command(
        name, callback=command.callback, params=[p for p in command.params if p.name != "network"]
    )
    result = CliRunner().invoke(plain, [*args, "--manifest", str(path)], catch_exceptions=False)
    result.text = " ".join(result.output.split())  # rich wraps at 80 columns off a terminal
    return result


def test_a_scheduled_upgrade_is_listed_until_it_runs(
    deployed, project, networks, deployer, roles_config, chain
):
    plan, path = deployed
    web3 = networks.provider.web3
    [token] = upgrade_status(web3, plan.manifest.contracts)
    assert (token.contract, token.version, token.pending) == ("CityToken", "1.0.0", ())
    assert "no upgrade is scheduled" in run_cli(path, "pending").text

    plan, _ = run_plan(project, networks, deployer, roles_config, path, CityToken="CityTokenV2")
    [record] = plan.manifest.data["upgrades"]
    [token] = upgrade_status(web3, plan.manifest.contracts)
    [upgrade] = token.pending
    assert token.version == "1.0.0"
    assert (upgrade.new_implementation, upgrade.new_version) == (record["to"], "2.0.0")
    assert upgrade.ready_at == record["ready_at"] and upgrade.caller == deployer.address
    assert "0x" + upgrade.operation_id.hex() == record["operation_id"]
    assert upgrade.state(plan.chain_time()) == "waiting"
    assert upgrade.expires_at > upgrade.ready_at
    shown = run_cli(path, "pending")
    assert shown.exit_code == 0, shown.output
    for text in ("CityToken", "1.0.0", "to 2.0.0", record["to"], format_time(record["ready_at"])):
        assert text in shown.text, (text, shown.text)
    assert "1 upgrade(s) scheduled" in shown.text

    advance(chain, roles_config.upgrade_notice + 1)
    [token] = upgrade_status(web3, plan.manifest.contracts)
    assert token.pending[0].state(plan.chain_time()) == "ready"
    assert "ready since" in run_cli(path, "pending").text
    plan, _ = run_plan(project, networks, deployer, roles_config, path, CityToken="CityTokenV2")
    [token] = upgrade_status(web3, plan.manifest.contracts)
    assert (token.version, token.implementation, token.pending) == ("2.0.0", record["to"], ())


def test_the_guardian_cancels_from_the_command_line(
    deployed, project, networks, deployer, roles_config, agency
):
    plan, path = deployed
    web3 = networks.provider.web3
    # Two upgrades scheduled by hand (not by the deploy plan): listed all the same.
    token = plan.instance("CityToken")
    fresh = [project.CityTokenV2.deploy(sender=deployer) for _ in range(2)]
    for implementation in fresh:
        data = bytes(token.upgradeToAndCall.encode_input(implementation, b""))
        plan.manager.schedule(token, data, 0, sender=deployer)
    [status] = upgrade_status(web3, plan.manifest.contracts)
    assert [u.new_implementation for u in status.pending] == [f.address for f in fresh]

    guardian = roles_config_account(roles_config, "emergency_guardian")
    which = run_cli(path, "cancel-upgrade", "CityToken", "--account", guardian)
    assert which.exit_code == 1 and "2 upgrades of CityToken are scheduled" in which.text
    first = ("cancel-upgrade", "CityToken", "--to", fresh[0].address)
    refused = run_cli(path, *first, "--account", "TEST::16")  # no role
    assert refused.exit_code == 1 and "may not cancel the operation" in refused.text, refused.output
    done = run_cli(path, *first, "--account", guardian)
    assert done.exit_code == 0, done.output
    assert f"cancelled the upgrade of CityToken to 2.0.0 ({fresh[0].address})" in done.text
    [status] = upgrade_status(web3, plan.manifest.contracts)
    assert [u.new_implementation for u in status.pending] == [fresh[1].address]
    done = run_cli(path, "cancel-upgrade", "CityToken", "--account", guardian)
    assert done.exit_code == 0, done.output
    assert upgrade_status(web3, plan.manifest.contracts)[0].pending == ()
    assert "no upgrade is scheduled" in run_cli(path, "pending").text
    nothing = run_cli(path, "cancel-upgrade", "CityToken", "--account", guardian)
    assert nothing.exit_code == 1 and "no upgrade of CityToken is scheduled" in nothing.text
    unknown = run_cli(path, "cancel-upgrade", "TitleRegistry", "--account", guardian)
    assert "TitleRegistry is not an upgradeable contract of this deployment" in unknown.text

    # A plan-scheduled upgrade cancelled from the command line: the plan reports it.
    run_plan(project, networks, deployer, roles_config, path, CityToken="CityTokenV2")
    run_cli(path, "cancel-upgrade", "CityToken", "--account", guardian)
    with pytest.raises(DeployError, match="was cancelled"):
        run_plan(project, networks, deployer, roles_config, path, CityToken="CityTokenV2")
    assert token.version() == "1.0.0"


def roles_config_account(roles_config: Any, agency: str) -> str:
    [entry] = [a for a in roles_config.agencies if a.name == agency]
    return f"TEST::{entry.account.test_account}"
