"""The city's admin as a 2-of-3 Safe (issue #15): the deploy plan deploys Safe v1.4.1 from its
npm artefacts and hands ADMIN_ROLE to it; grant-role and unpause go through the Safe (propose,
two owners sign offline into files, execute). One owner alone, a forged or non-owner
signature, an owner twice, a replayed proposal and an edited proposal are refused, nothing
sent."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import ape
import pytest
from hostile.harness import assert_one_line_error, chain_fingerprint, invoke

from civic_ledger.access.roles import ADMIN_ROLE, RoleId
from civic_ledger.cli import safe as safe_cli
from civic_ledger.cli.common import Suite
from civic_ledger.core.config import load_roles_file
from civic_ledger.core.paths import CONFIG_DIR
from civic_ledger.deploy.plan import DeployPlan
from civic_ledger.safe import artefacts
from civic_ledger.safe.signatures import OwnerSignature, SafeState, pack, sign
from civic_ledger.safe.transaction import Proposal, SafeTx, safe_tx_hash

OWNERS = ("TEST::16", "TEST::17", "TEST::18")
STRANGER = "TEST::19"


def _plan(project: Any, networks: Any, accounts: Any, manifest: Path) -> DeployPlan:
    return DeployPlan(
        project=project, provider=networks.provider, accounts=ape.accounts, sender=accounts[0],
        roles=load_roles_file(CONFIG_DIR / "roles.safe.yaml"), manifest_path=manifest,
        network_name=networks.provider.network.name,
    )  # fmt: skip


@pytest.fixture(scope="module")
def city(project: Any, networks: Any, accounts: Any, tmp_path_factory: Any) -> Suite:
    """A second suite, deployed with config/roles.safe.yaml: a 2-of-3 Safe is the admin."""
    manifest = tmp_path_factory.mktemp("safe-deployment") / "local.json"
    plan = _plan(project, networks, accounts, manifest)
    plan.run()
    return Suite.from_manifest(plan.manifest)


def test_a_rerun_sends_nothing(city: Suite, project: Any, networks: Any, accounts: Any) -> None:
    """The Safe steps are checked on chain like every other: all done, nothing sent (the
    deployer, no longer admin, could not send the admin steps anyway)."""
    before = chain_fingerprint()
    events: list[Any] = []
    plan = _plan(project, networks, accounts, Path(city.manifest.path))
    plan.report = events.append
    plan.run()
    assert chain_fingerprint() == before
    done = {e.step for e in events if e.status == "done"}
    assert {"safe:singleton", "safe:factory", "safe:fallback_handler", "safe:proxy"} <= done


@pytest.fixture
def run(city: Suite) -> Any:
    def run(name: str, *args: str, ok: bool = True, names: tuple[str, ...] = ()) -> str:
        """The command's output; `ok=False`: one `Error:` line naming `names`, exit 1 or 2,
        and nothing sent."""
        before = chain_fingerprint()
        outcome = invoke(
            safe_cli.safe.commands[name], [*args, "--manifest", str(city.manifest.path)]
        )
        if ok:
            assert outcome.exit_code == 0, outcome.output
        else:
            assert outcome.exit_code in (1, 2), outcome.output
            assert chain_fingerprint() == before, "a refused command sent something"
            assert_one_line_error(outcome.stderr, names, args)
        return " ".join(outcome.output.split())

    return run


def _safe(city: Suite) -> Any:
    return artefacts.at(artefacts.SINGLETON, city.manifest.data["safe"]["address"])


def test_the_safe_holds_admin_and_the_deployer_does_not(city: Suite, accounts: Any) -> None:
    safe, manager = _safe(city), city["CityAccessManager"]
    entry = city.manifest.data["safe"]
    assert entry["version"] == "1.4.1" and entry["threshold"] == 2
    assert sorted(safe.getOwners()) == sorted(accounts[i].address for i in (16, 17, 18))
    assert int(safe.getThreshold()) == 2
    assert manager.hasRole(ADMIN_ROLE, safe.address)[0]
    assert not manager.hasRole(ADMIN_ROLE, accounts[0].address)[0]
    assert entry["address"] == city.manifest.data["roles"]["admin"]
    for part in ("singleton", "factory", "fallback_handler"):
        assert entry[part]["code_hash"].startswith("0x")


def test_our_hash_is_the_safes(city: Suite, accounts: Any) -> None:
    safe = _safe(city)
    tx = SafeTx(to=accounts[5].address, value=7, data=b"\x01\x02\x03", nonce=41)
    on_chain = safe.getTransactionHash(
        tx.to, tx.value, tx.data, tx.operation, tx.safe_tx_gas, tx.base_gas, tx.gas_price,
        tx.gas_token, tx.refund_receiver, tx.nonce,
    )  # fmt: skip
    assert bytes(on_chain) == safe_tx_hash(tx, int(ape.chain.chain_id), safe.address)
    assert bytes(on_chain) != safe_tx_hash(tx, int(ape.chain.chain_id) + 1, safe.address)


def test_grant_role_through_the_safe(city: Suite, run: Any, accounts: Any, tmp_path: Path) -> None:
    clerk, manager = accounts[12], city["CityAccessManager"]
    assert not manager.hasRole(RoleId.TREASURER, clerk.address)[0]
    proposal = tmp_path / "grant.json"
    out = run("propose", "grant-role", "TREASURER", clerk.address, "--out", str(proposal))
    assert "grantRole(TREASURER" in out and "2 of 3 owners" in out
    doc = json.loads(proposal.read_text())
    assert doc["description"].startswith(f"grantRole(TREASURER, {clerk.address}")

    # One owner alone is refused, nothing sent.
    run("sign", str(proposal), "--account", OWNERS[0])
    [first] = tmp_path.glob("grant.*.sig.json")
    assert first.name == f"grant.{accounts[16].address}.sig.json"
    assert "missing 1 of 2" in run("status", str(proposal))
    run("execute", str(proposal), "--account", STRANGER, ok=False, names=("1 of the 2",))
    # The same owner twice is refused.
    twice = tmp_path / "twice.sig.json"
    shutil.copy(first, twice)
    run("execute", str(proposal), str(first), str(twice), "--account", STRANGER, ok=False,
        names=("already signed",))  # fmt: skip
    # A non-owner cannot sign, and a non-owner's signature file is refused.
    run("sign", str(proposal), "--account", STRANGER, ok=False, names=("not an owner",))
    stranger = sign(Proposal.read(proposal), accounts[19])
    stranger_file = tmp_path / "stranger.sig.json"
    stranger_file.write_text(stranger.to_json())
    run("execute", str(proposal), str(first), str(stranger_file), "--account", STRANGER,
        ok=False, names=("is not an owner",))  # fmt: skip
    # A forged file: the stranger's signature labelled as owner 17's.
    forged = tmp_path / "forged.sig.json"
    forged.write_text(stranger.to_json().replace(stranger.owner, accounts[17].address))
    run("execute", str(proposal), str(first), str(forged), "--account", STRANGER, ok=False,
        names=("forged",))  # fmt: skip
    shown = run("status", str(proposal), str(first), str(forged), str(stranger_file))
    assert "missing 1 of 2" in shown and "forged?" in shown and "is not an owner" in shown
    assert not manager.hasRole(RoleId.TREASURER, clerk.address)[0]

    run("sign", str(proposal), "--account", OWNERS[2])
    assert "missing 0 of 2" in run("status", str(proposal))
    sigs = sorted(tmp_path.glob("grant.*.sig.json"))
    out = run("execute", str(proposal), *map(str, sigs), "--account", STRANGER)
    assert "executed grantRole(TREASURER" in out
    assert manager.hasRole(RoleId.TREASURER, clerk.address)[0]

    # Replaying the executed proposal is refused (its nonce is used).
    run("execute", str(proposal), *map(str, sigs), "--account", STRANGER, ok=False,
        names=("stale",))  # fmt: skip
    run("sign", str(proposal), "--account", OWNERS[1], ok=False, names=("stale",))


def test_unpause_through_the_safe(city: Suite, run: Any, accounts: Any, tmp_path: Path) -> None:
    titles = city["TitleRegistry"]
    titles.pause(sender=accounts[13])  # the guardian
    assert titles.paused()
    # The deployer no longer can.
    with pytest.raises(Exception):  # noqa: B017 - any revert
        titles.unpause(sender=accounts[0])
    proposal = tmp_path / "unpause.json"
    run("propose", "unpause", "TitleRegistry", "--out", str(proposal))
    for owner in OWNERS[1:]:
        run("sign", str(proposal), "--account", owner)
    run("execute", str(proposal), "--account", OWNERS[0])  # the files beside it
    assert not titles.paused()


def test_edited_or_foreign_proposals_are_refused(
    city: Suite, run: Any, accounts: Any, tmp_path: Path
) -> None:
    proposal = tmp_path / "p.json"
    run("propose", "call", "CityAccessManager", "labelRole(uint64,string)", "5", "x", "--out",
        str(proposal))  # fmt: skip
    doc = json.loads(proposal.read_text())
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps({**doc, "tx": {**doc["tx"], "to": accounts[19].address}}))
    run("sign", str(edited), "--account", OWNERS[0], ok=False, names=("does not match",))
    # Another Safe's proposal (same fields, re-hashed for another address).
    state = SafeState.read(_safe(city), int(ape.chain.chain_id))
    other = Proposal.read(proposal)
    other = Proposal(other.chain_id, accounts[19].address, other.tx, other.description)
    foreign = tmp_path / "foreign.json"
    foreign.write_text(other.to_json())
    run("sign", str(foreign), "--account", OWNERS[0], ok=False, names=("not this deployment",))
    # A signature file of another proposal.
    signature = sign(other, accounts[16])
    wrong = tmp_path / "wrong.sig.json"
    wrong.write_text(signature.to_json())
    run("execute", str(proposal), str(wrong), "--account", STRANGER, ok=False,
        names=("another proposal",))  # fmt: skip
    assert state.nonce == int(_safe(city).call_view_method("nonce"))


def test_packing_orders_by_owner() -> None:
    low = OwnerSignature(1, "0x" + "11" * 20, 0, b"\0" * 32, "0x" + "01" * 20, b"\x01" * 65)
    high = OwnerSignature(1, "0x" + "11" * 20, 0, b"\0" * 32, "0x" + "ff" * 20, b"\x02" * 65)
    assert pack([high, low]) == b"\x01" * 65 + b"\x02" * 65


def _opcodes(code: bytes) -> set[int]:
    """The opcodes of `code`, walked instruction by instruction (push data skipped)."""
    seen, i = set(), 0
    while i < len(code):
        op = code[i]
        seen.add(op)
        i += 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
    return seen


def test_the_npm_artefacts_run_on_london(city: Suite) -> None:
    """Safe 1.4.1 was built with solc 0.7.6 for its default target (Istanbul): no PUSH0 (0x5f)
    or later opcodes; the plan deployed those bytes unchanged."""
    build_info = artefacts.PACKAGE / "build" / "artifacts" / "build-info"
    for info in build_info.glob("*.json"):
        data = json.loads(info.read_text())
        assert data["solcVersion"].startswith(("0.7.", "0.6.")), data["solcVersion"]
        assert data["input"]["settings"].get("evmVersion") in (None, "istanbul", "berlin", "london")
    entry = city.manifest.data["safe"]
    runtime = bytes.fromhex(artefacts.artefact(artefacts.SINGLETON)["deployedBytecode"][2:])
    assert bytes(ape.chain.provider.get_code(entry["singleton"]["address"])) == runtime
    assert 0x5F not in _opcodes(runtime)
