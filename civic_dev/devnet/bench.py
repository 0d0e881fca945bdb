"""Load for the devnet: signed raw transfers with explicit nonces, and a throughput probe."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from civic_dev.devnet.keys import Key
from civic_ledger.chain.client import HttpClient
from civic_ledger.chain.signer import KeySigner
from civic_ledger.core.exceptions import RpcError

TRANSFER_GAS = 21_000
#: geth's miner refuses tips under 1 gwei (its default --miner.gasprice).
PRIORITY_FEE = 10**9
MAX_FEE = 3 * 10**9


def sign_transfer(
    key: Key, *, chain_id: int, nonce: int, to: str, value: int,
    max_fee: int = MAX_FEE, priority_fee: int = PRIORITY_FEE,
) -> tuple[str, str]:  # fmt: skip
    """An EIP-1559 value transfer signed offline: (raw tx hex, tx hash)."""
    signed = KeySigner(key.address, key.hex).sign(
        {
            "chainId": chain_id,
            "nonce": nonce,
            "to": to,
            "value": value,
            "gas": TRANSFER_GAS,
            "maxFeePerGas": max_fee,
            "maxPriorityFeePerGas": priority_fee,
        }
    )
    return "0x" + signed.raw.hex(), signed.tx_hash


def pending_nonce(rpc: HttpClient, address: str) -> int:
    return int(rpc.call("eth_getTransactionCount", address, "pending"), 16)


def wait_nonces(rpc: HttpClient, expected: dict[str, int], timeout: float) -> float:
    """Wait until each sender's mined nonce ("latest") reaches `expected`; return the time it
    took. Cheaper than polling receipts, which geth derives for a whole block per call."""
    start = time.monotonic()
    addresses = list(expected)
    while True:
        counts = rpc.batch([("eth_getTransactionCount", [a, "latest"]) for a in addresses])
        if all(
            not isinstance(c, Exception) and int(c, 16) >= expected[a]
            for a, c in zip(addresses, counts, strict=True)
        ):
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise TimeoutError("transactions not mined in time")
        time.sleep(0.1)


def canonical_transactions(rpc: HttpClient, first: int, last: int) -> list[tuple[int, str]]:
    """(block number, tx hash) of every transaction in canonical blocks first..last."""
    out: list[tuple[int, str]] = []
    for start in range(first, last + 1, 200):
        numbers = range(start, min(last, start + 199) + 1)
        blocks = rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
        for number, block in zip(numbers, blocks, strict=True):
            attempts = 0
            while not isinstance(block, dict):  # the head moved under us (a Clique reorg)
                attempts += 1
                if attempts > 20:
                    raise RpcError("eth_getBlockByNumber", f"block {number} missing")
                time.sleep(0.25)
                block = rpc.call("eth_getBlockByNumber", hex(number), False)
            out.extend((number, tx) for tx in block["transactions"])
    return out


def block_receipts(rpc: HttpClient, numbers: Sequence[int]) -> dict[str, dict]:
    """{tx hash: receipt} for every transaction of the given blocks (eth_getBlockReceipts)."""
    receipts: dict[str, dict] = {}
    for number in sorted(set(numbers)):
        for receipt in rpc.call("eth_getBlockReceipts", hex(number)) or []:
            receipts[receipt["transactionHash"]] = receipt
    return receipts


@dataclass(frozen=True)
class BenchResult:
    txs: int
    senders: int
    sign_seconds: float
    submit_seconds: float
    total_seconds: float  # first submission to last receipt seen
    first_block: int
    last_block: int
    block_span_seconds: int  # timestamp(last) - timestamp(first block before the load)
    failed: int

    @property
    def submit_rate(self) -> float:
        return self.txs / self.submit_seconds if self.submit_seconds else float("inf")

    @property
    def end_to_end_rate(self) -> float:
        return self.txs / self.total_seconds if self.total_seconds else float("inf")

    @property
    def chain_rate(self) -> float:
        """Transactions per second of chain time over the blocks that carried the load."""
        return self.txs / self.block_span_seconds if self.block_span_seconds else float("inf")


def run_bench(
    rpc: HttpClient, chain_id: int, senders: Sequence[Key], txs: int, batch: int = 100,
    timeout: float = 300.0,
) -> BenchResult:  # fmt: skip
    """Send `txs` 1-wei transfers round-robin from `senders` (raw, batched, explicit nonces)
    and wait for every receipt."""
    nonces = {k.address: pending_nonce(rpc, k.address) for k in senders}
    sink = "0x000000000000000000000000000000000000dEaD"
    t0 = time.monotonic()
    raws, hashes = [], []
    for i in range(txs):
        key = senders[i % len(senders)]
        raw, tx_hash = sign_transfer(
            key, chain_id=chain_id, nonce=nonces[key.address], to=sink, value=1
        )
        nonces[key.address] += 1
        raws.append(raw)
        hashes.append(tx_hash)
    sign_seconds = time.monotonic() - t0
    start_block = rpc.block()
    t1 = time.monotonic()
    rpc.send_raw_many([bytes.fromhex(r[2:]) for r in raws], chunk=batch)
    submit_seconds = time.monotonic() - t1
    wait_nonces(rpc, nonces, timeout)
    total_seconds = time.monotonic() - t1
    wanted = set(hashes)
    included = [
        (n, h)
        for n, h in canonical_transactions(rpc, int(start_block["number"], 16), rpc.block_number())
        if h in wanted
    ]
    numbers = [n for n, _ in included]
    receipts = block_receipts(rpc, numbers)
    if len(included) != txs or not wanted <= receipts.keys():
        raise RpcError("bench", f"{txs} sent, {len(included)} found in canonical blocks")
    last = rpc.block(max(numbers))
    return BenchResult(
        txs=txs,
        senders=len(senders),
        sign_seconds=sign_seconds,
        submit_seconds=submit_seconds,
        total_seconds=total_seconds,
        first_block=min(numbers),
        last_block=max(numbers),
        block_span_seconds=int(last["timestamp"], 16) - int(start_block["timestamp"], 16),
        failed=sum(1 for h in hashes if receipts[h]["status"] != "0x1"),
    )
