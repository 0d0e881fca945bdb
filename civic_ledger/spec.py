"""Declarative description of the city's contracts: what to deploy, in which order, with which
constructor arguments, which agency role may call each restricted function, and which
one-time links (setter calls) wire contracts together.

Each domain declares its contracts in `civic_ledger/<domain>/spec.py` as `CONTRACTS`; the
deploy plan (`civic_ledger.deploy`) walks them in order, idempotently.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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


#: What every upgradeable contract (contracts/common/CityManaged.sol) restricts the same way:
#: the guardian stops, the admin resumes, the UPGRADER (the admin, with the notice period as
#: execution delay) upgrades.
UPGRADEABLE_RESTRICTED: Mapping[str, str] = {
    "pause()": "GUARDIAN",
    "unpause()": "ADMIN",
    "upgradeToAndCall(address,bytes)": "UPGRADER",
}


@dataclass(frozen=True)
class ContractSpec:
    """One contract of the suite.

    `args` are the constructor arguments of a plain contract, or the `initialize(...)`
    arguments of an `upgradeable` one (deployed as an implementation behind a CityProxy).

    `restricted` maps a function signature (e.g. "register(bytes32,address,uint8)") to the role
    name allowed to call it (a name from `civic_ledger.access.roles`, or "ADMIN" / "PUBLIC"). Every
    function guarded by AccessManaged's `restricted` modifier must appear here (upgradeable
    contracts add `UPGRADEABLE_RESTRICTED`): the deploy plan sets it on the manager, and a test
    checks the list against the AST.
    """

    name: str
    domain: str
    args: Callable[[DeployContext], Sequence[Any]] = lambda ctx: ()
    restricted: Mapping[str, str] = field(default_factory=dict)
    links: Sequence[Link] = ()
    upgradeable: bool = False

    @property
    def all_restricted(self) -> dict[str, str]:
        """Every restricted function of the contract -> its role name."""
        common = UPGRADEABLE_RESTRICTED if self.upgradeable else {}
        return {**common, **self.restricted}


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
