"""A JSON-RPC proxy in front of a test node, for the gateway's fault tests: it forwards every
request, and on demand

- goes away: after the `fail_after`-th request that calls a given method has been answered,
  every later request gets HTTP 503 (until `restore()`), as a node that stopped would;
- limits `eth_getLogs` to `max_range` blocks, answering a wider query with Besu's error
  (`-32005`, "Requested range exceeds maximum RPC range limit");
- refuses items of a batch: the next `count` items calling a method inside a batched request
  get an error of their own while the rest of the batch is answered (`refuse_in_batches`), as
  a loaded node's per-item timeouts or batch limits do.

A threaded `http.server` on a free port of 127.0.0.1; `with RpcProxy(url) as proxy:` starts
and stops it.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

BESU_RANGE_ERROR = {"code": -32005, "message": "Requested range exceeds maximum RPC range limit"}
BUSY_ERROR = {"code": -32000, "message": "request timed out"}


class RpcProxy:
    """Forwards JSON-RPC to `upstream`; see the module's docstring for the faults."""

    def __init__(self, upstream: str, *, max_range: int | None = None) -> None:
        self.upstream = upstream
        self.max_range = max_range
        self.calls: Counter[str] = Counter()  # method -> requests forwarded
        self.refused = 0  # eth_getLogs queries refused for their range
        self.failed = 0  # requests answered with 503
        self._fail: tuple[str, int] | None = None
        self._refuse: dict[str, int] = {}  # method -> batch items still to refuse
        self._down = False
        self._lock = threading.Lock()
        self._session = requests.Session()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def fail_after(self, method: str, count: int) -> None:
        """Go away once `count` more requests calling `method` have been answered."""
        with self._lock:
            self._fail = (method, self.calls[method] + count)

    def refuse_in_batches(self, method: str, count: int) -> None:
        """Answer the next `count` batch items calling `method` with an error item."""
        with self._lock:
            self._refuse[method] = count

    def restore(self) -> None:
        """The node is back."""
        with self._lock:
            self._fail, self._down = None, False

    def __enter__(self) -> RpcProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._session.close()

    # -- one request ---------------------------------------------------------------------

    def answer(self, body: bytes) -> tuple[int, bytes]:
        with self._lock:
            if self._down:
                self.failed += 1
                return 503, b"node unavailable"
        payload = json.loads(body)
        items = payload if isinstance(payload, list) else [payload]
        refused = {id(i) for i in items if self._too_wide(i)}
        batch = isinstance(payload, list) and len(payload) > 1  # (HttpClient sends lists of 1)
        busy = {id(i) for i in items if batch and self._take_refusal(i)}
        forward = [i for i in items if id(i) not in refused | busy]
        answers: dict[Any, Any] = {}
        if forward:
            reply = self._session.post(self.upstream, json=forward, timeout=60).json()
            answers = {a.get("id"): a for a in (reply if isinstance(reply, list) else [reply])}
        out = []
        for item in items:
            if id(item) in refused:
                self.refused += 1
                out.append({"jsonrpc": "2.0", "id": item.get("id"), "error": BESU_RANGE_ERROR})
            elif id(item) in busy:
                out.append({"jsonrpc": "2.0", "id": item.get("id"), "error": BUSY_ERROR})
            else:
                out.append(answers.get(item.get("id")))
        with self._lock:
            for item in forward:
                self.calls[item.get("method", "")] += 1
            if self._fail and self.calls[self._fail[0]] >= self._fail[1]:
                self._down = True  # this answer still goes out; the next request fails
        return 200, json.dumps(out if isinstance(payload, list) else out[0]).encode()

    def _take_refusal(self, item: dict[str, Any]) -> bool:
        with self._lock:
            left = self._refuse.get(item.get("method", ""), 0)
            if left > 0:
                self._refuse[item["method"]] = left - 1
            return left > 0

    def _too_wide(self, item: dict[str, Any]) -> bool:
        if self.max_range is None or item.get("method") != "eth_getLogs":
            return False
        query = (item.get("params") or [{}])[0]
        try:
            first, last = int(query["fromBlock"], 16), int(query["toBlock"], 16)
        except (KeyError, TypeError, ValueError):
            return True  # tags or open ranges: refused like a wide range
        return last - first + 1 > self.max_range

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, data = proxy.answer(body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler
