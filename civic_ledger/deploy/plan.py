"""The deploy plan: deploy the suite, wire permissions, grant agency roles — idempotently.

What to deploy, in which order: the plan's phases, each a list of idempotent steps
(`civic_ledger.deploy.steps` for the contracts, `wiring` for permissions and links, `upgrade`,
`catalogue`), run by `executor` (journaled, resumable) and signed by the accounts of `accounts`.
The plan is also what steps and contract specs ask while it runs: addresses, instances, and
what the manifest records about every contract and implementation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from eth_utils import keccak

from civic_ledger.chain.client import Web3Client, next_block_time
from civic_ledger.chain.manifest import Manifest
from civic_ledger.core.config import AccountRef, RolesConfig, SafeAdmin
from civic_ledger.core.exceptions import DeployError
from civic_ledger.core.introspect import project_ast
from civic_ledger.core.names import MANAGER
from civic_ledger.deploy.accounts import PlanAccounts
from civic_ledger.deploy.artefacts import publish
from civic_ledger.deploy.catalogue import catalogue_steps, load_catalogue
from civic_ledger.deploy.executor import Executor, open_plan_manifest
from civic_ledger.deploy.layout import layout_of
from civic_ledger.deploy.safe import safe_address, safe_steps
from civic_ledger.deploy.steps import Step, StepEvent, deploy_steps
from civic_ledger.deploy.upgrade import upgrade_steps
from civic_ledger.deploy.wiring import (
    function_role_steps,
    grant_delay_steps,
    grant_steps,
    handover_steps,
    link_steps,
    role_steps,
    upgrade_governance_steps,
)
from civic_ledger.spec import ContractSpec, all_contracts

Phase = Callable[["DeployPlan"], Iterable[Step]]


def _catalogue_phase(plan: DeployPlan) -> Iterator[Step]:
    if plan.catalogue is not None and "RecordRegistry" in plan.manifest.contracts:
        yield from catalogue_steps(plan, plan.catalogue)


def _upgrade_phase(stage: str) -> Phase:
    return lambda plan: upgrade_steps(plan, plan.upgrades, stage)


class DeployPlan:
    """Runs the plan against the connected provider. `project`, `provider` and `accounts` are
    Ape's objects (injected so tests and scripts share the code)."""

    PHASES: tuple[Phase, ...] = (
        deploy_steps,
        safe_steps,
        function_role_steps,
        role_steps,
        grant_steps,
        upgrade_governance_steps,
        grant_delay_steps,
        link_steps,
        _catalogue_phase,
        handover_steps,
        _upgrade_phase("implementation"),
        _upgrade_phase("schedule"),
        _upgrade_phase("execute"),
    )

    def __init__(
        self,
        *,
        project: Any,
        provider: Any,
        accounts: Any,
        sender: Any,
        roles: RolesConfig,
        manifest_path: Path,
        network_name: str,
        contracts: Iterable[ContractSpec] | None = None,
        report: Callable[[StepEvent], None] = lambda event: None,
        upgrades: Mapping[str, str] | None = None,
        catalogue: Path | None = None,
        catalogue_only: bool = False,
    ) -> None:
        self.project, self.provider = project, provider
        self.signers = PlanAccounts(accounts, sender, roles, network_name)
        self.accounts, self.sender, self.roles = accounts, sender, roles
        self.network_name = network_name
        self.specs = list(contracts) if contracts is not None else all_contracts()
        self.report = report
        self.upgrades = dict(upgrades or {})
        # Validated whole before anything is sent (CatalogueError names file:line).
        self.catalogue = load_catalogue(catalogue) if catalogue is not None else None
        # The records administrator applying the catalogue to an existing deployment.
        self.phases = (_catalogue_phase,) if catalogue_only else self.PHASES
        self.waiting: list[StepEvent] = []  # steps that wait for time to pass (upgrades)
        self.client = Web3Client.from_ape(provider)
        self.manifest = open_plan_manifest(
            manifest_path, self.client, network_name, self.ephemeral, report
        )
        self._instances: dict[str, Any] = {}

    @classmethod
    def connected(
        cls, *, sender: Any, roles: RolesConfig, manifest_path: Path, **options: Any
    ) -> DeployPlan:
        """The plan on the network Ape is connected to, with Ape's project, provider, accounts
        and network name; `options` are the constructor's other keywords (a session value given
        there, e.g. `network_name`, overrides the session's)."""
        from ape import accounts, networks, project

        session = {
            "project": project,
            "provider": networks.provider,
            "accounts": accounts,
            "network_name": networks.provider.network.name,
        }
        return cls(
            sender=sender, roles=roles, manifest_path=manifest_path, **{**session, **options}
        )

    # -- context offered to ContractSpec resolvers --------------------------------------

    def address_of(self, contract: str) -> str:
        return self.manifest.address_of(contract)

    @property
    def treasury(self) -> str:
        return self.signers.treasury

    @property
    def admin(self) -> str:
        return self.sender.address

    # -- accounts (civic_ledger.deploy.accounts) ------------------------------------------

    @property
    def ephemeral(self) -> bool:
        return self.signers.ephemeral

    def resolve(self, ref: AccountRef) -> str:
        return self.signers.resolve(ref)

    def final_admin(self) -> str:
        """Who ends up holding ADMIN_ROLE: the roles file's account, or the Safe the plan
        deployed for it."""
        if isinstance(self.roles.admin, SafeAdmin):
            return safe_address(self)
        return self.signers.final_admin()

    def records_admin(self) -> Any | None:
        """An account of this machine holding RECORDS_ADMIN per the roles file, or None."""
        return self.signers.records_admin(self._deployed_manager())

    def _deployed_manager(self) -> Any | None:
        return self.manager if MANAGER in self.manifest.contracts else None

    # -- contracts ---------------------------------------------------------------------

    def instance(self, name: str) -> Any:
        if name not in self._instances:
            container = getattr(self.project, name)
            self._instances[name] = container.at(self.address_of(name))
        return self._instances[name]

    @property
    def manager(self) -> Any:
        return self.instance(MANAGER)

    def bytecode_hash(self, name: str) -> str:
        container = getattr(self.project, name)
        return "0x" + keccak(hexstr=container.contract_type.deployment_bytecode.bytecode).hex()

    def code_hash(self, address: str) -> str:
        return "0x" + keccak(bytes(self.provider.get_code(address))).hex()

    def record_implementation(self, name: str, artefact: str, address: str, receipt: Any) -> None:
        """List a freshly deployed implementation of `name` (compiled `artefact`) in the
        manifest, with what later upgrades are checked against."""
        implementation = getattr(self.project, artefact).at(address)
        self.manifest.data.setdefault("implementations", {}).setdefault(name, []).append(
            {
                "address": address,
                "artefact": artefact,
                "tx_hash": receipt.txn_hash,
                "block": receipt.block_number,
                "code_hash": self.code_hash(address),
                "bytecode_hash": self.bytecode_hash(artefact),
                "version": implementation.version(),
                "layout": layout_of(artefact, project_ast()).to_json(),
            }
        )

    def implementation_entry(self, name: str, bytecode_hash: str) -> dict[str, Any] | None:
        for entry in self.manifest.data.get("implementations", {}).get(name, []):
            if entry["bytecode_hash"] == bytecode_hash:
                return entry
        return None

    def current_implementation(self, name: str) -> dict[str, Any]:
        """The implementation entry the proxy of `name` runs (or is about to be deployed with)."""
        deployed = self.manifest.contracts.get(name, {}).get("implementation")
        entries = self.manifest.data.get("implementations", {}).get(name, [])
        for entry in entries:
            if deployed is not None and entry["address"].lower() == deployed.lower():
                return entry
        if deployed is None and entries:
            return entries[-1]
        raise DeployError(f"the manifest lists no implementation for {name}")

    # -- reporting and time, for the upgrade steps ----------------------------------------

    def report_done(self, step_id: str, detail: str) -> None:
        self.report(StepEvent(step_id, "done", detail))

    def report_waiting(self, step_id: str, detail: str) -> None:
        event = StepEvent(step_id, "waiting", detail)
        self.waiting.append(event)
        self.report(event)

    def chain_time(self) -> int:
        """The timestamp the next block will (at least) carry (see `next_block_time`)."""
        return next_block_time(self.provider.web3)

    # -- running ---------------------------------------------------------------------------

    def steps(self) -> Iterator[Step]:
        """Every step of the plan (phases are generated lazily: later phases read addresses
        that earlier phases deploy)."""
        for phase in self.phases:
            yield from phase(self)

    def run(self) -> Manifest:
        """Run every missing step (`civic_ledger.deploy.executor`), then publish the ABI files
        and the role catalogue. Returns the manifest (saved after every transaction)."""
        self.manifest.data["deployer"] = self.manifest.data.get("deployer") or self.sender.address
        executor = Executor(
            self.manifest,
            self.client,
            provider=self.provider,
            sender=self.sender,
            report=self.report,
            multicall=lambda calls: self.manager.multicall.as_transaction(
                calls, sender=self.sender
            ),
            sender_is_admin=lambda: self.signers.sender_is_admin(self._deployed_manager()),
        )
        executor.run(
            [lambda phase=phase: phase(self) for phase in self.phases],
            finish=lambda: publish(self),  # unchanged files when nothing changed
        )
        return self.manifest
