"""The deploy plan's Safe phase, when the roles file asks for `admin: {safe: ...}`: the Safe
v1.4.1 singleton (SafeL2), its proxy factory and fallback handler, then the city's Safe itself
(a proxy set up with the owners and threshold of the roles file). Each is a journaled step
like every other; the manifest's `safe` entry records the addresses, code hashes, owners and
threshold. The handover phase then gives ADMIN_ROLE to the Safe and the deployer renounces.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from eth_utils import to_checksum_address

from civic_ledger.core.config import SafeAdmin
from civic_ledger.core.exceptions import DeployError
from civic_ledger.deploy.steps import Step, standalone_step
from civic_ledger.safe import artefacts
from civic_ledger.safe.artefacts import FACTORY, FALLBACK_HANDLER, SINGLETON

if TYPE_CHECKING:
    from civic_ledger.deploy.plan import DeployPlan

ZERO = "0x" + "0" * 40
SALT_NONCE = 0  # one Safe per factory: the plan deploys its own factory

PARTS = ((SINGLETON, "singleton"), (FACTORY, "factory"), (FALLBACK_HANDLER, "fallback_handler"))


def safe_entry(plan: DeployPlan) -> dict[str, Any]:
    """The manifest's record of the Safe (filled while the phase runs)."""
    return plan.manifest.data.setdefault("safe", {"version": artefacts.VERSION})


def safe_address(plan: DeployPlan) -> str:
    """The city's Safe, once the plan deployed it."""
    address = plan.manifest.data.get("safe", {}).get("address")
    if address is None:
        raise DeployError("the roles file makes a Safe the admin, but it is not deployed yet")
    return str(address)


def safe_steps(plan: DeployPlan) -> Iterator[Step]:
    config = plan.roles.admin
    if not isinstance(config, SafeAdmin):
        return
    for name, key in PARTS:
        yield _part_step(plan, name, key)
    yield _proxy_step(plan, config)


def _part_step(plan: DeployPlan, name: str, key: str) -> Step:
    def done() -> bool:
        entry = plan.manifest.data.get("safe", {}).get(key)
        if entry is None:
            return False
        _check_code(plan, f"the Safe {name}", entry)
        return True

    def after(receipt: Any) -> dict[str, Any]:
        address = receipt.contract_address
        safe_entry(plan)[key] = {
            "address": address,
            "tx_hash": receipt.txn_hash,
            "code_hash": plan.code_hash(address),
        }
        return {"address": address}

    return standalone_step(
        f"safe:{key}",
        f"deploy the Safe {artefacts.VERSION} {name}",
        done,
        lambda: artefacts.container(name)(sender=plan.sender),
        after,
    )


def _proxy_step(plan: DeployPlan, config: SafeAdmin) -> Step:
    owners = [plan.resolve(ref) for ref in config.owners]

    def done() -> bool:
        entry = plan.manifest.data.get("safe", {})
        if "address" not in entry:
            return False
        safe = artefacts.at(SINGLETON, entry["address"])
        if not plan.provider.get_code(entry["address"]):
            raise DeployError(f"manifest says the Safe is at {entry['address']} but there is "
                              "no code there: wrong network, or the chain was reset")  # fmt: skip
        have = sorted(to_checksum_address(o) for o in safe.getOwners())
        threshold = int(safe.getThreshold())
        if have != sorted(owners) or threshold != config.threshold:
            raise DeployError(
                f"the Safe at {entry['address']} has {threshold} of {', '.join(have)} as "
                f"owners, not the roles file's {config.threshold} of {', '.join(owners)}: "
                "changing a Safe's owners is a Safe transaction of its owners, not a deploy step"
            )
        return True

    def build() -> Any:
        entry = safe_entry(plan)
        singleton = artefacts.at(SINGLETON, entry["singleton"]["address"])
        setup = singleton.setup.encode_input(
            owners, config.threshold, ZERO, b"", entry["fallback_handler"]["address"],
            ZERO, 0, ZERO,
        )  # fmt: skip
        factory = artefacts.at(FACTORY, entry["factory"]["address"])
        return factory.createProxyWithNonce.as_transaction(
            singleton.address, bytes(setup), SALT_NONCE, sender=plan.sender
        )

    def after(receipt: Any) -> dict[str, Any]:
        entry = safe_entry(plan)
        factory = artefacts.at(FACTORY, entry["factory"]["address"])
        [event] = factory.ProxyCreation.from_receipt(receipt)
        address = to_checksum_address(event.proxy)
        entry.update(address=address, tx_hash=receipt.txn_hash, block=receipt.block_number,
                     owners=owners, threshold=config.threshold)  # fmt: skip
        return {"address": address}

    return standalone_step(
        "safe:proxy",
        f"create the city's {config.threshold}-of-{len(owners)} Safe ({', '.join(owners)})",
        done,
        build,
        after,
    )


def _check_code(plan: DeployPlan, what: str, entry: dict[str, Any]) -> None:
    address = entry["address"]
    if plan.code_hash(address) != entry["code_hash"]:
        raise DeployError(f"code at {address} does not match the code hash recorded for "
                          f"{what}: wrong network, or the chain was reset")  # fmt: skip
