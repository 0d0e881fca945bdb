"""Rendering the portal's pages: the Jinja environment (autoescaped, with Babel's i18n
extension), a request's language, its CSRF token, and the one refusal page every bad input
gets (`PortalError`: a status and a message in plain words, translated)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from civic_ledger.core.exceptions import PortalError
from civic_ledger.gateway.web import Gateway
from civic_ledger.portal import i18n
from civic_ledger.portal.security import Csrf, remember_csrf

TEMPLATES = Path(__file__).parent / "templates"
MAX_QUERY_VALUE = 300  # longer query values are refused before anything reads them


def N_(message: str) -> str:
    """Mark `message` for the catalogue; it is translated where it is shown."""
    return message


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "svg"], default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # the callables come with each render (the request's language); these keep templates
    # loadable without one (e.g. by the catalogue tests)
    env.install_null_translations(newstyle=False)
    return env


ENV = environment()


def gateway_of(request: Request) -> Gateway:
    return request.app.state.gateway


def csrf_of(request: Request) -> Csrf:
    return request.app.state.portal_csrf


def lang_of(request: Request) -> tuple[i18n.Lang, bool]:
    tag, chosen = i18n.negotiate(
        request.query_params.get("lang"),
        request.cookies.get(i18n.COOKIE),
        request.headers.get("accept-language"),
    )
    return i18n.Lang(tag), chosen


def switch_links(request: Request) -> list[dict[str, str]]:
    """Links to this page in every language (the page's other query values kept, encoded)."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    kept = [(k, v[:MAX_QUERY_VALUE]) for k, v in kept[:10]]
    return [
        {
            "tag": tag,
            "name": i18n.NAMES[tag],
            "href": request.url.path + "?" + urlencode([*kept, ("lang", tag)]),
        }
        for tag in i18n.LANGUAGES
    ]


def render(
    request: Request,
    template: str,
    status: int = 200,
    *,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """The page `template` in the request's language, with its CSRF token."""
    lang, chosen = lang_of(request)
    csrf = csrf_of(request)
    token = csrf.token_for(request)
    page = ENV.get_template(template).render(
        lang=lang,
        gettext=lang.gettext,
        ngettext=lang.ngettext,
        _=lang.gettext,
        csrf_token=token,
        language_links=switch_links(request),
        path=request.url.path,
        **context,
    )
    response = HTMLResponse(page, status_code=status, headers=headers)
    remember_csrf(response, request, token)
    if chosen:
        response.set_cookie(
            i18n.COOKIE, lang.tag, max_age=365 * 24 * 3600, samesite="lax", path="/"
        )
    return response


def refusal(request: Request, error: PortalError) -> HTMLResponse:
    """The page for a refused input: what was wrong, in the request's language."""
    lang, _chosen = lang_of(request)
    message = lang.gettext(error.message)
    if error.params:  # catalogue words among the values are translated too
        message = message.format(
            **{k: lang.gettext(v) if isinstance(v, str) else v for k, v in error.params.items()}
        )
    return render(request, "error.html", error.status, message=message, status_code=error.status)


def query_value(request: Request, name: str) -> str | None:
    """A query parameter, stripped; None when absent or empty; refused when far too long."""
    value = request.query_params.get(name)
    if value is None or not value.strip():
        return None
    if len(value) > MAX_QUERY_VALUE:
        raise PortalError(414, N_("The value of “{name}” is too long."), name=name)
    return value.strip()
