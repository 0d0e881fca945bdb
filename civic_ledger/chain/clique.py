"""Clique (proof of authority) over JSON-RPC: the signer set, and who sealed which block, as a
node with the `clique` API answers them (geth: `--http.api eth,net,clique`). A node without it
(another consensus, or the API not enabled) answers None / nothing: the caller says the
signers are unknown for that node rather than guessing.

Used by the agency dashboard's chain health (`portal/health.py`) and the development devnet
(`civic_dev/devnet/clique.py`)."""

from __future__ import annotations

from collections.abc import Iterable

from eth_utils import is_address, to_checksum_address

from civic_ledger.chain.client import ChainClient
from civic_ledger.core.exceptions import RpcError


def signers(client: ChainClient, block: str = "latest") -> list[str] | None:
    """The authorised signers at `block` (checksummed), None when the node does not answer
    `clique_getSigners`."""
    try:
        found = client.call("clique_getSigners", block)
    except RpcError:
        return None
    if not isinstance(found, list) or not all(isinstance(a, str) and is_address(a) for a in found):
        return None
    return [to_checksum_address(a) for a in found]


def block_signers(client: ChainClient, numbers: Iterable[int]) -> dict[int, str]:
    """block number -> the signer that sealed it (`clique_getSigner`, one batched request), for
    the blocks the node names a signer of (the genesis block has none)."""
    wanted = list(numbers)
    answers = client.batch([("clique_getSigner", [hex(n)]) for n in wanted])
    return {
        n: to_checksum_address(a)
        for n, a in zip(wanted, answers, strict=True)
        if isinstance(a, str) and is_address(a)
    }
