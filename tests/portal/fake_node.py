"""A node for the dashboard's chain-health tests: a Clique chain of three signers taking turns
(block n sealed by signer n % 3, the third signer silent for the last 70 blocks), or a node
without the clique API; it counts the requests it answers."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from civic_ledger.chain.client import ChainClient
from civic_ledger.core.exceptions import RpcError

SIGNERS = [
    "0x1111111111111111111111111111111111111111",
    "0x2222222222222222222222222222222222222222",
    "0x3333333333333333333333333333333333333333",
]


class FakeNode(ChainClient):
    def __init__(self, head: int = 500, head_time: int | None = None, clique: bool = True):
        self.head = head
        self.head_time = int(time.time()) - 4 if head_time is None else head_time
        self.clique = clique
        self.calls: Counter[str] = Counter()

    def sealer(self, number: int) -> str:
        if number > self.head - 70 and number % 3 == 2:
            return SIGNERS[number % 2]  # the third signer has been silent: others sealed
        return SIGNERS[number % 3]

    def call(self, method: str, *params: Any) -> Any:
        self.calls[method] += 1
        if method == "eth_blockNumber":
            return hex(self.head)
        if method == "eth_getBlockByNumber":
            number = int(params[0], 16)
            return {"number": hex(number), "hash": "0x" + f"{number:064x}",
                    "timestamp": hex(self.head_time - 5 * (self.head - number))}  # fmt: skip
        if self.clique and method == "clique_getSigners":
            return list(SIGNERS)
        if self.clique and method == "clique_getSigner":
            number = int(params[0], 16)
            if number == 0:
                raise RpcError(method, "genesis is not sealed")
            return self.sealer(number)
        raise RpcError(method, "the method does not exist/is not available", -32601)
