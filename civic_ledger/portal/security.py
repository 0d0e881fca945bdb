"""What protects the portal's pages: security headers on every page, CSRF tokens on every
form that posts, and the subject's session cookie.

- Headers (`SecurityHeaders`, ASGI middleware on the portal's paths): a Content-Security-Policy
  that allows only the portal's own files and no inline script (`default-src 'self';
  script-src 'self'; frame-ancestors 'none'`), `X-Frame-Options: DENY`, `nosniff`, no referrer
  (so no page's address leaks to another site), and `no-store` for the personal pages.
- CSRF: a signed double-submit token. The `csrf` cookie (HttpOnly, SameSite=Strict) holds
  `nonce.mac` with mac = HMAC-SHA256(secret, "csrf:" + nonce); every form carries the same value
  in a hidden `csrf` field. A post is accepted only when the field equals the cookie and the mac
  verifies: another site can neither read the cookie nor forge a value the gateway signed.
- The session: the gateway's own bearer token (`auth.Authenticator`: the address and expiry under
  its HMAC) in the `civic_session` cookie, HttpOnly, SameSite=Strict, expiring with the token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import MutableMapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from civic_ledger.gateway.ratelimit import ASGIApp, Receive, Scope, Send

CSRF_COOKIE = "csrf"
CSRF_FIELD = "csrf"
SESSION_COOKIE = "civic_session"
CSP = "default-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
#: Paths that are not the portal's (the JSON API and its interactive docs keep their headers).
NOT_PORTAL = ("/api/", "/docs", "/redoc", "/openapi.json")


def is_portal_path(path: str) -> bool:
    return not path.startswith(NOT_PORTAL)


class SecurityHeaders:
    """ASGI middleware: the security headers on every portal response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_portal_path(scope.get("path", "")):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [
                    (k.encode(), v.encode())
                    for k, v in HEADERS.items()
                    if k.encode() not in present
                ]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


class Csrf:
    """Signed double-submit CSRF tokens under `secret`."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret

    def _mac(self, nonce: str) -> str:
        return hmac.new(self.secret, f"csrf:{nonce}".encode(), hashlib.sha256).hexdigest()

    def new(self) -> str:
        nonce = secrets.token_hex(16)
        return f"{nonce}.{self._mac(nonce)}"

    def valid(self, value: str | None) -> bool:
        if not value or len(value) > 200:
            return False
        nonce, _, mac = value.partition(".")
        return bool(nonce) and hmac.compare_digest(mac, self._mac(nonce))

    def token_for(self, request: Request) -> str:
        """The request's token: its cookie's when valid, else a new one (set by `remember`)."""
        found = request.cookies.get(CSRF_COOKIE)
        return found if found and self.valid(found) else self.new()

    def check(self, request: Request, submitted: object) -> bool:
        """A post's token: the form field equals the cookie, and the gateway signed it."""
        cookie = request.cookies.get(CSRF_COOKIE)
        if not isinstance(submitted, str) or not cookie:
            return False
        return hmac.compare_digest(submitted, cookie) and self.valid(cookie)


def secure(request: Request) -> bool:
    return request.url.scheme == "https"


def remember_csrf(response: Response, request: Request, token: str) -> None:
    if request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(
            CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure(request), path="/"
        )


def set_session(response: Response, request: Request, token: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max(1, max_age),
        httponly=True,
        samesite="strict",
        secure=secure(request),
        path="/",
    )


def clear_session(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="strict", secure=secure(request), path="/"
    )
