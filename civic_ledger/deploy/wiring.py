"""The permission and wiring steps of the deploy plan, in the order the plan runs them.

- `function_role_steps`: which role may call each restricted function (`setTargetFunctionRole`)
- `role_steps`: role labels and their guardian
- `grant_steps`: the agencies' roles from the roles file (with their execution delays)
- `upgrade_governance_steps`: UPGRADER for the admin and every proxy's target admin delay,
  both the city's notice period
- `grant_delay_steps`: how long new members of each role wait
- `link_steps`: one-time setter calls wiring contracts together
- `handover_steps`: ADMIN_ROLE to the city's admin, renounced by the deployer

Calls on the AccessManager itself are `call` steps (batched per phase into one `multicall`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from civic_ledger.access.roles import ADMIN_ROLE, BY_NAME, PUBLIC_ROLE, ROLES, RoleId, role_id
from civic_ledger.core.exceptions import DeployError
from civic_ledger.deploy.steps import Step, selector
from civic_ledger.spec import ContractSpec

if TYPE_CHECKING:
    from civic_ledger.deploy.plan import DeployPlan


def _encode(plan: DeployPlan, function: str, *args: Any) -> bytes:
    return bytes(getattr(plan.manager, function).encode_input(*args))


def function_role_steps(plan: DeployPlan) -> Iterator[Step]:
    for spec in plan.specs:
        by_role: dict[int, list[str]] = {}
        abi = getattr(plan.project, spec.name).contract_type.abi
        for signature, role_name in spec.restricted_signatures(abi).items():
            by_role.setdefault(role_id(role_name), []).append(signature)
        for rid, signatures in sorted(by_role.items()):
            selectors = [selector(sig) for sig in signatures]

            def done(spec: ContractSpec = spec, rid: int = rid, sels: list = selectors) -> bool:
                target = plan.address_of(spec.name)
                return all(plan.manager.getTargetFunctionRole(target, s) == rid for s in sels)

            def call(spec: ContractSpec = spec, rid: int = rid, sels: list = selectors) -> bytes:
                return _encode(plan, "setTargetFunctionRole", plan.address_of(spec.name), sels, rid)

            name = _role_name(rid)
            yield Step(
                id=f"function-role:{spec.name}:{name}",
                description=f"{spec.name}: {', '.join(signatures)} -> {name}",
                is_done=done,
                call=call,
            )


def role_steps(plan: DeployPlan) -> Iterator[Step]:
    guardian = RoleId.GUARDIAN
    for r in ROLES:
        yield Step(
            id=f"label:{r.name}",
            description=f"label role {r.id} as {r.label!r}",
            is_done=lambda r=r: (
                f"label:{r.name}" in plan.manifest.steps
                and plan.manifest.steps[f"label:{r.name}"].get("label") == r.label
            ),
            call=lambda r=r: _encode(plan, "labelRole", r.id, r.label),
            after=lambda receipt, r=r: {"label": r.label},
        )
        if r.id != guardian:
            yield Step(
                id=f"guardian:{r.name}",
                description=f"GUARDIAN can cancel scheduled {r.name} operations",
                is_done=lambda r=r: plan.manager.getRoleGuardian(r.id) == guardian,
                call=lambda r=r: _encode(plan, "setRoleGuardian", r.id, guardian),
            )


def grant_steps(plan: DeployPlan) -> Iterator[Step]:
    summary: dict[str, Any] = {}
    for agency in plan.roles.agencies:
        address = plan.resolve(agency.account)
        summary[agency.name] = {"address": address, "roles": list(agency.roles)}
        for name in agency.roles:
            rid = BY_NAME[name].id

            def done(
                rid: int = rid, address: str = address, delay: int = agency.execution_delay
            ) -> bool:
                since, current, pending, effect = plan.manager.getAccess(rid, address)
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
                call=lambda rid=rid, address=address, delay=agency.execution_delay: _encode(
                    plan, "grantRole", rid, address, delay
                ),
            )
    plan.manifest.data["roles"] = {
        "treasury": plan.treasury,
        "admin": plan.final_admin(),
        "agencies": summary,
    }


def upgrade_governance_steps(plan: DeployPlan) -> Iterator[Step]:
    """Upgrades wait for the city's notice period: the admin holds UPGRADER with it as its
    execution delay, and each proxy's target admin delay is the same period, so remapping
    `upgradeToAndCall` (or changing the proxy's authority) cannot skip the notice either.
    The AccessManager applies a new target admin delay after its `minSetback` (5 days)."""
    upgradeable = [spec for spec in plan.specs if spec.upgradeable]
    if not upgradeable:
        return
    notice = plan.roles.upgrade_notice
    admin = plan.final_admin()
    rid = RoleId.UPGRADER

    def granted() -> bool:
        since, current, pending, effect = plan.manager.getAccess(rid, admin)
        return since != 0 and (current == notice if effect == 0 else pending == notice)

    yield Step(
        id=f"grant:UPGRADER:{admin}",
        description=f"grant UPGRADER to the admin {admin} with the {notice}s notice period "
        "as execution delay",
        is_done=granted,
        call=lambda: _encode(plan, "grantRole", rid, admin, notice),
    )
    for spec in upgradeable:
        step_id = f"target-admin-delay:{spec.name}"

        def done(spec: ContractSpec = spec, step_id: str = step_id) -> bool:
            if plan.manager.getTargetAdminDelay(plan.address_of(spec.name)) == notice:
                return True
            return plan.manifest.steps.get(step_id, {}).get("delay") == notice  # setback

        yield Step(
            id=step_id,
            description=f"{spec.name}: reconfiguring its permissions waits {notice}s",
            is_done=done,
            call=lambda spec=spec: _encode(
                plan, "setTargetAdminDelay", plan.address_of(spec.name), notice
            ),
            after=lambda receipt: {"delay": notice},
        )


def grant_delay_steps(plan: DeployPlan) -> Iterator[Step]:
    for r in ROLES:
        delay = plan.roles.grant_delays.get(r.name, r.grant_delay)
        step_id = f"grant-delay:{r.name}"

        def done(r: Any = r, delay: int = delay, step_id: str = step_id) -> bool:
            if plan.manager.getRoleGrantDelay(r.id) == delay:
                return True
            # Changes take effect after AccessManager's minSetback: the getter still shows
            # the old value, so the manifest tells whether this value was already set.
            return plan.manifest.steps.get(step_id, {}).get("delay") == delay

        yield Step(
            id=step_id,
            description=f"new {r.name} members wait {delay}s before their role is active",
            is_done=done,
            call=lambda r=r, delay=delay: _encode(plan, "setGrantDelay", r.id, delay),
            after=lambda receipt, delay=delay: {"delay": delay},
        )


def link_steps(plan: DeployPlan) -> Iterator[Step]:
    for spec in plan.specs:
        for link in spec.links:

            def done(link: Any = link) -> bool:
                contract = plan.instance(link.contract)
                current = tuple(getattr(contract, getter)() for getter in link.getters)
                wanted = link.values(plan)
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
                    plan.instance(link.contract), link.setter
                ).as_transaction(*link.values(plan), sender=plan.sender),
            )


def handover_steps(plan: DeployPlan) -> Iterator[Step]:
    final_admin = plan.final_admin()
    if final_admin == plan.sender.address:
        return
    yield Step(
        id=f"admin:grant:{final_admin}",
        description=f"grant ADMIN_ROLE to the city's admin {final_admin}",
        is_done=lambda: plan.manager.hasRole(ADMIN_ROLE, final_admin)[0],
        build=lambda: plan.manager.grantRole.as_transaction(
            ADMIN_ROLE, final_admin, 0, sender=plan.sender
        ),
    )
    yield Step(
        id=f"admin:renounce:{plan.sender.address}",
        description=f"deployer {plan.sender.address} renounces ADMIN_ROLE",
        is_done=lambda: not plan.manager.hasRole(ADMIN_ROLE, plan.sender.address)[0],
        build=lambda: plan.manager.renounceRole.as_transaction(
            ADMIN_ROLE, plan.sender.address, sender=plan.sender
        ),
    )


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
