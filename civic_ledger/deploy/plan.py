"""The deploy plan: deploy the suite, wire permissions, grant agency roles — idempotently.

Every on-chain action is a *step* with a stable id (`deploy:TitleRegistry`,
`grant:REGISTRAR:0xabc…`, …). For each step the plan first asks the chain (or, where the chain
has no getter, the manifest) whether it is already done; only missing steps send a transaction.
Each transaction is signed, journaled in the manifest as pending (hash + nonce), then sent; once
mined it is recorded as done. A crash at any point therefore resumes cleanly: a pending step is
resolved from its receipt (adopted if mined, retried if it was dropped), never sent twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils import keccak, to_checksum_address

from civic_ledger.access.roles import ADMIN_ROLE, BY_NAME, PUBLIC_ROLE, ROLES
from civic_ledger.chain.client import Web3Client
from civic_ledger.chain.journal import SentBatch
from civic_ledger.chain.manifest import Manifest, check_chain, first_contract_alive
from civic_ledger.chain.settle import settle
from civic_ledger.core.config import AccountRef, RolesConfig
from civic_ledger.core.exceptions import ChainMismatch, DeployError, ManifestError
from civic_ledger.core.introspect import project_ast
from civic_ledger.core.names import MANAGER
from civic_ledger.core.revert import explain
from civic_ledger.deploy.artefacts import publish
from civic_ledger.deploy.catalogue import catalogue_steps, load_catalogue
from civic_ledger.deploy.layout import layout_of
from civic_ledger.deploy.proxy import PROXY, implementation_of, initializer_calldata
from civic_ledger.deploy.upgrade import upgrade_steps
from civic_ledger.spec import ContractSpec, all_contracts

#: Development chains: test accounts allowed in the roles file, and a manifest whose contracts
#: are gone (the chain was reset) is started afresh instead of refused.
EPHEMERAL_NETWORKS = {"local", "city-local"}
MAX_RUNS_KEPT = 20  # run records kept in the manifest's `runs` history


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


def role_id(name: str) -> int:
    if name.upper() == "ADMIN":
        return ADMIN_ROLE
    if name.upper() == "PUBLIC":
        return PUBLIC_ROLE
    return BY_NAME[name.upper()].id


def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


class DeployPlan:
    """Runs the plan against the connected provider. `project`, `provider` and `accounts` are
    Ape's objects (injected so tests and scripts share the code)."""

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
        self.project = project
        self.provider = provider
        self.accounts = accounts
        self.sender = sender
        self.roles = roles
        self.network_name = network_name
        self.specs = list(contracts) if contracts is not None else all_contracts()
        self.report = report
        self.upgrades = dict(upgrades or {})
        # Validated whole before anything is sent (CatalogueError names file:line).
        self.catalogue = load_catalogue(catalogue) if catalogue is not None else None
        # The records administrator applying the catalogue to an existing deployment.
        self.phases = ("_catalogue_steps",) if catalogue_only else self.PHASES
        self.waiting: list[StepEvent] = []  # steps that wait for time to pass (upgrades)
        self.client = Web3Client(provider.web3)
        self.manifest = self._open_manifest(manifest_path)
        self._instances: dict[str, Any] = {}
        self._run_record: dict[str, Any] = {"sent": 0, "adopted": [], "dropped": []}

    # -- context offered to ContractSpec resolvers --------------------------------------

    def address_of(self, contract: str) -> str:
        return self.manifest.address_of(contract)

    @property
    def treasury(self) -> str:
        return self.resolve(self.roles.treasury)

    @property
    def admin(self) -> str:
        return self.sender.address

    # -- manifest ----------------------------------------------------------------------

    @property
    def ephemeral(self) -> bool:
        return self.network_name in EPHEMERAL_NETWORKS

    def _open_manifest(self, path: Path) -> Manifest:
        """The manifest at `path` if it describes the connected chain; a fresh one if there is
        none (or, on a dev chain, if it describes an earlier incarnation of it)."""
        client = self.client
        chain = client.chain_ref()
        fresh = Manifest.new(path, self.network_name, chain.chain_id, chain.genesis)
        if not path.exists():
            return fresh
        manifest = Manifest.load(path)
        try:
            check_chain(manifest, chain)
            if self.ephemeral and not first_contract_alive(manifest, client.code):
                raise ChainMismatch(f"{path} describes an earlier dev chain")
        except ChainMismatch:
            if not self.ephemeral:
                raise ManifestError(
                    f"{path} belongs to chain {manifest.chain_id} (genesis "
                    f"{manifest.genesis_hash[:10]}…) but the connected chain is "
                    f"{chain.describe()}. Connect to the right network, or move the manifest "
                    "away to deploy anew."
                ) from None
            self.report(StepEvent("manifest", "reset", f"{path} describes an earlier dev chain"))
            return fresh
        return manifest

    # -- accounts ----------------------------------------------------------------------

    def resolve(self, ref: AccountRef) -> str:
        if ref.deployer:
            return self.sender.address
        if ref.address:
            return to_checksum_address(ref.address)
        if ref.alias:
            try:
                return self.accounts.load(ref.alias).address
            except Exception as exc:  # Ape raises several kinds for a missing alias
                raise DeployError(
                    f"{self.roles.path}:{ref.line}: no Ape account named '{ref.alias}' "
                    f"({exc.__class__.__name__}); import it with `ape accounts import {ref.alias}`"
                ) from None
        if not self.ephemeral:
            raise DeployError(
                f"{self.roles.path}:{ref.line}: test_account is only allowed on local dev "
                f"chains, not on '{self.network_name}'; give the agency's address instead"
            )
        test_accounts = self.accounts.test_accounts
        if ref.test_account is None or ref.test_account >= len(test_accounts):
            raise DeployError(
                f"{self.roles.path}:{ref.line}: test account {ref.test_account} does not exist "
                f"(this chain has {len(test_accounts)}; see `test.number_of_accounts`)"
            )
        return test_accounts[ref.test_account].address

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

    def _code_hash(self, address: str) -> str:
        return "0x" + keccak(bytes(self.provider.get_code(address))).hex()

    def _verify_deployed(self, spec: ContractSpec) -> bool:
        """Whether `spec` is deployed as the manifest says: code there, the recorded code, the
        compiled code unchanged — and, behind a proxy, the recorded implementation."""
        name = spec.name
        entry = self.manifest.contracts.get(name)
        if entry is None:
            return False
        address = entry["address"]
        if not self.provider.get_code(address):
            raise DeployError(
                f"manifest says {name} is at {address} but there is no code there: "
                "wrong network, or the chain was reset (move the manifest away to deploy anew)"
            )
        on_chain = self._code_hash(address)
        if on_chain != entry["code_hash"]:
            raise DeployError(
                f"code at {address} does not match the code hash recorded for {name} "
                f"({on_chain[:12]}… != {entry['code_hash'][:12]}…): refusing to continue"
            )
        if not spec.upgradeable:
            if self.bytecode_hash(name) != entry["bytecode_hash"]:
                raise DeployError(
                    f"{name} changed since it was deployed at {address} (compiled bytecode "
                    "differs from the manifest). Deploy to a fresh network, or move the "
                    "manifest away."
                )
            return True
        current = implementation_of(self.provider.web3, address)
        if current.lower() != str(entry.get("implementation", "")).lower():
            raise DeployError(
                f"{name}'s proxy at {address} runs implementation {current}, but the manifest "
                f"records {entry.get('implementation')}: an upgrade happened outside this plan"
            )
        running = self.current_implementation(name)
        artefact = running.get("artefact", name)
        if running["bytecode_hash"] != self.bytecode_hash(artefact) and name not in self.upgrades:
            raise DeployError(
                f"{name} changed since its implementation {current} was deployed (compiled "
                f"bytecode differs): propose an upgrade with `ape run deploy --upgrade {name}`"
            )
        return True

    def _compiler_info(self, name: str) -> dict[str, Any]:
        for compiler in self.project.manifest.compilers or []:
            if name in (compiler.contractTypes or []):
                settings = compiler.settings or {}
                return {
                    "name": compiler.name,
                    "version": compiler.version,
                    "evm_version": settings.get("evmVersion"),
                    "optimizer": settings.get("optimizer"),
                }
        return {}

    def _deploy_steps(self) -> Iterator[Step]:
        for spec in self.specs:
            if spec.upgradeable:
                yield self._implementation_step(spec)
            yield self._deployment_step(spec)

    def _deployment_step(self, spec: ContractSpec) -> Step:
        """The contract itself: a plain deployment, or the CityProxy of an upgradeable one
        (initialised in the same transaction with `initialize(args)`)."""

        def build() -> Any:
            args = list(spec.args(self))
            self.manifest.data.setdefault("constructor_args", {})[spec.name] = [
                str(a) for a in args
            ]
            if not spec.upgradeable:
                return getattr(self.project, spec.name)(*args, sender=self.sender)
            implementation = self.current_implementation(spec.name)["address"]
            data = initializer_calldata(getattr(self.project, spec.name), args)
            return getattr(self.project, PROXY)(implementation, data, sender=self.sender)

        def after(receipt: Any) -> dict[str, Any]:
            address = receipt.contract_address
            artefact = PROXY if spec.upgradeable else spec.name
            entry: dict[str, Any] = {
                "address": address,
                "tx_hash": receipt.txn_hash,
                "block": receipt.block_number,
                "code_hash": self._code_hash(address),
                "bytecode_hash": self.bytecode_hash(artefact),
                "domain": spec.domain,
                "compiler": self._compiler_info(spec.name),
            }
            if spec.upgradeable:
                entry["proxy"] = "ERC-1967 (UUPS)"
                entry["implementation"] = self.current_implementation(spec.name)["address"]
            self.manifest.contracts[spec.name] = entry
            return {"address": address}

        what = f"deploy {spec.name}" + (" behind its proxy" if spec.upgradeable else "")
        return Step(
            id=f"deploy:{spec.name}",
            description=what,
            is_done=lambda: self._verify_deployed(spec),
            build=build,
            after=after,
            needs_admin=False,
        )

    def _implementation_step(self, spec: ContractSpec) -> Step:
        """The implementation an upgradeable contract's proxy is first deployed with. Every
        implementation ever deployed is listed in the manifest's `implementations`, with its
        code hash, version and storage layout (what later upgrades are checked against)."""

        def done() -> bool:
            if spec.name in self.manifest.contracts:
                return True  # deployed: only `--upgrade` deploys further implementations
            entry = self.implementation_entry(spec.name, self.bytecode_hash(spec.name))
            if entry is None:
                return False
            if self._code_hash(entry["address"]) != entry["code_hash"]:
                raise DeployError(
                    f"code at {entry['address']} does not match the code hash recorded for "
                    f"the {spec.name} implementation: refusing to continue"
                )
            return True

        def after(receipt: Any) -> dict[str, Any]:
            address = receipt.contract_address
            self.record_implementation(spec.name, spec.name, address, receipt)
            return {"address": address}

        return Step(
            id=f"implementation:{spec.name}",
            description=f"deploy the {spec.name} implementation",
            is_done=done,
            build=lambda: getattr(self.project, spec.name)(sender=self.sender),
            after=after,
            needs_admin=False,
        )

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
                "code_hash": self._code_hash(address),
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

    # -- permissions -------------------------------------------------------------------

    def _function_role_steps(self) -> Iterator[Step]:
        for spec in self.specs:
            by_role: dict[int, list[str]] = {}
            for signature, role_name in spec.all_restricted.items():
                by_role.setdefault(role_id(role_name), []).append(signature)
            for rid, signatures in sorted(by_role.items()):
                selectors = [selector(sig) for sig in signatures]

                def done(spec: ContractSpec = spec, rid: int = rid, sels: list = selectors) -> bool:
                    target = self.address_of(spec.name)
                    return all(self.manager.getTargetFunctionRole(target, s) == rid for s in sels)

                def call(
                    spec: ContractSpec = spec, rid: int = rid, sels: list = selectors
                ) -> bytes:
                    return self._encode(
                        "setTargetFunctionRole", self.address_of(spec.name), sels, rid
                    )

                name = _role_name(rid)
                yield Step(
                    id=f"function-role:{spec.name}:{name}",
                    description=f"{spec.name}: {', '.join(signatures)} -> {name}",
                    is_done=done,
                    call=call,
                )

    def _role_steps(self) -> Iterator[Step]:
        guardian = BY_NAME["GUARDIAN"].id
        for r in ROLES:
            yield Step(
                id=f"label:{r.name}",
                description=f"label role {r.id} as {r.label!r}",
                is_done=lambda r=r: (
                    f"label:{r.name}" in self.manifest.steps
                    and self.manifest.steps[f"label:{r.name}"].get("label") == r.label
                ),
                call=lambda r=r: self._encode("labelRole", r.id, r.label),
                after=lambda receipt, r=r: {"label": r.label},
            )
            if r.id != guardian:
                yield Step(
                    id=f"guardian:{r.name}",
                    description=f"GUARDIAN can cancel scheduled {r.name} operations",
                    is_done=lambda r=r: self.manager.getRoleGuardian(r.id) == guardian,
                    call=lambda r=r: self._encode("setRoleGuardian", r.id, guardian),
                )

    def _grant_steps(self) -> Iterator[Step]:
        summary: dict[str, Any] = {}
        for agency in self.roles.agencies:
            address = self.resolve(agency.account)
            summary[agency.name] = {"address": address, "roles": list(agency.roles)}
            for name in agency.roles:
                rid = BY_NAME[name].id

                def done(
                    rid: int = rid, address: str = address, delay: int = agency.execution_delay
                ) -> bool:
                    since, current, pending, effect = self.manager.getAccess(rid, address)
                    if since == 0:
                        return False
                    return current == delay if effect == 0 else pending == delay

                yield Step(
                    id=f"grant:{name}:{address}",
                    description=f"grant {name} to {agency.name} ({address})"
                    + (
                        f" with execution delay {agency.execution_delay}s"
                        if agency.execution_delay
                        else ""
                    ),
                    is_done=done,
                    call=lambda rid=rid, address=address, delay=agency.execution_delay: (
                        self._encode("grantRole", rid, address, delay)
                    ),
                )
        self.manifest.data["roles"] = {
            "treasury": self.treasury,
            "admin": self.final_admin(),
            "agencies": summary,
        }

    def _upgrade_governance_steps(self) -> Iterator[Step]:
        """Upgrades wait for the city's notice period: the admin holds UPGRADER with it as its
        execution delay, and each proxy's target admin delay is the same period, so remapping
        `upgradeToAndCall` (or changing the proxy's authority) cannot skip the notice either.
        The AccessManager applies a new target admin delay after its `minSetback` (5 days)."""
        upgradeable = [spec for spec in self.specs if spec.upgradeable]
        if not upgradeable:
            return
        notice = self.roles.upgrade_notice
        admin = self.final_admin()
        rid = BY_NAME["UPGRADER"].id

        def granted() -> bool:
            since, current, pending, effect = self.manager.getAccess(rid, admin)
            return since != 0 and (current == notice if effect == 0 else pending == notice)

        yield Step(
            id=f"grant:UPGRADER:{admin}",
            description=f"grant UPGRADER to the admin {admin} with the {notice}s notice period "
            "as execution delay",
            is_done=granted,
            call=lambda: self._encode("grantRole", rid, admin, notice),
        )
        for spec in upgradeable:
            step_id = f"target-admin-delay:{spec.name}"

            def done(spec: ContractSpec = spec, step_id: str = step_id) -> bool:
                if self.manager.getTargetAdminDelay(self.address_of(spec.name)) == notice:
                    return True
                return self.manifest.steps.get(step_id, {}).get("delay") == notice  # setback

            yield Step(
                id=step_id,
                description=f"{spec.name}: reconfiguring its permissions waits {notice}s",
                is_done=done,
                call=lambda spec=spec: self._encode(
                    "setTargetAdminDelay", self.address_of(spec.name), notice
                ),
                after=lambda receipt: {"delay": notice},
            )

    def _grant_delay_steps(self) -> Iterator[Step]:
        for r in ROLES:
            delay = self.roles.grant_delays.get(r.name, r.grant_delay)
            step_id = f"grant-delay:{r.name}"

            def done(r: Any = r, delay: int = delay, step_id: str = step_id) -> bool:
                if self.manager.getRoleGrantDelay(r.id) == delay:
                    return True
                # Changes take effect after AccessManager's minSetback: the getter still shows
                # the old value, so the manifest tells whether this value was already set.
                return self.manifest.steps.get(step_id, {}).get("delay") == delay

            yield Step(
                id=step_id,
                description=f"new {r.name} members wait {delay}s before their role is active",
                is_done=done,
                call=lambda r=r, delay=delay: self._encode("setGrantDelay", r.id, delay),
                after=lambda receipt, delay=delay: {"delay": delay},
            )

    def _link_steps(self) -> Iterator[Step]:
        for spec in self.specs:
            for link in spec.links:

                def done(link: Any = link) -> bool:
                    contract = self.instance(link.contract)
                    current = tuple(getattr(contract, getter)() for getter in link.getters)
                    wanted = link.values(self)
                    if all(_same(c, w) for c, w in zip(current, wanted, strict=True)):
                        return True
                    if link.set_once and not all(_unset(c) for c in current):
                        raise DeployError(_set_once_refusal(link, current, wanted))
                    return False

                yield Step(
                    id=f"link:{link.contract}.{link.setter}",
                    description=f"{link.contract}.{link.setter}(…)",
                    is_done=done,
                    build=lambda link=link: getattr(
                        self.instance(link.contract), link.setter
                    ).as_transaction(*link.values(self), sender=self.sender),
                )

    def final_admin(self) -> str:
        return self.resolve(self.roles.admin)

    def _handover_steps(self) -> Iterator[Step]:
        final_admin = self.final_admin()
        if final_admin == self.sender.address:
            return
        yield Step(
            id=f"admin:grant:{final_admin}",
            description=f"grant ADMIN_ROLE to the city's admin {final_admin}",
            is_done=lambda: self.manager.hasRole(ADMIN_ROLE, final_admin)[0],
            build=lambda: self.manager.grantRole.as_transaction(
                ADMIN_ROLE, final_admin, 0, sender=self.sender
            ),
        )
        yield Step(
            id=f"admin:renounce:{self.sender.address}",
            description=f"deployer {self.sender.address} renounces ADMIN_ROLE",
            is_done=lambda: not self.manager.hasRole(ADMIN_ROLE, self.sender.address)[0],
            build=lambda: self.manager.renounceRole.as_transaction(
                ADMIN_ROLE, self.sender.address, sender=self.sender
            ),
        )

    def _catalogue_steps(self) -> Iterator[Step]:
        if self.catalogue is not None and "RecordRegistry" in self.manifest.contracts:
            yield from catalogue_steps(self, self.catalogue)

    def records_admin(self) -> Any | None:
        """An account of this machine holding RECORDS_ADMIN per the roles file (the sender
        itself if it holds it; a test account on dev chains; an unlocked keystore), or None."""
        rid = BY_NAME["RECORDS_ADMIN"].id
        if (
            "CityAccessManager" in self.manifest.contracts
            and self.manager.hasRole(rid, self.sender.address)[0]
        ):
            return self.sender
        for agency in self.roles.agencies:
            if "RECORDS_ADMIN" not in agency.roles:
                continue
            ref = agency.account
            if ref.test_account is not None and self.ephemeral:
                return self.accounts.test_accounts[ref.test_account]
            if ref.alias:
                try:
                    from civic_ledger.cli.common import load_account

                    return load_account(ref.alias)
                except Exception:  # not on this machine, or locked without a passphrase
                    return None
        return None

    def _upgrade_implementation_steps(self) -> Iterator[Step]:
        yield from upgrade_steps(self, self.upgrades, "implementation")

    def _upgrade_schedule_steps(self) -> Iterator[Step]:
        yield from upgrade_steps(self, self.upgrades, "schedule")

    def _upgrade_execute_steps(self) -> Iterator[Step]:
        yield from upgrade_steps(self, self.upgrades, "execute")

    # -- reporting and time, for the upgrade steps ----------------------------------------

    def report_done(self, step_id: str, detail: str) -> None:
        self.report(StepEvent(step_id, "done", detail))

    def report_waiting(self, step_id: str, detail: str) -> None:
        event = StepEvent(step_id, "waiting", detail)
        self.waiting.append(event)
        self.report(event)

    def chain_time(self) -> int:
        """The timestamp the next block will (at least) carry."""
        return int(self.provider.web3.eth.get_block("latest")["timestamp"])

    def _encode(self, function: str, *args: Any) -> bytes:
        return bytes(getattr(self.manager, function).encode_input(*args))

    PHASES = (
        "_deploy_steps",
        "_function_role_steps",
        "_role_steps",
        "_grant_steps",
        "_upgrade_governance_steps",
        "_grant_delay_steps",
        "_link_steps",
        "_catalogue_steps",
        "_handover_steps",
        "_upgrade_implementation_steps",
        "_upgrade_schedule_steps",
        "_upgrade_execute_steps",
    )

    def steps(self) -> Iterator[Step]:
        """Every step of the plan (phases are generated lazily: later phases read addresses
        that earlier phases deploy)."""
        for phase in self.phases:
            yield from getattr(self, phase)()

    # -- execution ---------------------------------------------------------------------

    def run(self) -> Manifest:
        """Run every missing step. Returns the manifest (saved after every transaction).

        The manifest's `runs` list records each run: `running` until it ends `complete` or
        `failed` (with the error's type). A run that finds the previous one `failed`, or still
        `running` (killed: it is marked `interrupted`), reports what it resumes from; its own
        record lists the steps it adopted and the journaled ones it found never mined."""
        self.manifest.data["deployer"] = self.manifest.data.get("deployer") or self.sender.address
        self._run_record = self._begin_run()
        self.manifest.save()
        try:
            for phase in self.phases:
                self._run_phase(list(getattr(self, phase)()))
        except BaseException as exc:  # recorded, then re-raised (a SIGKILL leaves `running`)
            self._run_record["status"] = "failed"
            self._run_record["error"] = type(exc).__name__  # the name only: messages vary
            self.manifest.save()
            raise
        publish(self)  # ABI files and the role catalogue (unchanged when nothing changed)
        self._run_record["status"] = "complete"
        self._run_record["finished"] = _now()
        record = self._run_record
        if not (record["sent"] or record["adopted"] or record["dropped"] or "resumed" in record):
            self.manifest.data["runs"].remove(record)  # a no-op re-run leaves the manifest as is
        self.manifest.save()
        return self.manifest

    def _begin_run(self) -> dict[str, Any]:
        runs: list[dict[str, Any]] = self.manifest.data.setdefault("runs", [])
        record: dict[str, Any] = {
            "started": _now(),
            "status": "running",
            "sent": 0,
            "adopted": [],
            "dropped": [],
        }
        previous = runs[-1] if runs else None
        if previous is not None and previous.get("status") in ("running", "failed"):
            if previous["status"] == "running":
                previous["status"] = "interrupted"  # killed: it never recorded its end
            pending = sorted(
                step for entry in self.manifest.pending.values() for step in entry["items"]
            )
            record["resumed"] = {
                "run_started": previous.get("started"),
                "steps_done": len(self.manifest.steps),
                "pending": pending,
            }
            self.report(
                StepEvent(
                    "manifest",
                    "resumed",
                    f"the run started {previous.get('started')} {previous['status']}"
                    + (f" ({previous['error']})" if previous.get("error") else "")
                    + f": {len(self.manifest.steps)} step(s) recorded, "
                    f"{len(self.manifest.pending)} transaction(s) journaled as pending "
                    f"({', '.join(pending) or 'none'}); resuming",
                )
            )
        runs.append(record)
        del runs[:-MAX_RUNS_KEPT]
        return record

    def _run_phase(self, steps: list[Step]) -> None:
        by_id = {step.id: step for step in steps}
        for key, entry in list(self.manifest.pending.items()):
            items = [by_id[i] for i in entry["items"] if i in by_id]
            if not items:
                continue
            if (receipt := self._resolve_pending(key)) is not None:
                self._record(items, receipt, status="adopted")
            else:
                self._run_record["dropped"].extend(step.id for step in items)
                self.report(
                    StepEvent(
                        key,
                        "dropped",
                        f"journaled transaction {entry['tx_hash'][:12]}… (nonce "
                        f"{entry['nonce']}) was never mined: "
                        + (items[0].description if len(items) == 1 else _summarise(items))
                        + " will be re-sent if still missing",
                        entry["tx_hash"],
                    )
                )
        todo: list[Step] = []
        for step in steps:
            if step.is_done():
                self.report(StepEvent(step.id, "done", step.description))
            else:
                todo.append(step)
        if todo and any(step.needs_admin for step in todo) and not self._sender_is_admin():
            raise DeployError(
                f"step '{todo[0].description}' needs ADMIN_ROLE on {MANAGER}, which "
                f"{self.sender.address} no longer holds: have the city's admin "
                "(multisig/timelock) execute it"
            )
        for step in todo:
            if step.build is not None:
                self._send([step], step.build())
        batch = [step for step in todo if step.call is not None]
        if batch:
            calls = [step.call() for step in batch]
            self._send(batch, self.manager.multicall.as_transaction(calls, sender=self.sender))

    def _send(self, steps: list[Step], txn: Any) -> None:
        """Sign, journal as pending (the signed bytes included, manifest fsynced), broadcast
        through the chain layer, wait for the receipt, record. One transaction for `steps`."""
        signer = steps[0].signer or self.sender
        txn = signer.prepare_transaction(txn)
        signed = signer.sign_transaction(txn)
        if signed is None:
            raise DeployError(f"the transaction for '{steps[0].description}' was not signed")
        raw = bytes(signed.serialize_transaction())
        tx_hash = "0x" + bytes(signed.txn_hash).hex()
        self.manifest.pending[steps[0].id] = {
            "tx_hash": tx_hash,
            "nonce": signed.nonce,
            "sender": signer.address,
            "items": [step.id for step in steps],
            "raw": "0x" + raw.hex(),
        }
        self.manifest.save()
        self.client.send_raw(raw)
        [outcome] = settle(self.client, [_sent_batch(self.manifest.pending[steps[0].id])])
        receipt = self.provider.get_receipt(tx_hash) if outcome.receipt is not None else None
        if receipt is None or receipt.failed:
            self.manifest.pending.pop(steps[0].id, None)
            self.manifest.save()
            raise DeployError(
                f"the transaction for '{steps[0].description}' ({tx_hash}) "
                + ("reverted" if receipt is not None else "was superseded (its nonce was used)")
                + f": {self._replay_reason(txn)}"
            )
        self._record(steps, receipt, status="sent")

    def _replay_reason(self, txn: Any) -> str:
        """Why a transaction reverted, replayed as a call against the current state."""
        try:
            self.provider.web3.eth.call(
                {"from": txn.sender, "to": txn.receiver, "data": txn.data, "value": txn.value}
            )
        except Exception as exc:
            return explain(exc)
        return "state changed since; re-run to retry"

    def _record(self, steps: list[Step], receipt: Any, status: str) -> None:
        share = len(steps)
        for step in steps:
            extra = step.after(receipt) if step.after else {}
            self.manifest.pending.pop(step.id, None)
            self.manifest.steps[step.id] = {
                "tx_hash": receipt.txn_hash,
                "block": receipt.block_number,
                "gas_used": receipt.gas_used,
                **({"batch_size": share} if share > 1 else {}),
                **extra,
            }
        if status == "adopted":
            self._run_record["adopted"].extend(step.id for step in steps)
        else:
            self._run_record["sent"] += 1
        self.manifest.save()
        self.report(
            StepEvent(
                steps[0].id,
                status,
                steps[0].description if share == 1 else _summarise(steps),
                receipt.txn_hash,
                receipt.gas_used,
            )
        )

    def _resolve_pending(self, key: str) -> Any | None:
        """A transaction journaled by an interrupted run, settled by the chain layer's one rule
        (adopted if mined, re-broadcast as journaled while its nonce is open, dropped only when
        another transaction took its nonce): its receipt if it was mined successfully; None (and
        the journal entry dropped) if it failed or was superseded."""
        pending = self.manifest.pending[key]
        [outcome] = settle(self.client, [_sent_batch(pending)])
        if outcome.state != "mined":
            self.manifest.pending.pop(key)
            self.manifest.save()
            return None
        return self.provider.get_receipt(pending["tx_hash"])

    def _sender_is_admin(self) -> bool:
        if MANAGER not in self.manifest.contracts:
            return True
        return bool(self.manager.hasRole(ADMIN_ROLE, self.sender.address)[0])


