"""The chain's health for the agency dashboard, read from the node the gateway indexes: its
head and the head block's time, and the Clique signers (`clique_getSigners`) with the last
block each sealed among the recent ones (`clique_getSigner`, one batched request); a node
without the clique API has signers "unknown for this node". One read serves every dashboard
view for `ttl` seconds (a failure too: a node that does not answer does not hold up each
page), so the dashboard costs the node at most a few requests every few seconds.

`attach_chain(app, client)` gives the app built by `gateway.api.create_app` the client (the
`serve` command passes the one it indexes through); without one, the dashboard says this
process does not reach the node and shows the indexer's last poll."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from civic_ledger.chain import clique
from civic_ledger.chain.client import ChainClient
from civic_ledger.core.exceptions import RpcError

TTL = 5.0
WINDOW = 64  # recent blocks searched for each signer's last seal


def _number(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


class ChainHealth:
    """The node's head and signers, cached for `ttl` seconds."""

    def __init__(
        self,
        client: ChainClient,
        *,
        ttl: float = TTL,
        window: int = WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.ttl = ttl
        self.window = window
        self.clock = clock
        self._lock = threading.Lock()
        self._cached: tuple[float, dict[str, Any]] | None = None

    def read(self) -> dict[str, Any]:
        """{"reached", "head", "head_time", "signers": [{"address", "last_sealed"}] or None,
        "window", "read_at"} or {"reached": False, "error"}; at most one node read per ttl."""
        with self._lock:  # one refresh at a time; the others wait for it and share it
            now = self.clock()
            if self._cached is None or now - self._cached[0] >= self.ttl:
                self._cached = (now, self._read())
            return self._cached[1]

    def _read(self) -> dict[str, Any]:
        read_at = int(time.time())
        try:
            head = self.client.block_number()
            head_time = _number(self.client.block(head)["timestamp"])
        except (RpcError, KeyError, TypeError, ValueError) as exc:
            return {"reached": False, "error": " ".join(str(exc).split())[:200], "read_at": read_at}
        found = clique.signers(self.client)
        signers = None
        if found is not None:
            first = max(1, head - self.window + 1)
            last: dict[str, int] = {}
            for number, sealer in sorted(
                clique.block_signers(self.client, range(first, head + 1)).items()
            ):
                last[sealer] = number
            signers = [{"address": a, "last_sealed": last.get(a)} for a in found]
        return {"reached": True, "head": head, "head_time": head_time, "signers": signers,
                "window": self.window, "read_at": read_at}  # fmt: skip


def attach_chain(app: FastAPI, client: ChainClient | None, *, ttl: float = TTL) -> None:
    """Give the dashboard of `app` the node `client` reaches (None: no node)."""
    app.state.chain_health = None if client is None else ChainHealth(client, ttl=ttl)


def chain_health_of(app: Any) -> ChainHealth | None:
    return getattr(app.state, "chain_health", None)
