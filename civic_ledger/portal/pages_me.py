"""My records / who accessed my data: the subject signs the gateway's challenge with the
controller wallet (from any wallet, or `ape run admin identity sign-challenge`), gets the
session cookie, and sees the records about them, their disputes, the data exchange's requests
and grants naming them with the receipt batches anchored under them, and every access receipt
about them that the anchoring agency published, each verified against its batch's root as
indexed from the chain (the proof recomputed on every view); starting a dispute or a deletion
request is shown as the exact CLI command to run.

The address travels only in form posts (never in a URL), the session is the gateway's own
token in an HttpOnly, SameSite=Strict cookie that expires with it, and every post carries a
CSRF token."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from civic_ledger.access.roles import BY_ID
from civic_ledger.core.exceptions import AuthError, PortalError
from civic_ledger.gateway import queries
from civic_ledger.gateway.auth import normal_address
from civic_ledger.gateway.web import snapshot
from civic_ledger.portal.security import SESSION_COOKIE, clear_session, set_session
from civic_ledger.portal.views import N_, csrf_of, gateway_of, refusal, render

router = APIRouter(include_in_schema=False)

MAX_FORM_BYTES = 8 * 1024
NO_STORE = {"Cache-Control": "no-store"}
#: What the subject runs to act (commands are not translated).
#: Agency role id -> the role's name in the city's catalogue (civic_ledger/access/roles.py).
AGENCIES = {role.id: role.label for role in BY_ID.values()}  # translated where shown

COMMANDS = {
    "sign": "ape run admin identity sign-challenge --account ALIAS --challenge-file challenge.txt",
    "dispute": "ape run admin records dispute RECORD_ID --evidence @evidence.pdf --account ALIAS",
    "deletion": "ape run admin data deletion-ask GRANT_ID --evidence @reason.pdf --account ALIAS",
}
REQUEST_STATUS = {
    "pending": N_("waiting for approval"),
    "granted": N_("granted"),
    "denied": N_("denied"),
    "revoked": N_("revoked"),
    "expired": N_("expired"),
    "deletion_requested": N_("deletion requested"),
    "deleted": N_("deleted"),
}

#: Why a published receipt does not verify (`queries.RECEIPT_PROBLEMS`), in plain words.
RECEIPT_PROBLEMS = {
    "batch": N_("its batch is not anchored on the chain the gateway follows"),
    "proof": N_("its proof does not lead to the batch's root"),
    "grant": N_("its grant is not known to the gateway"),
    "subject": N_("it names another subject than its grant"),
    "party": N_("the agency that anchored it is not a party of its grant"),
}


async def _form(request: Request) -> dict[str, str]:
    """A small urlencoded form post, its CSRF token checked."""
    if request.headers.get("content-type", "").split(";")[0] != "application/x-www-form-urlencoded":
        raise PortalError(415, N_("Send the form from this page."))
    declared = request.headers.get("content-length", "")
    if not declared.isdigit() or int(declared) > MAX_FORM_BYTES:
        raise PortalError(413, N_("The form is too large."))
    form = await request.form(max_files=0, max_fields=8, max_part_size=MAX_FORM_BYTES)
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    if not csrf_of(request).check(request, values.get("csrf")):
        raise PortalError(403, N_("This form has expired or was sent from another site: reload "
                                  "the page and send it again."))  # fmt: skip
    return values


def _address(values: dict[str, str]) -> str:
    """The form's `address`, checksummed."""
    try:
        return normal_address(values.get("address", ""))
    except AuthError:
        raise PortalError(422, N_("An address is 0x followed by 40 hexadecimal digits.")) from None


def signed_in(request: Request) -> str | None:
    """The address of the request's session cookie, None without a valid one."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 512:
        return None
    try:
        return gateway_of(request).auth.address_of(token)
    except AuthError:
        return None


@router.get("/me", response_class=HTMLResponse)
def me(request: Request) -> HTMLResponse:
    address = signed_in(request)
    if address is None:
        response = render(
            request, "me_signin.html", headers=NO_STORE, step="address", commands=COMMANDS
        )
        if request.cookies.get(SESSION_COOKIE):
            clear_session(response, request)  # expired or invalid: forget it
        return response
    with snapshot(gateway_of(request).engine) as conn:
        at = queries.as_of(conn)
        subjects = [
            {
                "subject": s,
                "records": queries.subject_records(conn, s, at.block_time),
                "disputes": queries.subject_disputes(conn, s),
                "requests": queries.subject_data_requests(conn, s),
                "receipts": queries.subject_receipts(conn, s),
            }
            for s in queries.subjects_of(conn, address)
        ]
    return render(request, "me.html", headers=NO_STORE, address=address, subjects=subjects,
                  as_of=at, request_words=REQUEST_STATUS, commands=COMMANDS,
                  agencies=AGENCIES, problems=RECEIPT_PROBLEMS)  # fmt: skip


@router.post("/me/challenge", response_class=HTMLResponse)
async def challenge(request: Request) -> HTMLResponse:
    """Step 1: the challenge text for the address, to sign."""
    try:
        values = await _form(request)
        address = _address(values)
        found = gateway_of(request).auth.challenge(address)
    except PortalError as exc:
        return refusal(request, exc)
    return render(request, "me_signin.html", headers=NO_STORE, step="sign", address=address,
                  challenge=found.text, expires_at=found.expires_at,
                  commands=COMMANDS)  # fmt: skip


@router.post("/me/session", response_class=HTMLResponse)
async def session(request: Request) -> Response:
    """Step 2: the signature; a session cookie when it signs a pending challenge."""
    try:
        values = await _form(request)
        address = _address(values)
        signature = values.get("signature", "").strip()
        if len(signature) > 200:
            raise PortalError(422, N_("A signature is 0x followed by 130 hexadecimal digits."))
        try:
            token, expires = gateway_of(request).auth.session(address, signature)
        except AuthError as exc:
            raise PortalError(401, _auth_message(str(exc))) from None
    except PortalError as exc:
        return refusal(request, exc)
    response = RedirectResponse("/me", status_code=303)
    set_session(response, request, token, expires - int(time.time()))
    return response


def _auth_message(english: str) -> str:
    """The authenticator's refusal as catalogue text."""
    if "expired" in english:
        return N_("The challenge has expired: ask for a new one.")
    if "no pending challenge" in english:
        return N_("There is no pending challenge for this address: ask for one first.")
    if "hex" in english or "65 bytes" in english:
        return N_("A signature is 0x followed by 130 hexadecimal digits.")
    return N_("The signature does not match the challenge of this address.")


@router.post("/me/signout", response_class=HTMLResponse)
async def signout(request: Request) -> Response:
    try:
        await _form(request)
    except PortalError as exc:
        return refusal(request, exc)
    response = RedirectResponse("/", status_code=303)
    clear_session(response, request)
    return response
