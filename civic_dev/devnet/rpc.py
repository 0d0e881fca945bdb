"""A small JSON-RPC client (requests, keep-alive) for node administration and load scripts.

web3.py works against the devnet too (with `ExtraDataToPOAMiddleware`); this client exists so
the admin commands stay fast and independent of middleware and ABI machinery.
"""

from __future__ import annotations

import itertools
from typing import Any

import requests


class RpcError(RuntimeError):
    """The node answered with a JSON-RPC error (or not at all)."""

    def __init__(self, method: str, message: str, code: int | None = None) -> None:
        super().__init__(f"{method}: {message}")
        self.method = method
        self.code = code


class Rpc:
    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url = url
        self.timeout = timeout
        self._ids = itertools.count(1)
        self._session = requests.Session()

    def __repr__(self) -> str:
        return f"Rpc({self.url!r})"

    def call(self, method: str, *params: Any) -> Any:
        payload = {
            "jsonrpc": "2.0",
            "id": next(self._ids),
            "method": method,
            "params": list(params),
        }
        try:
            response = self._session.post(self.url, json=payload, timeout=self.timeout)
            response.raise_for_status()
            body = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise RpcError(method, f"no answer from {self.url}: {exc}") from exc
        if "error" in body:
            error = body["error"] or {}
            raise RpcError(method, str(error.get("message")), error.get("code"))
        return body.get("result")

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        """Send several calls in one HTTP request; results (or RpcError instances) in order."""
        if not calls:
            return []
        payload = [
            {"jsonrpc": "2.0", "id": i, "method": method, "params": params}
            for i, (method, params) in enumerate(calls)
        ]
        try:
            response = self._session.post(self.url, json=payload, timeout=self.timeout * 4)
            response.raise_for_status()
            body = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise RpcError("batch", f"no answer from {self.url}: {exc}") from exc
        if isinstance(body, dict):  # the whole batch was refused
            raise RpcError("batch", str((body.get("error") or {}).get("message")))
        results: list[Any] = [None] * len(calls)
        for item in body:
            index = item["id"]
            if "error" in item:
                results[index] = RpcError(calls[index][0], str(item["error"].get("message")))
            else:
                results[index] = item.get("result")
        return results

    def alive(self) -> bool:
        try:
            self.call("eth_chainId")
        except RpcError:
            return False
        return True

    def block_number(self) -> int:
        return int(self.call("eth_blockNumber"), 16)

    def block(self, number: int | str = "latest", full: bool = False) -> dict[str, Any]:
        tag = hex(number) if isinstance(number, int) else number
        block = self.call("eth_getBlockByNumber", tag, full)
        if block is None:
            raise RpcError("eth_getBlockByNumber", f"no block {number}")
        return block

    def close(self) -> None:
        self._session.close()
