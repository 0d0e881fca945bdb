"""Declarative description of the city's contracts: what to deploy, in which order, with which
constructor arguments, which agency role may call each restricted function, and which
one-time links (setter calls) wire contracts together.

Each domain declares its contracts in `civic_ledger/<domain>/spec.py` as `CONTRACTS`; the
deploy plan (`civic_ledger.deploy`) walks them in order, idempotently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


class DeployContext(Protocol):
    """What a constructor-argument or link resolver can ask while the plan runs."""

    def address_of(self, contract: str) -> str:
        """Address of a contract deployed earlier in the plan."""

    @property
    def treasury(self) -> str:
        """The city treasury wallet (from the roles file)."""

    @property
    def admin(self) -> str:
        """The account that holds ADMIN_ROLE while the plan runs (the deployer)."""


Resolver = Callable[[DeployContext], Any]


@dataclass(frozen=True)
class Link:
    """A one-time admin call wiring contracts together, applied only when the getters differ.

    `getter` names the view(s) reading what `setter` sets: one name, or a tuple of names when
    the setter takes several arguments (one getter per argument, in order); `value` resolves the
    argument (one value, or a tuple matching the getters).

    `set_once`: the contract accepts the setter only while every getter still returns its zero
    value (it never replaces what is set). The plan then skips the step when the getters already
    return the wanted values, sends it when they are all unset, and refuses, with a sentence,
    when they hold other values (nothing to resume: the chain keeps what it has).

    Example: Link("TitleRegistry", getter=("lienRegistry", "taxModule"), setter="setModules",
                  value=lambda ctx: (ctx.address_of("LienRegistry"), ctx.address_of("PropertyTax")),
                  set_once=True)
    """

    contract: str
    getter: str | tuple[str, ...]
    setter: str
    value: Resolver
    set_once: bool = False

    @property
    def getters(self) -> tuple[str, ...]:
        return (self.getter,) if isinstance(self.getter, str) else tuple(self.getter)

    def values(self, ctx: DeployContext) -> tuple[Any, ...]:
        """The setter's arguments, one per getter."""
        value = self.value(ctx)
        values = tuple(value) if isinstance(self.getter, tuple) else (value,)
        if len(values) != len(self.getters):
            raise ValueError(
                f"link {self.contract}.{self.setter}: {len(values)} values for "
                f"{len(self.getters)} getters"
            )
        return values


#: Role name -> the functions its members may call on one contract: function names, or the full
#: ABI signature where a name is overloaded. Names are resolved against the compiled ABI
#: (`ContractSpec.restricted_signatures`), so a changed parameter list needs no edit here.
Permissions = Mapping[str, tuple[str, ...]]

#: What every upgradeable contract (contracts/common/CityManaged.sol) restricts the same way:
#: the guardian stops, the admin resumes, the UPGRADER (the admin, with the notice period as
#: execution delay) upgrades.
UPGRADEABLE_RESTRICTED: Permissions = {
    "GUARDIAN": ("pause",),
    "ADMIN": ("unpause",),
    "UPGRADER": ("upgradeToAndCall",),
}


@dataclass(frozen=True)
class ContractSpec:
    """One contract of the suite.

    `args` are the constructor arguments of a plain contract, or the `initialize(...)`
    arguments of an `upgradeable` one (deployed as an implementation behind a CityProxy).

    `restricted` maps each role name (a name from `civic_ledger.access.roles`, or "ADMIN" /
    "PUBLIC") to the functions it may call (`Permissions`). Every function guarded by
    AccessManaged's `restricted` modifier must appear here (upgradeable contracts add
    `UPGRADEABLE_RESTRICTED`): the deploy plan sets it on the manager, and a test checks the
    list against the AST.
    """

    name: str
    domain: str
    args: Callable[[DeployContext], Sequence[Any]] = lambda ctx: ()
    restricted: Permissions = field(default_factory=dict)
    links: Sequence[Link] = ()
    upgradeable: bool = False

    @property
    def all_restricted(self) -> dict[str, str]:
        """Every restricted function of the contract (as `restricted` names it) -> its role
        name; a function mapped to two roles is refused."""
        mapped: dict[str, str] = {}
        common = UPGRADEABLE_RESTRICTED if self.upgradeable else {}
        for permissions in (common, self.restricted):
            for role_name, functions in permissions.items():
                if isinstance(functions, str):
                    raise TypeError(f"{self.name}: {role_name} needs a tuple of function names")
                for function in functions:
                    if mapped.setdefault(function, role_name) != role_name:
                        raise ValueError(
                            f"{self.name}.{function} is mapped to both "
                            f"{mapped[function]} and {role_name}"
                        )
        return mapped

    def restricted_signatures(self, abi: Iterable[Any]) -> dict[str, str]:
        """Every restricted function's ABI signature -> its role name, each name resolved
        against `abi` (the contract's compiled ABI entries: `type`, `name`, `selector`).
        ValueError for a name the ABI lacks or overloads (write the signature instead)."""
        by_name: dict[str, list[str]] = {}
        for entry in abi:
            if entry.type == "function":
                by_name.setdefault(entry.name, []).append(entry.selector)
        signatures = {signature for overloads in by_name.values() for signature in overloads}
        resolved: dict[str, str] = {}
        for function, role_name in self.all_restricted.items():
            overloads = by_name.get(function, [])
            if function in signatures:
                resolved[function] = role_name
            elif len(overloads) == 1:
                resolved[overloads[0]] = role_name
            elif overloads:
                raise ValueError(
                    f"{self.name}.{function} is overloaded: name one of {', '.join(overloads)}"
                )
            else:
                raise ValueError(f"{self.name} has no function {function}")
        return resolved


def addresses(
    *names: str, then: Callable[[DeployContext], Sequence[Any]] = lambda ctx: ()
) -> Callable[[DeployContext], tuple[Any, ...]]:
    """`args` made of the deployed addresses of the contracts `names`, in order, followed by
    `then(ctx)` (e.g. the treasury or numeric settings)."""
    return lambda ctx: (*(ctx.address_of(name) for name in names), *then(ctx))


DOMAINS = ("access", "identity", "property", "fund", "data")


def all_contracts() -> list[ContractSpec]:
    """Every contract of the suite in deployment order (dependencies first): each domain's
    `civic_ledger.<domain>.spec.CONTRACTS`."""
    import importlib

    specs: list[ContractSpec] = []
    for domain in DOMAINS:
        specs.extend(importlib.import_module(f"civic_ledger.{domain}.spec").CONTRACTS)
    return specs
