"""Upgrades through the deploy plan (issue #20): checked, scheduled, announced for the notice
period, cancellable by the guardian, executed — with every balance, nonce and the EIP-712 domain
intact, and the refusals (non-admin, before the delay, after a cancel, incompatible layout,
initialising an implementation)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from reverts import reverts

from civic_ledger.core.exceptions import DeployError
from civic_ledger.deploy import DeployPlan, StepEvent
from civic_ledger.deploy.proxy import implementation_of

from .token_suite import SPECS


def run_plan(project, networks, deployer, roles, path: Path, **upgrades: str) -> tuple:
    events: list[StepEvent] = []
    plan = DeployPlan.connected(
        sender=deployer, roles=roles, manifest_path=path, contracts=SPECS,
        report=events.append, upgrades=upgrades,
    )  # fmt: skip
    plan.run()
    return plan, events


@pytest.fixture
def world(project, networks, deployer, roles_config, agency, tmp_path, accounts):
    path = tmp_path / "deployments" / "local.json"
    plan, _ = run_plan(project, networks, deployer, roles_config, path)
    token = plan.instance("CityToken")
    holder, spender = accounts[16], accounts[17]
    token.mint(holder, 1_000, sender=agency["finance_bureau"])
    token.approve(spender, 250, sender=holder)
    return {"path": path, "plan": plan, "token": token, "holder": holder, "spender": spender}


def state_of(token: Any, holder: Any, spender: Any) -> tuple:
    return (
        token.totalSupply(),
        token.balanceOf(holder),
        token.allowance(holder, spender),
        token.nonces(holder),
        bytes(token.DOMAIN_SEPARATOR()),
        token.name(),
        token.symbol(),
    )


def advance(chain: Any, seconds: int) -> None:
    chain.pending_timestamp += seconds
    chain.mine()


def test_upgrade_is_announced_then_executed_and_state_survives(
    world, project, networks, deployer, roles_config, chain, agency
):
    token, path = world["token"], world["path"]
    before = state_of(token, world["holder"], world["spender"])
    old_implementation = implementation_of(networks.provider.web3, token.address)
    assert token.version() == "1.0.0"

    # 1. Check, deploy the implementation, schedule: nothing changes yet.
    plan, events = run_plan(
        project, networks, deployer, roles_config, path, CityToken="CityTokenV2"
    )
    [waiting] = [e for e in events if e.status == "waiting"]
    assert "scheduled" in waiting.detail and "re-run" in waiting.detail
    [record] = plan.manifest.data["upgrades"]
    assert record["status"] == "scheduled" and record["to_version"] == "2.0.0"
    assert record["ready_at"] >= plan.chain_time() + roles_config.upgrade_notice - 5
    assert implementation_of(networks.provider.web3, token.address) == old_implementation
    assert token.version() == "1.0.0"

    # 2. Re-running before the notice period has passed sends nothing.
    nonce = deployer.nonce
    _, events = run_plan(project, networks, deployer, roles_config, path, CityToken="CityTokenV2")
    assert deployer.nonce == nonce and any(e.status == "waiting" for e in events)

    # 3. After the notice period the same command executes the upgrade.
    advance(chain, roles_config.upgrade_notice + 1)
    plan, events = run_plan(
        project, networks, deployer, roles_config, path, CityToken="CityTokenV2"
    )
    assert [e.status for e in events if e.step.startswith("upgrade:")][-1] == "sent"
    v2 = project.CityTokenV2.at(token.address)
    assert v2.version() == "2.0.0"
    assert implementation_of(networks.provider.web3, token.address) == record["to"]
    assert state_of(token, world["holder"], world["spender"]) == before  # nothing lost
    [done] = plan.manifest.data["upgrades"]
    assert done["status"] == "executed" and done["executed_tx"]
    assert plan.manifest.contracts["CityToken"]["implementation"] == record["to"]
    assert [i["version"] for i in plan.manifest.data["implementations"]["CityToken"]] == [
        "1.0.0",
        "2.0.0",
    ]

    # The new behaviour applies (setCap/mintCapped are unmapped: ADMIN only).
    v2.setCap(1_500, sender=deployer)
    v2.mintCapped(world["holder"], 500, sender=deployer)
    with reverts("CityTokenCapExceeded"):
        v2.mintCapped(world["holder"], 1, sender=deployer)
    # The old rules still hold: only the treasurer mints.
    with reverts("AccessManagedUnauthorized"):
        v2.mint(world["holder"], 1, sender=world["holder"])

    # 4. Nothing left to do: a plain re-run and an upgrade re-run both send nothing.
    nonce = deployer.nonce
    run_plan(project, networks, deployer, roles_config, path)
    run_plan(project, networks, deployer, roles_config, path, CityToken="CityTokenV2")
    assert deployer.nonce == nonce


def test_only_the_upgrader_after_the_notice_period(world, project, deployer, agency, chain):
    token = world["token"]
    new = project.CityTokenV2.deploy(sender=deployer)
    data = bytes(token.upgradeToAndCall.encode_input(new, b""))
    manager = world["plan"].manager
    # Not the UPGRADER: refused whoever it is (the treasurer, the guardian, an outsider).
    for caller in (agency["finance_bureau"], agency["emergency_guardian"], world["holder"]):
        with reverts("AccessManagedUnauthorized"):
            token.upgradeToAndCall(new, b"", sender=caller)
    # The UPGRADER itself, unscheduled or before the notice period: refused.
    with reverts("AccessManagerNotScheduled"):
        token.upgradeToAndCall(new, b"", sender=deployer)
    manager.schedule(token, data, 0, sender=deployer)
    with reverts("AccessManagerNotReady"):
        manager.execute(token, data, sender=deployer)
    # The guardian cancels during the notice period: it can no longer run.
    manager.cancel(deployer, token, data, sender=agency["emergency_guardian"])
    advance(chain, 3600)
    with reverts("AccessManagerNotScheduled"):
        manager.execute(token, data, sender=deployer)
    assert token.version() == "1.0.0"


def test_a_cancelled_upgrade_is_reported_and_can_be_scheduled_again(
    world, project, networks, deployer, roles_config, chain, agency
):
    path = world["path"]
    plan, _ = run_plan(project, networks, deployer, roles_config, path, CityToken="CityTokenV2")
    [record] = plan.manifest.data["upgrades"]
    token = world["token"]
    data = bytes(token.upgradeToAndCall.encode_input(record["to"], b""))
    plan.manager.cancel(deployer, token, data, sender=agency["emergency_guardian"])
    advance(chain, roles_config.upgrade_notice + 1)
    with pytest.raises(DeployError, match="was cancelled"):
        run_plan(project, networks, deployer, roles_config, path, CityToken="CityTokenV2")
    assert token.version() == "1.0.0"
    # Scheduling again reuses the deployed implementation and starts a new notice period.
    plan, _ = run_plan(project, networks, deployer, roles_config, path, CityToken="CityTokenV2")
    statuses = [u["status"] for u in plan.manifest.data["upgrades"]]
    assert statuses == ["cancelled", "scheduled"]
    assert len(plan.manifest.data["implementations"]["CityToken"]) == 2


def test_incompatible_layout_is_refused_before_anything_is_sent(
    world, project, networks, deployer, roles_config
):
    nonce = deployer.nonce
    with pytest.raises(DeployError, match=r"CityTokenBadLayout\.extra.*namespace"):
        run_plan(
            project, networks, deployer, roles_config, world["path"], CityToken="CityTokenBadLayout"
        )
    assert deployer.nonce == nonce


def test_implementations_and_proxies_cannot_be_initialised_again(
    world, project, networks, deployer
):
    token = world["token"]
    implementation = project.CityToken.at(implementation_of(networks.provider.web3, token.address))
    manager = world["plan"].manager
    with reverts("InvalidInitialization"):
        implementation.initialize(manager, sender=deployer)  # nobody takes over the code
    with reverts("InvalidInitialization"):
        token.initialize(manager, sender=deployer)  # the proxy was initialised at deployment
