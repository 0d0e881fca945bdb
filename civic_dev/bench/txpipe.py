"""Pipelined raw transactions: sign locally with explicit nonces, keep up to `window`
transactions in flight per sender, collect receipts as blocks arrive.

One Ape call per item costs ~20 ms of client overhead and waits for its block; here the client
signs (coincurve) and submits while earlier transactions are being mined, so the chain's block
gas limit, not the client, bounds the import.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import requests
from eth_account import Account

GWEI = 10**9
PRIORITY_FEE = 1 * GWEI  # geth's miner refuses tips under 1 gwei by default
MAX_FEE = 100 * GWEI
TX_FEE_CAP = 10**18  # geth refuses gas x max fee above 1 ether by default (--rpc.txfeecap)
BASE_FEE_STEP = 1.125  # EIP-1559: a full block raises the next base fee by 12.5 %


def max_fee_per_gas(
    base_fee: int, full_blocks: int, tx_gas: int, *, priority_fee: int = PRIORITY_FEE,
    floor: int = MAX_FEE, tx_fee_cap: int = TX_FEE_CAP,
) -> int:  # fmt: skip
    """maxFeePerGas for `full_blocks` consecutive full blocks starting at `base_fee`: at least
    the base fee those blocks can reach (+2 blocks of margin) plus the tip, at least `floor`
    while a transaction of `tx_gas` stays under the node's fee cap. Raises if the projected
    base fee itself would break the cap (the import would stall with underpriced txs)."""
    projected = math.ceil(base_fee * BASE_FEE_STEP ** (full_blocks + 2)) + priority_fee
    ceiling = tx_fee_cap // tx_gas
    if projected > ceiling:
        raise ValueError(
            f"base fee {base_fee:,} wei can reach {projected:,} wei over {full_blocks} full "
            f"blocks; a {tx_gas:,}-gas transaction may pay at most {ceiling:,} wei per gas "
            "(node tx fee cap): wait for the base fee to fall or import in parts"
        )
    return min(max(projected, floor), ceiling)


def max_start_base_fee(
    full_blocks: int, tx_gas: int, *, priority_fee: int = PRIORITY_FEE,
    tx_fee_cap: int = TX_FEE_CAP,
) -> int:  # fmt: skip
    """The highest base fee from which `full_blocks` full blocks (+2) keep a `tx_gas`
    transaction's fee under the node's cap (the inverse of `max_fee_per_gas`'s check)."""
    room = tx_fee_cap // tx_gas - priority_fee
    return max(0, math.floor(room / BASE_FEE_STEP ** (full_blocks + 2)))


class RpcError(RuntimeError):
    def __init__(self, method: str, error: Any) -> None:
        super().__init__(f"{method}: {error}")
        self.method = method
        self.error = error


class Rpc:
    """Minimal JSON-RPC over HTTP with batching."""

    def __init__(self, url: str, timeout: float = 60.0) -> None:
        self.url = url
        self.timeout = timeout
        self._session = requests.Session()
        self._id = 0

    def call(self, method: str, *params: Any) -> Any:
        result = self.batch([(method, list(params))])[0]
        if isinstance(result, RpcError):
            raise result
        return result

    def batch(self, calls: Sequence[tuple[str, list[Any]]]) -> list[Any]:
        """Results in order; a failed call yields an RpcError in its place."""
        if not calls:
            return []
        body = []
        for method, params in calls:
            self._id += 1
            body.append({"jsonrpc": "2.0", "id": self._id, "method": method, "params": params})
        response = self._session.post(self.url, json=body, timeout=self.timeout)
        response.raise_for_status()
        by_id = {item["id"]: item for item in response.json()}
        out: list[Any] = []
        for request, (method, _) in zip(body, calls, strict=True):
            item = by_id.get(request["id"], {"error": "no answer"})
            out.append(RpcError(method, item["error"]) if "error" in item else item.get("result"))
        return out

    def chain_id(self) -> int:
        return int(self.call("eth_chainId"), 16)

    def nonce(self, address: str, block: str = "pending") -> int:
        return int(self.call("eth_getTransactionCount", address, block), 16)

    def block(self, number: int | str = "latest") -> dict[str, Any]:
        tag = hex(number) if isinstance(number, int) else number
        return dict(self.call("eth_getBlockByNumber", tag, False))

    def estimate_gas(self, sender: str, to: str, data: bytes) -> int:
        tx = {"from": sender, "to": to, "data": "0x" + data.hex()}
        return int(self.call("eth_estimateGas", tx), 16)

    def receipts(self, hashes: Sequence[str]) -> list[dict[str, Any] | None]:
        out: list[dict[str, Any] | None] = []
        for start in range(0, len(hashes), 200):
            chunk = hashes[start : start + 200]
            for result in self.batch([("eth_getTransactionReceipt", [h]) for h in chunk]):
                if isinstance(result, RpcError):
                    raise result
                out.append(result)
        return out


@dataclass(frozen=True)
class Signer:
    address: str
    private_key: str

    @classmethod
    def from_key(cls, private_key: str) -> Signer:
        return cls(Account.from_key(private_key).address, private_key)


@dataclass(frozen=True)
class Job:
    """One transaction to send: `key` identifies it in the journal."""

    key: int
    to: str
    data: bytes
    gas: int
    items: int


@dataclass
class Sent:
    job: Job
    tx_hash: str
    nonce: int
    sent_at: float


@dataclass(frozen=True)
class Mined:
    job: Job
    tx_hash: str
    nonce: int
    status: int
    gas_used: int
    block: int
    seen_at: float


class Pipeline:
    """Send jobs from one signer, at most `window` unmined at a time."""

    def __init__(
        self,
        rpc: Rpc,
        signer: Signer,
        *,
        chain_id: int,
        window: int = 64,
        max_fee: int = MAX_FEE,
        priority_fee: int = PRIORITY_FEE,
        poll: float = 0.1,
        on_sent: Callable[[Sent], None] = lambda s: None,
        on_mined: Callable[[Mined], None] = lambda m: None,
    ) -> None:
        self.rpc = rpc
        self.signer = signer
        self.chain_id = chain_id
        self.window = window
        self.max_fee = max_fee
        self.priority_fee = priority_fee
        self.poll = poll
        self.on_sent = on_sent
        self.on_mined = on_mined
        self.in_flight: list[Sent] = []
        self.mined: list[Mined] = []

    def sign(self, job: Job, nonce: int) -> tuple[str, str]:
        signed = Account.sign_transaction(
            {
                "type": 2,
                "chainId": self.chain_id,
                "nonce": nonce,
                "to": job.to,
                "value": 0,
                "data": job.data,
                "gas": job.gas,
                "maxFeePerGas": self.max_fee,
                "maxPriorityFeePerGas": self.priority_fee,
            },
            self.signer.private_key,
        )
        return "0x" + bytes(signed.raw_transaction).hex(), "0x" + bytes(signed.hash).hex()

    def run(self, jobs: Iterable[Job], timeout: float = 900.0) -> list[Mined]:
        """Send every job (nonces from the sender's pending count), wait for all receipts."""
        nonce = self.rpc.nonce(self.signer.address, "pending")
        deadline = time.monotonic() + timeout
        for job in jobs:
            while len(self.in_flight) >= self.window:
                self._collect(deadline)
            raw, tx_hash = self.sign(job, nonce)
            self.rpc.call("eth_sendRawTransaction", raw)
            sent = Sent(job, tx_hash, nonce, time.monotonic())
            nonce += 1
            self.in_flight.append(sent)
            self.on_sent(sent)
        while self.in_flight:
            self._collect(deadline)
        return self.mined

    def _collect(self, deadline: float) -> None:
        """Wait until at least one in-flight transaction has a receipt; record it."""
        missing_since: dict[str, float] = {}
        while True:
            mined_nonce = self.rpc.nonce(self.signer.address, "latest")
            candidates = [s for s in self.in_flight if s.nonce < mined_nonce]
            receipts = self.rpc.receipts([s.tx_hash for s in candidates]) if candidates else []
            now = time.monotonic()
            found = []
            for sent, receipt in zip(candidates, receipts, strict=True):
                if receipt is not None:
                    found.append((sent, receipt))
                    continue
                # The node may count the nonce a moment before it serves the receipt; a
                # receipt still missing much later means another transaction took the nonce.
                first_missing = missing_since.setdefault(sent.tx_hash, now)
                if now - first_missing > 30:
                    raise RpcError(
                        "eth_getTransactionReceipt", f"{sent.tx_hash} was dropped or replaced"
                    )
            if found:
                break
            if now > deadline:
                raise TimeoutError(
                    f"{len(self.in_flight)} transaction(s) of {self.signer.address} not mined "
                    "in time (fee too low, or the node dropped them?)"
                )
            time.sleep(self.poll)
        for sent, receipt in found:
            mined = Mined(
                sent.job, sent.tx_hash, sent.nonce, int(receipt["status"], 16),
                int(receipt["gasUsed"], 16), int(receipt["blockNumber"], 16), now,
            )  # fmt: skip
            self.mined.append(mined)
            self.on_mined(mined)
        settled = {sent.tx_hash for sent, _ in found}
        self.in_flight = [s for s in self.in_flight if s.tx_hash not in settled]
