"""A real upgrade of a populated city (issue #20): the whole suite deployed by the deploy plan,
populated with the domain clients, then TitleRegistry upgraded through the plan
(`--upgrade TitleRegistry=TitleRegistryV2`: layout check, implementation, schedule, notice
period, execute). Every identity, record, parcel, sale, lien, assessment, round and application
keeps its id and content, the EIP-712 domains and the addresses do not move, the new rule
(a court caveat freezes a title) applies and the old rules still hold."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from reverts import reverts

from civic_ledger.cli.common import Suite
from civic_ledger.core.documents import document_hash
from civic_ledger.core.exceptions import DeployError
from civic_ledger.deploy import DeployPlan, StepEvent
from civic_ledger.deploy.proxy import implementation_of
from civic_ledger.property import titles as title_client

from .suite_world import World, populate, snapshot

WALLETS = {"alice": 15, "bob": 16, "bank": 17, "acme": 18}


def run_plan(project, networks, deployer, roles, path: Path, **upgrades: str) -> tuple:
    from ape import accounts

    events: list[StepEvent] = []
    plan = DeployPlan(
        project=project, provider=networks.provider, accounts=accounts, sender=deployer,
        roles=roles, manifest_path=path, network_name=networks.provider.network.name,
        report=events.append, upgrades=upgrades,
    )  # fmt: skip
    plan.run()
    return plan, events


@pytest.fixture(scope="module")
def city(project, networks, deployer, roles_config, agency, accounts, chain, tmp_path_factory):
    """The whole suite, deployed and populated once for the module (Ape's isolation restores
    the chain after each test; each test works on its own copy of the deployments folder)."""
    folder = tmp_path_factory.mktemp("suite") / "deployments"
    plan, _ = run_plan(project, networks, deployer, roles_config, folder / "local.json")
    suite = Suite.from_manifest(plan.manifest)
    wallets = {name: accounts[index] for name, index in WALLETS.items()}
    world = populate(suite, agency, wallets, chain.pending_timestamp)
    return {"folder": folder, "world": world, "wallets": wallets}


@pytest.fixture
def manifest_path(city: dict[str, Any], tmp_path: Path) -> Path:
    folder = tmp_path / "deployments"
    shutil.copytree(city["folder"], folder)
    return folder / "local.json"


def advance(chain: Any, seconds: int) -> None:
    chain.pending_timestamp += seconds
    chain.mine()


def test_populated_suite_survives_a_title_registry_upgrade(
    city, manifest_path, project, networks, deployer, roles_config, agency, chain
):
    world: World = city["world"]
    wallets = city["wallets"]
    web3 = networks.provider.web3
    plan, _ = run_plan(project, networks, deployer, roles_config, manifest_path)
    suite = Suite.from_manifest(plan.manifest)
    before = snapshot(suite, world, wallets)
    implementations = {n: e.get("implementation") for n, e in plan.manifest.contracts.items()}
    titles = suite["TitleRegistry"]
    assert titles.version() == "1.0.0"
    # The populated city is what the test claims: a disputed adverse record, an accepted sale
    # on a mortgaged, assessed parcel, a funded round with a pending application.
    assert before[f"record 0x{world.penalty.hex()}"].dispute == 1  # Open
    assert before["eligibility"] == (True, False)
    assert titles.saleOf(world.sale).state == title_client.SaleState.ACCEPTED
    assert suite["LienRegistry"].activeLiensOf(world.parcel) == [world.lien]
    assert suite["GrantFund"].applicationsOf(world.round_id) == [world.application]

    # Check, deploy, schedule: nothing changes during the notice period.
    plan, events = run_plan(
        project, networks, deployer, roles_config, manifest_path, TitleRegistry="TitleRegistryV2"
    )
    [record] = plan.manifest.data["upgrades"]
    assert (record["contract"], record["status"], record["to_version"]) == (
        "TitleRegistry", "scheduled", "2.0.0",
    )  # fmt: skip
    assert any(e.status == "waiting" for e in events)
    assert titles.version() == "1.0.0"
    advance(chain, roles_config.upgrade_notice + 1)
    plan, events = run_plan(
        project, networks, deployer, roles_config, manifest_path, TitleRegistry="TitleRegistryV2"
    )
    assert [e.status for e in events if e.step.startswith("upgrade:")][-1] == "sent"
    assert plan.manifest.data["upgrades"][0]["status"] == "executed"

    # Only TitleRegistry's implementation changed; every address, id and content survived.
    suite = Suite.from_manifest(plan.manifest)
    v2 = project.TitleRegistryV2.at(titles.address)
    assert v2.version() == "2.0.0"
    for name, entry in plan.manifest.contracts.items():
        running = implementation_of(web3, entry["address"]) if implementations[name] else None
        expected = record["to"] if name == "TitleRegistry" else implementations[name]
        assert running == expected and entry.get("implementation") == expected, name
    after = snapshot(suite, world, wallets)
    changed = sorted(key for key in before if before[key] != after[key])
    assert changed == [], f"state changed by the upgrade: {changed}"

    # The new rule: a caveat freezes the title; the sale completes once it is lifted.
    registrar, bob = agency["land_registry"], world.subjects["bob"]
    order = document_hash("court order 17")
    v2.lodgeCaveat(world.second_parcel, order, sender=deployer)
    assert bytes(v2.caveatOf(world.second_parcel)) == order
    with reverts("TitleUnderCaveat"):
        v2.approveSale(world.second_sale, sender=registrar)
    with reverts("AccessManagedUnauthorized"):  # lodging is not the registrar's
        v2.lodgeCaveat(world.parcel, order, sender=registrar)
    v2.liftCaveat(world.second_parcel, sender=deployer)
    v2.approveSale(world.second_sale, sender=registrar)
    assert bytes(v2.ownerIdentityOf(world.second_parcel)) == bob

    # The old rules still hold: only the registrar approves; the accepted sale of the
    # mortgaged parcel completes and discharges the lien as the bank consented.
    with reverts("AccessManagedUnauthorized"):
        v2.approveSale(world.sale, sender=city["wallets"]["alice"])
    liens = suite["LienRegistry"]
    title_client.approve(v2, world.sale, sender=registrar, liens=liens)
    assert bytes(v2.ownerIdentityOf(world.parcel)) == bob
    assert v2.ownerOf(world.parcel) == city["wallets"]["bob"].address
    assert liens.activeLiensOf(world.parcel) == []
    assert [int(e.saleId) for e in v2.chainOfTitle(world.parcel)][-1] == world.sale
    # Nothing left to do: the same command sends nothing now.
    nonce = deployer.nonce
    run_plan(
        project, networks, deployer, roles_config, manifest_path, TitleRegistry="TitleRegistryV2"
    )
    assert deployer.nonce == nonce


def test_a_v2_that_reorders_storage_is_refused_on_the_populated_suite(
    city, manifest_path, project, networks, deployer, roles_config, monkeypatch
):
    """The layout check compares the new code with what the manifest recorded for the running
    implementation: a release whose TitleRegistry namespace swaps two fields (here V2's layout
    with `identities` and `lienRegistry` exchanged) is refused before any transaction."""
    from civic_ledger.deploy import upgrade
    from civic_ledger.deploy.layout import layout_of

    def reordered(artefact: str, ast: Any) -> Any:
        layout = layout_of(artefact, ast)
        members = layout.namespaces["civic.TitleRegistry"]
        members[0], members[1] = members[1], members[0]
        return layout

    monkeypatch.setattr(upgrade, "layout_of", reordered)
    nonce = deployer.nonce
    with pytest.raises(DeployError, match=r"refusing to upgrade TitleRegistry to TitleRegistryV2"
                       r".*member 'identities' .* at position 0 is now 'lienRegistry'"):  # fmt: skip
        run_plan(
            project, networks, deployer, roles_config, manifest_path,
            TitleRegistry="TitleRegistryV2",
        )  # fmt: skip
    assert deployer.nonce == nonce
    assert json.loads(manifest_path.read_text()).get("upgrades", []) == []
