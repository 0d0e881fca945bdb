"""The public portal and agency dashboard: server-rendered pages (Jinja2, zh-CN and English
through Babel catalogues) served by the gateway's own app, reading the same index as the API
(`gateway.queries`, `gateway.city_queries`).

`mount_portal(app)` adds the pages (home and verify, parcels, fund, my records, dashboard), the
static files (one CSS file, one small script), the security headers and a CSRF key; the API
keeps its routes, JSON refusals and rate limit. See `security.py` for the headers, CSRF and the
session cookie, `i18n.py` for languages and formats."""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response

from civic_ledger.core.exceptions import PortalError
from civic_ledger.gateway import queries
from civic_ledger.portal import pages_city, pages_me, pages_verify
from civic_ledger.portal.security import Csrf, SecurityHeaders, is_portal_path
from civic_ledger.portal.views import N_, refusal

STATIC = Path(__file__).parent / "static"


def mount_portal(app: FastAPI) -> None:
    """Serve the portal from `app` (built by `gateway.api.create_app`, whose `state.gateway`
    the pages read)."""
    secret = app.state.gateway.auth.secret
    app.state.portal_csrf = Csrf(hashlib.sha256(b"civic-portal-csrf:" + secret).digest())
    for module in (pages_verify, pages_city, pages_me):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(SecurityHeaders)

    json_not_indexed = app.exception_handlers.get(queries.NotIndexed)

    async def not_indexed(request: Request, exc: Exception) -> Response:
        if is_portal_path(request.url.path) or json_not_indexed is None:
            error = PortalError(503, N_("The gateway has not indexed anything yet."))
            response = refusal(request, error)
            response.headers["Retry-After"] = "10"
            return response
        return await json_not_indexed(request, exc)

    app.add_exception_handler(queries.NotIndexed, not_indexed)
