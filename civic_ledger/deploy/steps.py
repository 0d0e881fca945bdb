"""The steps of the deploy plan: what a step is, and the steps deploying the contracts.

Every on-chain action is a *step* with a stable id (`deploy:TitleRegistry`,
`grant:REGISTRAR:0xabc…`, …) and a check asking the chain (or, where the chain has no getter,
the manifest) whether it is already done. This module holds `Step`, `StepEvent` (what the plan
reports), the ids shared by every builder, and the builders of the contracts themselves: each
implementation, then each contract (behind its proxy when upgradeable). The permission and
wiring steps are in `civic_ledger.deploy.wiring`; upgrades in `upgrade`, the catalogue in
`catalogue`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_utils import keccak

from civic_ledger.core.exceptions import DeployError
from civic_ledger.deploy.proxy import PROXY, implementation_of, initializer_calldata
from civic_ledger.spec import ContractSpec

if TYPE_CHECKING:
    from civic_ledger.deploy.plan import DeployPlan


@dataclass(frozen=True)
class StepEvent:
    """What the plan reports for each step: `done` (already on chain), `sent`, `adopted`
    (a journaled transaction from an interrupted run was found mined), `dropped` (a journaled
    transaction was never mined: its steps are checked again and re-sent if still missing),
    `resumed` (once per run, when the previous run on this manifest did not finish)."""

    step: str
    status: str
    detail: str = ""
    tx_hash: str | None = None
    gas_used: int | None = None


@dataclass(frozen=True)
class Step:
    """One idempotent action. Either `build` (a whole transaction, e.g. a deployment) or
    `call` (calldata for a function of the AccessManager itself: such steps are batched per
    phase into one `multicall` transaction holding only the missing ones)."""

    id: str
    description: str
    is_done: Callable[[], bool]
    build: Callable[[], Any] | None = None  # -> Ape TransactionAPI
    call: Callable[[], bytes] | None = None  # -> calldata on the manager
    after: Callable[[Any], dict[str, Any]] | None = None  # receipt -> extra manifest fields
    needs_admin: bool = True
    signer: Any = None  # the account that signs a `build` step (default: the plan's sender)


def standalone_step(
    step_id: str,
    description: str,
    is_done: Callable[[], bool],
    build: Callable[[], Any],
    after: Callable[[Any], dict[str, Any]] | None = None,
    signer: Any = None,
) -> Step:
    """A `build` step whose sender needs no ADMIN_ROLE on the manager: a deployment, an upgrade
    stage (UPGRADER's), a catalogue entry (signed by the records administrator)."""
    return Step(step_id, description, is_done, build, None, after, False, signer)


def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


def summarise(steps: list[Step]) -> str:
    """`12 x label, 11 x guardian` for a batch of steps."""
    counts: dict[str, int] = {}
    for step in steps:
        kind = step.id.split(":", 1)[0]
        counts[kind] = counts.get(kind, 0) + 1
    return "batch: " + ", ".join(f"{n} x {kind}" for kind, n in counts.items())


# ------------------------------------------------------------------------------ the contracts


def deploy_steps(plan: DeployPlan) -> Iterator[Step]:
    for spec in plan.specs:
        if spec.upgradeable:
            yield _implementation_step(plan, spec)
        yield _deployment_step(plan, spec)


def _deployment_step(plan: DeployPlan, spec: ContractSpec) -> Step:
    """The contract itself: a plain deployment, or the CityProxy of an upgradeable one
    (initialised in the same transaction with `initialize(args)`)."""

    def build() -> Any:
        args = list(spec.args(plan))
        plan.manifest.data.setdefault("constructor_args", {})[spec.name] = [str(a) for a in args]
        if not spec.upgradeable:
            return getattr(plan.project, spec.name)(*args, sender=plan.sender)
        implementation = plan.current_implementation(spec.name)["address"]
        data = initializer_calldata(getattr(plan.project, spec.name), args)
        return getattr(plan.project, PROXY)(implementation, data, sender=plan.sender)

    def after(receipt: Any) -> dict[str, Any]:
        address = receipt.contract_address
        artefact = PROXY if spec.upgradeable else spec.name
        entry: dict[str, Any] = {
            "address": address,
            "tx_hash": receipt.txn_hash,
            "block": receipt.block_number,
            "code_hash": plan.code_hash(address),
            "bytecode_hash": plan.bytecode_hash(artefact),
            "domain": spec.domain,
            "compiler": _compiler_info(plan, spec.name),
        }
        if spec.upgradeable:
            entry["proxy"] = "ERC-1967 (UUPS)"
            entry["implementation"] = plan.current_implementation(spec.name)["address"]
        plan.manifest.contracts[spec.name] = entry
        return {"address": address}

    what = f"deploy {spec.name}" + (" behind its proxy" if spec.upgradeable else "")
    return standalone_step(
        f"deploy:{spec.name}", what, lambda: _verify_deployed(plan, spec), build, after
    )


def _implementation_step(plan: DeployPlan, spec: ContractSpec) -> Step:
    """The implementation an upgradeable contract's proxy is first deployed with. Every
    implementation ever deployed is listed in the manifest's `implementations`, with its
    code hash, version and storage layout (what later upgrades are checked against)."""

    def done() -> bool:
        if spec.name in plan.manifest.contracts:
            return True  # deployed: only `--upgrade` deploys further implementations
        entry = plan.implementation_entry(spec.name, plan.bytecode_hash(spec.name))
        if entry is None:
            return False
        if plan.code_hash(entry["address"]) != entry["code_hash"]:
            raise DeployError(
                f"code at {entry['address']} does not match the code hash recorded for "
                f"the {spec.name} implementation: refusing to continue"
            )
        return True

    def after(receipt: Any) -> dict[str, Any]:
        address = receipt.contract_address
        plan.record_implementation(spec.name, spec.name, address, receipt)
        return {"address": address}

    def build() -> Any:
        return getattr(plan.project, spec.name)(sender=plan.sender)

    what = f"deploy the {spec.name} implementation"
    return standalone_step(f"implementation:{spec.name}", what, done, build, after)


def _verify_deployed(plan: DeployPlan, spec: ContractSpec) -> bool:
    """Whether `spec` is deployed as the manifest says: code there, the recorded code, the
    compiled code unchanged — and, behind a proxy, the recorded implementation."""
    name = spec.name
    entry = plan.manifest.contracts.get(name)
    if entry is None:
        return False
    address = entry["address"]
    if not plan.provider.get_code(address):
        raise DeployError(
            f"manifest says {name} is at {address} but there is no code there: "
            "wrong network, or the chain was reset (move the manifest away to deploy anew)"
        )
    on_chain = plan.code_hash(address)
    if on_chain != entry["code_hash"]:
        raise DeployError(
            f"code at {address} does not match the code hash recorded for {name} "
            f"({on_chain[:12]}… != {entry['code_hash'][:12]}…): refusing to continue"
        )
    if not spec.upgradeable:
        if plan.bytecode_hash(name) != entry["bytecode_hash"]:
            raise DeployError(
                f"{name} changed since it was deployed at {address} (compiled bytecode "
                "differs from the manifest). Deploy to a fresh network, or move the "
                "manifest away."
            )
        return True
    current = implementation_of(plan.provider.web3, address)
    if current.lower() != str(entry.get("implementation", "")).lower():
        raise DeployError(
            f"{name}'s proxy at {address} runs implementation {current}, but the manifest "
            f"records {entry.get('implementation')}: an upgrade happened outside this plan"
        )
    running = plan.current_implementation(name)
    artefact = running.get("artefact", name)
    if running["bytecode_hash"] != plan.bytecode_hash(artefact) and name not in plan.upgrades:
        raise DeployError(
            f"{name} changed since its implementation {current} was deployed (compiled "
            f"bytecode differs): propose an upgrade with `ape run deploy --upgrade {name}`"
        )
    return True


def _compiler_info(plan: DeployPlan, name: str) -> dict[str, Any]:
    for compiler in plan.project.manifest.compilers or []:
        if name in (compiler.contractTypes or []):
            settings = compiler.settings or {}
            return {
                "name": compiler.name,
                "version": compiler.version,
                "evm_version": settings.get("evmVersion"),
                "optimizer": settings.get("optimizer"),
            }
    return {}
