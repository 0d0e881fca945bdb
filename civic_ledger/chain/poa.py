"""Ape on a Clique chain.

Clique keeps the signer's seal in `extraData` (97+ bytes), which web3.py only accepts with
`ExtraDataToPOAMiddleware`. Ape 0.8.51's node provider is meant to add it on connect, but its
detection (`has_poa_history`) only recognises web3's `ExtraDataLengthError`; Ape builds its
Web3 without validation middleware, so with web3 7 the header fails with a plain ValueError,
detection says "no PoA" and every block read fails ("Could not format invalid value ... as
field 'extraData'"). `ensure_poa_middleware` fixes a connected provider; call it right after
connecting (scripts, conftest, ape_console_extras.py).
"""

from __future__ import annotations

from typing import Any

from web3.middleware import ExtraDataToPOAMiddleware

MAX_PLAIN_EXTRA_DATA = 32


def ensure_poa_middleware(provider: Any | None = None) -> bool:
    """Inject `ExtraDataToPOAMiddleware` into the provider's Web3 when the chain's headers
    carry PoA extraData. Returns True if it was injected now. Defaults to Ape's provider."""
    if provider is None:
        from ape import networks

        provider = networks.provider
    web3 = provider.web3
    if ExtraDataToPOAMiddleware in web3.middleware_onion:
        return False
    block = provider.make_request("eth_getBlockByNumber", ["latest", False])
    extra = block.get("extraData", "0x") if isinstance(block, dict) else "0x"
    if len(extra.removeprefix("0x")) // 2 <= MAX_PLAIN_EXTRA_DATA:
        return False
    web3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    return True


def prepare_connection() -> None:
    """Make Ape's connected provider able to read this chain's blocks (a no-op without a
    connection, on chains with plain headers, and on repeated calls)."""
    from ape import networks

    if networks.active_provider is not None and networks.provider.is_connected:
        ensure_poa_middleware(networks.provider)
