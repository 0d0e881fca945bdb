"""Clique consensus over JSON-RPC: who sealed what, signer sets, and signer votes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from eth_utils import to_checksum_address

from civic_dev.devnet.config import DevnetError
from civic_ledger.chain import clique
from civic_ledger.chain.client import HttpClient
from civic_ledger.core.exceptions import RpcError

IN_TURN_DIFFICULTY = 2  # Clique: 2 when the in-turn signer sealed, 1 otherwise


@dataclass(frozen=True)
class Sealed:
    number: int
    hash: str
    signer: str
    in_turn: bool
    timestamp: int
    tx_count: int


def signers(rpc: HttpClient, block: str = "latest") -> list[str]:
    """The signer set (`civic_ledger.chain.clique.signers`); RpcError when the node has no
    clique API (the devnet's nodes always do)."""
    found = clique.signers(rpc, block)
    if found is None:
        raise RpcError("clique_getSigners", f"{rpc.url} does not answer clique_getSigners")
    return found


def sealed(rpc: HttpClient, numbers: Iterable[int]) -> list[Sealed]:
    """Signer and turn of each block (two batched calls for any number of blocks)."""
    numbers = list(numbers)
    blocks = rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
    signer_of = clique.block_signers(rpc, numbers)
    out = []
    for n, block in zip(numbers, blocks, strict=True):
        if isinstance(block, Exception) or block is None or n not in signer_of:
            continue
        out.append(
            Sealed(
                number=int(block["number"], 16),
                hash=block["hash"],
                signer=signer_of[n],
                in_turn=int(block["difficulty"], 16) == IN_TURN_DIFFICULTY,
                timestamp=int(block["timestamp"], 16),
                tx_count=len(block["transactions"]),
            )
        )
    return out


def wait_until(
    predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.25
) -> float:
    """Poll `predicate` until true; return the seconds it took, or raise DevnetError."""
    start = time.monotonic()
    while True:
        try:
            if predicate():
                return time.monotonic() - start
        except RpcError:
            pass
        if time.monotonic() - start > timeout:
            raise DevnetError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def wait_for_rotation(
    rpc: HttpClient,
    expected: Iterable[str],
    timeout: float = 90.0,
    since: int = 1,
    in_turn: bool = False,
) -> list[Sealed]:
    """Wait until every expected signer has sealed a block of the canonical chain (from block
    `since` on; with `in_turn`, a block in its own turn). Returns the canonical blocks from
    `since` to the head at that moment.

    The range is re-read on every poll: Clique forks briefly (out-of-turn signers race the
    in-turn block, and geth announces blocks to most peers by hash, fetched up to 0.5 s later),
    so an early reading can be reorganised away."""
    want = {to_checksum_address(a) for a in expected}
    first = max(1, since)
    seen: list[Sealed] = []

    def complete() -> bool:
        nonlocal seen
        head = rpc.block_number()
        seen = sealed(rpc, range(first, head + 1)) if head >= first else []
        return want <= {s.signer for s in seen if s.in_turn or not in_turn}

    wait_until(complete, timeout, f"all of {len(want)} signers to seal", interval=0.5)
    return seen


def propose(rpcs: Iterable[HttpClient], address: str, authorize: bool) -> int:
    """Cast `clique_propose(address, authorize)` on each node; return how many accepted it."""
    accepted = 0
    for rpc in rpcs:
        try:
            rpc.call("clique_propose", to_checksum_address(address), authorize)
        except RpcError:
            continue
        accepted += 1
    return accepted


def discard(rpcs: Iterable[HttpClient], address: str) -> None:
    for rpc in rpcs:
        try:
            rpc.call("clique_discard", to_checksum_address(address))
        except RpcError:
            continue


def vote(
    rpcs: list[HttpClient], current: list[str], address: str, authorize: bool, timeout: float = 90.0
) -> tuple[list[str], float]:
    """Vote `address` in (authorize) or out on every reachable signer node and wait for the
    signer set to change. A vote passes with more than half of the current signers; this
    refuses to start without such a majority. Returns (new signer set, seconds taken)."""
    address = to_checksum_address(address)
    if authorize == (address in current):
        state = "already" if authorize else "not"
        raise DevnetError(f"{address} is {state} a signer")
    needed = len(current) // 2 + 1
    accepted = propose(rpcs, address, authorize)
    if accepted < needed:
        discard(rpcs, address)
        raise DevnetError(
            f"only {accepted} signer node(s) accepted the vote; {needed} of {len(current)} needed"
        )
    observer = rpcs[0]
    result: list[str] = []

    def changed() -> bool:
        nonlocal result
        result = signers(observer)
        return (address in result) == authorize

    try:
        took = wait_until(changed, timeout, f"the vote on {address} to pass")
    finally:
        discard(rpcs, address)  # stop re-casting a vote that passed (or gave up)
    return result, took