def _sent_batch(entry: dict[str, Any]) -> SentBatch:
    """A manifest `pending` entry as the chain layer's journal entry."""
    return SentBatch(
        0, tuple(entry["items"]), entry["tx_hash"], entry.get("nonce"), entry.get("sender"),
        entry.get("raw"),
    )  # fmt: skip


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _summarise(steps: list[Step]) -> str:
    """`12 x label, 11 x guardian` for a batch of steps."""
    counts: dict[str, int] = {}
    for step in steps:
        kind = step.id.split(":", 1)[0]
        counts[kind] = counts.get(kind, 0) + 1
    return "batch: " + ", ".join(f"{n} x {kind}" for kind, n in counts.items())


def _role_name(rid: int) -> str:
    if rid == ADMIN_ROLE:
        return "ADMIN"
    if rid == PUBLIC_ROLE:
        return "PUBLIC"
    for r in ROLES:
        if r.id == rid:
            return r.name
    return str(rid)


def _unset(value: Any) -> bool:
    """A getter's zero value (address zero, 0, empty bytes or string)."""
    if isinstance(value, str):
        return value.lower() in ("", "0x" + "0" * 40, "0x")
    if isinstance(value, bytes | bytearray):
        return not any(value)
    return not value


def _set_once_refusal(link: Any, current: tuple[Any, ...], wanted: tuple[Any, ...]) -> str:
    have = ", ".join(f"{g} {c}" for g, c in zip(link.getters, current, strict=True))
    want = ", ".join(f"{g} {w}" for g, w in zip(link.getters, wanted, strict=True))
    return (
        f"{link.contract} is already wired to {have}, not to this deployment's {want}: "
        f"{link.setter} can be called only once and never replaces what is set, so the plan "
        f"cannot continue; check the manifest's addresses (a {link.contract} wired to other "
        "modules belongs to another deployment)"
    )


def _same(current: Any, wanted: Any) -> bool:
    if isinstance(current, str) and isinstance(wanted, str):
        return current.lower() == wanted.lower()
    return current == wanted
