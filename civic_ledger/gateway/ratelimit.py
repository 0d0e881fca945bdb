"""Rate limits per client: a token bucket per client address, as ASGI middleware.

Each client (the connection's peer address; behind a reverse proxy, configure the server to
take the client address from the proxy's header) holds up to `burst` tokens, refilled at `rate`
per second; a request spends one. An empty bucket answers 429 with `Retry-After` (whole
seconds until a token is back). Paths in `exempt` (the health check) are not counted. Buckets
idle long enough to be full again are forgotten, so memory stays bounded by the clients of the
last `burst / rate` seconds.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SWEEP_EVERY = 4096  # requests between sweeps of idle buckets


class TokenBuckets:
    """Buckets of `burst` tokens refilled at `rate` per second, one per key."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        if rate <= 0 or burst < 1:
            raise ValueError("a rate limit needs rate > 0 and burst >= 1")
        self.rate, self.burst, self.clock = rate, burst, clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()
        self._count = 0

    def take(self, key: str) -> float:
        """Spend a token of `key`'s bucket: 0 when granted, else seconds until one is back."""
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1 - tokens) / self.rate
            self._count += 1
            if self._count % SWEEP_EVERY == 0:
                self._sweep(now)
        return wait

    def _sweep(self, now: float) -> None:
        full = self.burst / self.rate
        for key in [k for k, (_, at) in self._buckets.items() if now - at > full]:
            del self._buckets[key]


class RateLimit:
    """ASGI middleware: a token bucket per client for every HTTP path but `exempt` ones."""

    def __init__(self, app: ASGIApp, *, buckets: TokenBuckets, exempt: Iterable[str] = ()):
        self.app = app
        self.buckets = buckets
        self.exempt = frozenset(exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in self.exempt:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.buckets.take(client[0] if client else "unknown")
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        retry = max(1, math.ceil(wait))
        body = json.dumps({"error": f"too many requests: retry in {retry} s"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(retry).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
