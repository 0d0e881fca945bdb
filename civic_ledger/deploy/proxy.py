"""Upgradeable contracts behind `CityProxy` (OpenZeppelin's ERC-1967 proxy): the initializer
call a proxy is deployed with, the implementation a proxy points at, and a one-call deployment
for tests and tools (the deploy plan does the same in journaled steps)."""

from __future__ import annotations

from typing import Any

from eth_utils import keccak, to_checksum_address

from civic_ledger.core.names import PROXY

#: ERC-1967: bytes32(uint256(keccak256("eip1967.proxy.implementation")) - 1)
IMPLEMENTATION_SLOT = int.from_bytes(keccak(text="eip1967.proxy.implementation"), "big") - 1


def initializer_calldata(container: Any, args: tuple[Any, ...] | list[Any]) -> bytes:
    """`initialize(args...)` calldata for the contract type of Ape `container`."""
    from ape import networks

    abi = container.contract_type.mutable_methods["initialize"]
    encoded = networks.ecosystem.encode_calldata(abi, *args)
    return keccak(text=abi.selector)[:4] + bytes(encoded)


def implementation_of(web3: Any, proxy: str) -> str:
    """The implementation address stored in `proxy`'s ERC-1967 slot (zero address if none)."""
    word = bytes(web3.eth.get_storage_at(to_checksum_address(proxy), IMPLEMENTATION_SLOT))
    return to_checksum_address(word[-20:])


def deploy_upgradeable(project: Any, name: str, *args: Any, sender: Any) -> Any:
    """Deploy implementation `name` and a CityProxy initialised with `args`; the proxy's
    address with `name`'s ABI."""
    container = getattr(project, name)
    implementation = container.deploy(sender=sender)
    proxy = getattr(project, PROXY).deploy(
        implementation, initializer_calldata(container, args), sender=sender
    )
    return container.at(proxy.address)
