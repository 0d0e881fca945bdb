"""The upgrade step of the deploy plan (`ape run deploy --upgrade NAME[=ARTEFACT]`).

An upgrade of contract NAME to the compiled ARTEFACT (default: NAME as compiled now) is four
idempotent, journaled steps:

1. **check** (before anything is sent): the new implementation's storage layout must be
   compatible with the one the manifest recorded for the running implementation
   (`civic_ledger.deploy.layout`); otherwise the plan refuses with a sentence naming the
   variable.
2. **implementation**: deploy the new implementation (listed in the manifest's
   `implementations` with its code hash, version and layout).
3. **schedule**: the admin, holding UPGRADER with the notice period as execution delay,
   schedules `upgradeToAndCall(new, "")` in the AccessManager. From now on the pending upgrade
   is visible on chain (`OperationScheduled`) and the guardian can cancel it.
4. **execute**: once the notice period has passed, `AccessManager.execute`. Before that the
   step reports `waiting` with the earliest execution time: re-run the same command then.

The manifest's `upgrades` list keeps the history (from, to, operation id, when scheduled,
ready, executed or cancelled).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from eth_utils import keccak

from civic_ledger.core.exceptions import DeployError
from civic_ledger.core.introspect import project_ast
from civic_ledger.deploy.layout import ContractLayout, check_upgrade, layout_of
from civic_ledger.deploy.proxy import implementation_of
from civic_ledger.deploy.steps import Step, standalone_step

if TYPE_CHECKING:
    from civic_ledger.deploy.plan import DeployPlan


def parse_upgrades(values: tuple[str, ...] | list[str]) -> dict[str, str]:
    """`NAME` or `NAME=ARTEFACT` arguments -> {contract: compiled artefact}."""
    upgrades: dict[str, str] = {}
    for value in values:
        name, _, artefact = value.partition("=")
        name, artefact = name.strip(), (artefact.strip() or name.strip())
        if not name:
            raise DeployError(f"--upgrade {value!r}: expected NAME or NAME=ARTEFACT")
        upgrades[name] = artefact
    return upgrades


STAGES = ("implementation", "schedule", "execute")


def upgrade_steps(plan: DeployPlan, upgrades: Mapping[str, str], stage: str) -> Iterator[Step]:
    """The steps of one stage (the plan runs each stage as a phase of its own, so a stage sees
    what the previous one sent)."""
    specs = {spec.name: spec for spec in plan.specs}
    for name, artefact in upgrades.items():
        spec = specs.get(name)
        if spec is None or not spec.upgradeable:
            known = ", ".join(s for s, v in specs.items() if v.upgradeable)
            raise DeployError(f"--upgrade {name}: not an upgradeable contract ({known})")
        if name not in plan.manifest.contracts:
            raise DeployError(f"--upgrade {name}: {name} is not deployed yet: deploy first")
        if getattr(plan.project, artefact, None) is None:
            raise DeployError(f"--upgrade {name}={artefact}: no compiled contract {artefact}")
        yield from _steps_for(plan, name, artefact, stage)


def _steps_for(plan: DeployPlan, name: str, artefact: str, stage: str) -> Iterator[Step]:
    new_hash = plan.bytecode_hash(artefact)
    current = plan.current_implementation(name)
    pending = _pending_upgrade(plan, name)
    target_hash = pending["bytecode_hash"] if pending else new_hash
    if pending is None and current["bytecode_hash"] == new_hash:
        if stage == "implementation":
            plan.report_done(f"upgrade:{name}", f"{name} already runs {artefact} as compiled")
        return
    if stage == "schedule":
        yield _schedule_step(plan, name, target_hash)
        return
    if stage == "execute":
        yield _execute_step(plan, name, target_hash)
        return
    if pending is None:
        _check_layout(name, artefact, current)

    def record_implementation(receipt: Any) -> dict[str, Any]:
        address = receipt.contract_address
        plan.record_implementation(name, artefact, address, receipt)
        return {"address": address}

    yield standalone_step(
        f"upgrade:{name}:implementation:{target_hash[2:10]}",
        f"deploy the new {name} implementation ({artefact})",
        lambda: plan.implementation_entry(name, target_hash) is not None,
        lambda: getattr(plan.project, artefact)(sender=plan.sender),
        record_implementation,
    )


def _check_layout(name: str, artefact: str, current: Mapping[str, Any]) -> None:
    recorded = current.get("layout")
    if not recorded:
        raise DeployError(
            f"the manifest records no storage layout for the running {name} implementation: "
            "cannot prove the upgrade compatible"
        )
    problems = check_upgrade(ContractLayout.from_json(recorded), layout_of(artefact, project_ast()))
    if problems:
        raise DeployError(
            f"refusing to upgrade {name} to {artefact}: incompatible storage layout: "
            + "; ".join(problems)
        )


def _upgrade_call(plan: DeployPlan, name: str, new_implementation: str) -> bytes:
    proxy = plan.instance(name)
    return bytes(proxy.upgradeToAndCall.encode_input(new_implementation, b""))


def _pending_upgrade(plan: DeployPlan, name: str) -> dict[str, Any] | None:
    for record in reversed(plan.manifest.data.get("upgrades", [])):
        if record["contract"] == name and record["status"] == "scheduled":
            return record
    return None


def _schedule_step(plan: DeployPlan, name: str, target_hash: str) -> Step:
    def new_implementation() -> str:
        entry = plan.implementation_entry(name, target_hash)
        assert entry is not None, "the implementation step runs first"
        return entry["address"]

    def done() -> bool:
        pending = _pending_upgrade(plan, name)
        if pending is None:
            return False
        if pending["to"].lower() != new_implementation().lower():
            raise DeployError(
                f"an upgrade of {name} to {pending['to']} is already scheduled (operation "
                f"{pending['operation_id']}): let it run or have the guardian cancel it first"
            )
        return True

    def build() -> Any:
        manager = plan.manager
        data = _upgrade_call(plan, name, new_implementation())
        return manager.schedule.as_transaction(plan.address_of(name), data, 0, sender=plan.sender)

    def after(receipt: Any) -> dict[str, Any]:
        manager = plan.manager
        target = plan.address_of(name)
        data = _upgrade_call(plan, name, new_implementation())
        operation = manager.hashOperation(plan.sender.address, target, data)
        ready_at = int(manager.getSchedule(operation))
        current = plan.current_implementation(name)
        plan.manifest.data.setdefault("upgrades", []).append(
            {
                "contract": name,
                "from": current["address"],
                "from_version": current.get("version"),
                "to": new_implementation(),
                "to_version": plan.implementation_entry(name, target_hash).get("version"),
                "bytecode_hash": target_hash,
                "operation_id": "0x" + bytes(operation).hex(),
                "scheduled_by": plan.sender.address,
                "scheduled_tx": receipt.txn_hash,
                "ready_at": ready_at,
                "status": "scheduled",
            }
        )
        return {"operation_id": "0x" + bytes(operation).hex(), "ready_at": ready_at}

    what = f"schedule the upgrade of {name} (notice period: UPGRADER's execution delay)"
    return standalone_step(f"upgrade:{name}:schedule:{target_hash[2:10]}", what, done, build, after)


def _execute_step(plan: DeployPlan, name: str, target_hash: str) -> Step:
    def ready() -> bool:
        pending = _pending_upgrade(plan, name)
        proxy = plan.address_of(name)
        if pending is None:  # executed earlier (the record says so) or never scheduled
            return True
        if implementation_of(plan.provider.web3, proxy).lower() == pending["to"].lower():
            _mark_executed(plan, name, pending, tx_hash=None)
            return True
        operation = bytes.fromhex(pending["operation_id"][2:])
        scheduled = int(plan.manager.getSchedule(operation))
        if scheduled == 0:
            pending["status"] = "cancelled"
            plan.manifest.save()
            raise DeployError(
                f"the upgrade of {name} to {pending['to']} was cancelled (or expired) in the "
                "AccessManager: nothing was changed; run the upgrade again to schedule it anew"
            )
        now = plan.chain_time()
        if now < scheduled:
            plan.report_waiting(
                f"upgrade:{name}",
                f"{name}: upgrade to {pending['to']} ({pending.get('to_version')}) is scheduled; "
                f"it can run from {_utc(scheduled)} (in {scheduled - now}s): re-run this "
                "command then (the guardian can cancel it until it runs)",
            )
            return True
        return False

    def build() -> Any:
        pending = _pending_upgrade(plan, name)
        assert pending is not None
        data = _upgrade_call(plan, name, pending["to"])
        return plan.manager.execute.as_transaction(plan.address_of(name), data, sender=plan.sender)

    def after(receipt: Any) -> dict[str, Any]:
        pending = _pending_upgrade(plan, name)
        assert pending is not None
        _mark_executed(plan, name, pending, tx_hash=receipt.txn_hash)
        return {"implementation": pending["to"]}

    what = f"execute the scheduled upgrade of {name}"
    return standalone_step(f"upgrade:{name}:execute:{target_hash[2:10]}", what, ready, build, after)


def _mark_executed(
    plan: DeployPlan, name: str, record: dict[str, Any], tx_hash: str | None
) -> None:
    record["status"] = "executed"
    record["executed_tx"] = tx_hash
    record["executed_at"] = plan.chain_time()
    plan.manifest.contracts[name]["implementation"] = record["to"]
    plan.manifest.save()


def _utc(timestamp: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp))


def operation_id(caller: str, target: str, data: bytes) -> bytes:
    """AccessManager.hashOperation(caller, target, data), computed off chain."""
    from eth_abi import encode

    return keccak(encode(["address", "address", "bytes"], [caller, target, data]))
