"""The deploy plan on the embedded chain: deploy, wiring, idempotence, crash-resume, handover.

Uses the access domain plus CityToken (a small AccessManaged contract with a TREASURER-only
function) so the foundation is tested independently of the other domains; the full suite's
deployment is exercised by the `suite` fixture in every domain's tests."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from deploy.token_suite import SPECS
from reverts import reverts

from civic_ledger.access.roles import ADMIN_ROLE, BY_NAME, ROLES, RoleId
from civic_ledger.chain.client import Web3Client
from civic_ledger.chain.manifest import Manifest
from civic_ledger.core.config import AccountRef
from civic_ledger.deploy import DeployError, DeployPlan, StepEvent, selector
from civic_ledger.deploy.proxy import initializer_calldata


def make_plan(project, networks, sender, roles, path: Path, events: list[StepEvent] | None = None):
    report = events.append if events is not None else lambda e: None
    return DeployPlan.connected(
        sender=sender, roles=roles, manifest_path=path, contracts=SPECS, report=report
    )


@pytest.fixture
def manifest_path(tmp_path: Path) -> Path:
    return tmp_path / "deployments" / "local.json"


@pytest.fixture
def deployed(project, networks, deployer, roles_config, manifest_path):
    events: list[StepEvent] = []
    plan = make_plan(project, networks, deployer, roles_config, manifest_path, events)
    plan.run()
    return plan, events


def sent(events: list[StepEvent]) -> list[StepEvent]:
    return [e for e in events if e.status in {"sent", "adopted"}]


def test_deploy_writes_complete_manifest(deployed, manifest_path, networks, chain):
    _, events = deployed
    data = json.loads(manifest_path.read_text())
    assert data["chain_id"] == networks.provider.chain_id
    assert data["genesis_hash"] == "0x" + networks.provider.web3.eth.get_block(0)[
        "hash"
    ].hex().removeprefix("0x")
    assert set(data["contracts"]) == {"CityAccessManager", "CityToken"}
    for entry in data["contracts"].values():
        code = networks.provider.get_code(entry["address"])
        assert len(code) > 0
        assert entry["code_hash"].startswith("0x") and len(entry["code_hash"]) == 66
        assert entry["compiler"]["version"].startswith("0.8.28")
        assert entry["compiler"]["evm_version"] == "london"
        receipt = chain.get_receipt(entry["tx_hash"])
        assert receipt.contract_address == entry["address"]
        assert receipt.block_number == entry["block"]
    assert data["pending"] == {}
    # One report per transaction; batched steps share their transaction's hash.
    assert len(sent(events)) == len({step["tx_hash"] for step in data["steps"].values()})
    assert {e.tx_hash for e in sent(events)} == {s["tx_hash"] for s in data["steps"].values()}


def test_roles_granted_and_functions_wired(deployed, roles_config, accounts):
    plan, _ = deployed
    manager, token = plan.instance("CityAccessManager"), plan.instance("CityToken")
    for agency in roles_config.agencies:
        account = accounts[agency.account.test_account]
        for name in agency.roles:
            is_member, delay = manager.hasRole(BY_NAME[name].id, account)
            assert is_member and delay == agency.execution_delay
    for signature in ("mint(address,uint256)", "burnFrom(address,uint256)", "burn(uint256)"):
        assert manager.getTargetFunctionRole(token, selector(signature)) == RoleId.TREASURER
    for r in ROLES:
        assert manager.getRoleGuardian(r.id) == (
            ADMIN_ROLE if r.id == RoleId.GUARDIAN else RoleId.GUARDIAN
        )


def test_role_labels_emitted(deployed, chain):
    plan, _ = deployed
    manager = plan.instance("CityAccessManager")
    labels = {}
    for r in ROLES:
        receipt = chain.get_receipt(plan.manifest.steps[f"label:{r.name}"]["tx_hash"])
        for log in manager.RoleLabel.from_receipt(receipt):
            labels[log.roleId] = log.label
    assert labels == {r.id: r.label for r in ROLES}


def test_deploy_twice_sends_nothing(
    deployed, project, networks, deployer, roles_config, manifest_path
):
    nonce = deployer.nonce
    before = manifest_path.read_bytes()
    events: list[StepEvent] = []
    make_plan(project, networks, deployer, roles_config, manifest_path, events).run()
    assert sent(events) == []
    assert deployer.nonce == nonce
    assert {e.status for e in events} == {"done"}
    assert manifest_path.read_bytes() == before  # a no-op run records nothing


def test_unauthorised_calls_revert_with_access_manager_errors(deployed, agency, outsider):
    plan, _ = deployed
    manager, token = plan.instance("CityAccessManager"), plan.instance("CityToken")
    for caller in (outsider, agency["registrar" if "registrar" in agency else "land_registry"]):
        with reverts("AccessManagedUnauthorized", caller=caller.address):
            token.mint(caller, 1, sender=caller)
        with reverts("AccessManagerUnauthorizedAccount"):
            manager.grantRole(RoleId.TREASURER, caller, 0, sender=caller)
    token.mint(outsider, 7, sender=agency["finance_bureau"])
    assert token.balanceOf(outsider) == 7


def test_grant_and_revoke_role(deployed, deployer, outsider):
    plan, _ = deployed
    manager, token = plan.instance("CityAccessManager"), plan.instance("CityToken")
    manager.grantRole(RoleId.TREASURER, outsider, 0, sender=deployer)
    token.mint(outsider, 1, sender=outsider)
    manager.revokeRole(RoleId.TREASURER, outsider, sender=deployer)
    with reverts("AccessManagedUnauthorized"):
        token.mint(outsider, 1, sender=outsider)


def test_grant_delay_applies_to_new_members(deployed, deployer, outsider, chain):
    plan, _ = deployed
    manager, token = plan.instance("CityAccessManager"), plan.instance("CityToken")
    delay = BY_NAME["TREASURER"].grant_delay
    assert delay > 0
    # setGrantDelay takes effect after AccessManager's minSetback (5 days).
    chain.pending_timestamp += manager.minSetback() + 1
    chain.mine()
    assert manager.getRoleGrantDelay(RoleId.TREASURER) == delay
    manager.grantRole(RoleId.TREASURER, outsider, 0, sender=deployer)
    assert not manager.hasRole(RoleId.TREASURER, outsider)[0]
    with reverts("AccessManagedUnauthorized"):
        token.mint(outsider, 1, sender=outsider)
    chain.pending_timestamp += delay + 1
    chain.mine()
    token.mint(outsider, 1, sender=outsider)
    assert token.balanceOf(outsider) == 1


def test_execution_delay_forces_schedule_and_guardian_can_cancel(
    deployed, deployer, agency, outsider, chain
):
    plan, _ = deployed
    manager, token = plan.instance("CityAccessManager"), plan.instance("CityToken")
    treasurer = agency["finance_bureau"]
    manager.grantRole(RoleId.TREASURER, treasurer, 3600, sender=deployer)  # now needs a 1 h delay
    calldata = token.mint.encode_input(outsider, 5)
    op = manager.hashOperation(treasurer, token, calldata)
    # A direct call consumes a scheduled operation (OpenZeppelin 5 AccessManaged): none yet.
    with reverts("AccessManagerNotScheduled", operationId=op):
        token.mint(outsider, 5, sender=treasurer)
    manager.schedule(token, calldata, 0, sender=treasurer)
    with reverts("AccessManagerNotReady", operationId=op):
        manager.execute(token, calldata, sender=treasurer)
    # The guardian cancels a scheduled issuance; nothing is minted.
    manager.cancel(treasurer, token, calldata, sender=agency["emergency_guardian"])
    chain.pending_timestamp += 3601
    chain.mine()
    with reverts("AccessManagerNotScheduled", operationId=op):
        manager.execute(token, calldata, sender=treasurer)
    # Scheduled again and executed after the delay: it goes through.
    manager.schedule(token, calldata, 0, sender=treasurer)
    chain.pending_timestamp += 3601
    chain.mine()
    manager.execute(token, calldata, sender=treasurer)
    assert token.balanceOf(outsider) == 5


class Crash(Exception):
    pass


def test_resume_after_crash_before_send(
    project, networks, deployer, roles_config, manifest_path, monkeypatch
):
    """Crash after the deploy tx is journaled but before it reaches the chain: the resume
    broadcasts the journaled signed bytes (never a newly signed transaction)."""
    plan = make_plan(project, networks, deployer, roles_config, manifest_path)
    real_send = Web3Client.send_raw
    calls = {"n": 0}

    def crashing_send(self, raw, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise Crash("killed before sending")
        return real_send(self, raw, **kwargs)

    monkeypatch.setattr(Web3Client, "send_raw", crashing_send)
    start_nonce = deployer.nonce
    with pytest.raises(Crash):
        plan.run()
    monkeypatch.undo()
    journaled = Manifest.load(manifest_path)
    assert len(journaled.pending) == 1
    events: list[StepEvent] = []
    make_plan(project, networks, deployer, roles_config, manifest_path, events).run()
    final = Manifest.load(manifest_path)
    assert final.pending == {}
    assert {e.step for e in sent(events)}.isdisjoint(journaled.steps)
    [lost] = journaled.pending.values()
    assert [e.status for e in events if e.tx_hash == lost["tx_hash"]] == ["adopted"]
    # One transaction per batch across both runs; the lost one broadcast as journaled.
    assert deployer.nonce - start_nonce == len(transactions(final))


def transactions(manifest: Manifest) -> set[str]:
    return {step["tx_hash"] for step in manifest.steps.values()}


def test_resume_after_crash_after_send(
    project, networks, deployer, roles_config, manifest_path, monkeypatch, chain
):
    """Crash after the tx was mined but before the manifest recorded it: it is adopted."""
    plan = make_plan(project, networks, deployer, roles_config, manifest_path)
    real_send = Web3Client.send_raw
    calls = {"n": 0}

    def send_then_crash(self, raw, **kwargs):
        calls["n"] += 1
        real_send(self, raw, **kwargs)
        if calls["n"] == 1:
            raise Crash("killed after sending")

    monkeypatch.setattr(Web3Client, "send_raw", send_then_crash)
    start_nonce = deployer.nonce
    with pytest.raises(Crash):
        plan.run()
    monkeypatch.undo()
    assert "deploy:CityAccessManager" in Manifest.load(manifest_path).pending
    events: list[StepEvent] = []
    make_plan(project, networks, deployer, roles_config, manifest_path, events).run()
    adopted = [e for e in events if e.status == "adopted"]
    assert [e.step for e in adopted] == ["deploy:CityAccessManager"]
    final = Manifest.load(manifest_path)
    assert final.pending == {}
    # The manifest's run history says what happened and what the second run resumed.
    assert events[0].status == "resumed" and "failed (Crash)" in events[0].detail
    first, second = final.data["runs"]
    assert (first["status"], first["error"], second["status"]) == ("failed", "Crash", "complete")
    assert second["resumed"]["pending"] == ["deploy:CityAccessManager"]
    assert second["adopted"] == ["deploy:CityAccessManager"] and second["dropped"] == []
    # One transaction per batch, the crashed deploy included: nothing sent twice.
    assert deployer.nonce - start_nonce == len(transactions(final))


def test_admin_handover_then_rerun_is_noop(
    project, networks, deployer, roles_config, manifest_path, accounts
):
    city_multisig = accounts[14 - 1]  # any account standing in for the city's multisig
    roles = replace(roles_config, admin=AccountRef(address=city_multisig.address))
    make_plan(project, networks, deployer, roles, manifest_path).run()
    manager = project.CityAccessManager.at(
        Manifest.load(manifest_path).address_of("CityAccessManager")
    )
    assert manager.hasRole(ADMIN_ROLE, city_multisig)[0]
    assert not manager.hasRole(ADMIN_ROLE, deployer)[0]
    events: list[StepEvent] = []
    make_plan(project, networks, deployer, roles, manifest_path, events).run()
    assert sent(events) == []
    # A new grant now needs the admin: the plan says so instead of failing on chain.
    extra = replace(
        roles,
        agencies=(
            *roles.agencies,
            replace(
                roles.agencies[0],
                name="new_office",
                account=AccountRef(address=accounts[19].address),
            ),
        ),
    )
    with pytest.raises(DeployError, match="needs ADMIN_ROLE"):
        make_plan(project, networks, deployer, extra, manifest_path).run()


def test_manifest_for_another_chain_is_refused(
    project, networks, deployer, roles_config, manifest_path
):
    make_plan(project, networks, deployer, roles_config, manifest_path).run()
    data = json.loads(manifest_path.read_text())
    data["chain_id"] = 424242
    manifest_path.write_text(json.dumps(data))
    # On the ephemeral local chain a foreign manifest is replaced, never trusted.
    events: list[StepEvent] = []
    make_plan(project, networks, deployer, roles_config, manifest_path, events)
    assert events[0].status == "reset"
    from civic_ledger.chain.manifest import ManifestError

    with pytest.raises(ManifestError, match="belongs to chain 424242"):
        DeployPlan.connected(
            sender=deployer, roles=roles_config, manifest_path=manifest_path, accounts=None,
            network_name="city-devnet", contracts=SPECS,
        )  # fmt: skip


def test_tampered_code_hash_is_detected(project, networks, deployer, roles_config, manifest_path):
    make_plan(project, networks, deployer, roles_config, manifest_path).run()
    data = json.loads(manifest_path.read_text())
    data["contracts"]["CityToken"]["code_hash"] = "0x" + "00" * 32
    manifest_path.write_text(json.dumps(data))
    with pytest.raises(DeployError, match="does not match the code hash"):
        make_plan(project, networks, deployer, roles_config, manifest_path).run()


def test_modules_link_is_set_once_skipped_or_refused(
    project, networks, deployer, roles_config, suite, tmp_path
):
    """TitleRegistry.setModules is set once: a re-run of the full plan finds it done (nothing
    sent); a manifest naming another lien registry is refused with a sentence before anything
    could replace the wired module (the chain would refuse too: TitleModulesAlreadySet)."""
    manifest = tmp_path / "deployments" / "local.json"
    manifest.parent.mkdir()
    manifest.write_text(suite.manifest.path.read_text())

    def plan(events: list[StepEvent]) -> DeployPlan:
        return DeployPlan.connected(
            sender=deployer, roles=roles_config, manifest_path=manifest, report=events.append
        )

    events: list[StepEvent] = []
    plan(events).run()
    assert sent(events) == []
    assert ("link:TitleRegistry.setModules", "done") in [(e.step, e.status) for e in events]

    titles = suite["TitleRegistry"]
    # another lien registry of this title registry: a second proxy on the recorded implementation
    data = json.loads(manifest.read_text())
    implementation = data["contracts"]["LienRegistry"]["implementation"]
    init = (suite["CityAccessManager"], titles, suite["IdentityRegistry"])
    other = project.CityProxy.deploy(
        implementation, initializer_calldata(project.LienRegistry, init), sender=deployer
    )
    data["contracts"]["LienRegistry"]["address"] = other.address
    manifest.write_text(json.dumps(data))
    with pytest.raises(DeployError, match=r"already wired to lienRegistry .* called only once"):
        plan([]).run()
    assert titles.lienRegistry() == suite["LienRegistry"].address


def test_published_abis_and_role_catalogue(
    deployed, project, networks, deployer, roles_config, manifest_path, accounts
):
    """What an outside integrator reads (issue #14): an ABI file per contract referenced from
    the manifest, and every role with its id, functions and members; a re-run changes nothing."""
    data = json.loads(manifest_path.read_text())
    folder = manifest_path.parent
    for name, entry in data["contracts"].items():
        document = json.loads((folder / entry["abi"]).read_text())
        assert document["contractName"] == name
        assert {"abi", "userdoc", "devdoc"} <= set(document)
    token_abi = json.loads((folder / data["contracts"]["CityToken"]["abi"]).read_text())
    names = {item.get("name") for item in token_abi["abi"]}
    assert {"mint", "transfer", "upgradeToAndCall", "CityTokenMinted"} <= names
    assert "notice" in json.dumps(token_abi["userdoc"])
    roles = {row["name"]: row for row in data["roles"]["catalogue"]}
    treasurer = roles["TREASURER"]
    assert treasurer["id"] == RoleId.TREASURER
    assert {"contract": "CityToken", "function": "mint(address,uint256)"} in treasurer["functions"]
    finance = next(a for a in roles_config.agencies if a.name == "finance_bureau")
    assert accounts[finance.account.test_account].address in treasurer["members"]
    assert roles["UPGRADER"]["members"] == [deployer.address]
    assert {"contract": "CityToken", "function": "upgradeToAndCall(address,bytes)"} in roles[
        "UPGRADER"
    ]["functions"]

    files = {p: p.read_bytes() for p in folder.rglob("*.json")}
    make_plan(project, networks, deployer, roles_config, manifest_path).run()
    assert {p: p.read_bytes() for p in folder.rglob("*.json")} == files


def test_deployed_proxies_keep_one_interface_in_apes_cache(suite, chain):
    """A deployed proxy's instance, and what Ape's cache holds for its address, carry its
    implementation's interface once: each error, event and function appears once, so look-ups
    by name (`contract.SomeError`) keep working. (Registering a proxy through Ape's proxy
    detection appended the interface to itself; ape_console_extras registers without it.)"""
    from collections import Counter

    from civic_ledger.spec import all_contracts

    for spec in all_contracts():
        if not spec.upgradeable:
            continue
        for contract_type in (suite[spec.name].contract_type,
                              chain.contracts.get(suite[spec.name].address)):  # fmt: skip
            seen = Counter(
                (abi.type, abi.selector if hasattr(abi, "selector") else abi.name)
                for abi in contract_type.abi
                if abi.type in ("error", "event", "function")
            )
            twice = sorted(str(k) for k, n in seen.items() if n > 1)
            assert not twice, f"{spec.name}: {twice[:5]}"
