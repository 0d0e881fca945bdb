"""Home and Verify: a certificate checked by record id and document hash, by its QR payload,
or by the presented document itself (uploaded, hashed here with `core.documents.content_hash`,
never stored); a record's standing by its id alone. The answer in plain words: valid, revoked
(and why), expired, under dispute, unknown - with issuer, schema, dates and the transaction
that decided it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.responses import HTMLResponse

from civic_ledger.core.documents import content_hash
from civic_ledger.core.encoding import HEX32
from civic_ledger.core.exceptions import PayloadError, PortalError
from civic_ledger.gateway import queries
from civic_ledger.gateway.web import snapshot
from civic_ledger.identity.certificates import check_payload, decode_payload
from civic_ledger.portal.views import N_, csrf_of, gateway_of, query_value, refusal, render

router = APIRouter(include_in_schema=False)

MAX_UPLOAD = 5 * 1024 * 1024
#: What a presented document may be: it is only hashed, but nothing else is taken.
UPLOAD_TYPES = frozenset(
    {"application/pdf", "image/png", "image/jpeg", "image/webp", "text/plain",
     "application/octet-stream"}
)  # fmt: skip

#: The contract's revocation reason codes in plain words.
REASONS = {
    1: N_("it was issued in error"),
    2: N_("the matter was remedied"),
    3: N_("it was replaced by a newer record"),
    4: N_("it was overturned on dispute"),
    5: N_("another reason the issuer recorded"),
}


def hex32(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    if not HEX32.match(value):
        raise PortalError(422, N_("The {what} must be 0x followed by 64 hexadecimal digits."),
                          what=what)  # fmt: skip
    return value.lower()


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return render(request, "home.html")


@router.get("/verify", response_class=HTMLResponse)
def verify_get(request: Request) -> HTMLResponse:
    """The verify form; with `record` (+ `document`) or `payload`, the answer."""
    try:
        payload = query_value(request, "payload")
        record = query_value(request, "record")
        document = query_value(request, "document")
        if payload is not None:
            record, document = _from_payload(request, payload)
        elif record is not None:
            record = hex32(record, N_("record id"))
            document = hex32(document, N_("document hash"))
        elif document is not None:
            raise PortalError(422, N_("Give the record id together with the document hash."))
        if record is None:
            return render(request, "verify.html", result=None)
        return _answer(request, record, document)
    except PortalError as exc:
        return refusal(request, exc)


def _from_payload(request: Request, text: str) -> tuple[str, str]:
    try:
        payload = decode_payload(text)
    except PayloadError:
        raise PortalError(422, N_("This is not a certificate's QR payload. It reads "
                                  "CIVIC:1:<chain>:<registry>:<record id>:<document hash>.")) from None  # fmt: skip
    with snapshot(gateway_of(request).engine) as conn:
        chain_id = queries.chain_id(conn)
        deployment = _meta(conn, "deployment")
    if payload.registry.lower() not in deployment.split(","):
        raise PortalError(422, N_("This payload names a registry that is not this city's: it is "
                                  "a foreign or forged certificate."))  # fmt: skip
    try:
        check_payload(payload, chain_id, payload.registry)
    except PayloadError:
        raise PortalError(422, N_("This payload is for another chain than this city's.")) from None
    return "0x" + payload.record_id.hex(), "0x" + payload.document_hash.hex()


def _meta(conn: Any, key: str) -> str:
    from sqlalchemy import select

    from civic_ledger.gateway import schema

    m = schema.gateway_meta
    return str(conn.execute(select(m.c.value).where(m.c.key == key)).scalar() or "")


def _answer(request: Request, record: str, document: str | None) -> HTMLResponse:
    with snapshot(gateway_of(request).engine) as conn:
        at = queries.as_of(conn)
        found = queries.record(conn, record, at.block_time)
        certificate = queries.verify(conn, record, document, at.block_time) if document else None
    result: dict[str, Any] = {"record_id": record, "document": document, "as_of": at}
    if certificate is not None:
        result["status"] = certificate["status"]
        result["certificate"] = certificate
        result["reason"] = REASONS.get(certificate["reason_code"] or 0)
    elif found is None:
        result["status"] = "unknown"
    else:
        result["status"] = _record_status(found, at.block_time)
        code = found["revocation_code"] or 0
        result["reason"] = REASONS.get(code)
    if result["status"] != "unknown":
        result["record"] = found
    return render(request, "verify.html", result=result, as_of=at)


def _record_status(found: dict[str, Any], now: int) -> str:
    """A record's standing by `isValid`'s rules, as one word (its certificate's vocabulary)."""
    if found["revoked_at"]:
        return "revoked"
    if found["expires_at"] and now >= found["expires_at"]:
        return "expired"
    if found["dispute"] == "open" or (found["stay_until"] or 0) > now:
        return "disputed"
    return "valid"


class _InMemoryParser(MultiPartParser):
    """Starlette's multipart parser keeping an uploaded file in memory (never on disk)."""

    spool_max_size = MAX_UPLOAD + 1


async def _capped(request: Request, limit: int) -> AsyncIterator[bytes]:
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PortalError(413, N_("The document is larger than {limit} MB."),
                              limit=MAX_UPLOAD // (1024 * 1024))  # fmt: skip
        yield chunk


@router.post("/verify", response_class=HTMLResponse)
async def verify_upload(request: Request) -> HTMLResponse:
    """Verify by the presented document: multipart with `record` and the file `document`."""
    try:
        return await _verify_upload(request)
    except PortalError as exc:
        return refusal(request, exc)


async def _verify_upload(request: Request) -> HTMLResponse:
    kind = request.headers.get("content-type", "")
    if not kind.startswith("multipart/form-data"):
        raise PortalError(415, N_("Send the document with the form on this page."))
    declared = request.headers.get("content-length", "")
    limit = MAX_UPLOAD + 64 * 1024  # the file and the form's few small fields
    if declared.isdigit() and int(declared) > limit:
        raise PortalError(413, N_("The document is larger than {limit} MB."),
                          limit=MAX_UPLOAD // (1024 * 1024))  # fmt: skip
    parser = _InMemoryParser(request.headers, _capped(request, limit), max_files=1,
                             max_fields=4, max_part_size=4096)  # fmt: skip
    try:
        form = await parser.parse()
    except MultiPartException:
        raise PortalError(
            400, N_("The form could not be read: send it again from this page.")
        ) from None
    try:
        if not csrf_of(request).check(request, form.get("csrf")):
            raise PortalError(403, N_("This form has expired or was sent from another site: "
                                      "reload the page and send it again."))  # fmt: skip
        record_field = form.get("record")
        record = hex32(record_field.strip() if isinstance(record_field, str) else "",
                       N_("record id"))  # fmt: skip
        upload = form.get("document")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise PortalError(422, N_("Choose the document's file."))
        media = (upload.content_type or "application/octet-stream").split(";")[0].strip().lower()
        if media not in UPLOAD_TYPES:
            raise PortalError(415, N_("This kind of file is not accepted: send a PDF, PNG, JPEG, "
                                      "WebP or plain text document."))  # fmt: skip
        data = await upload.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            raise PortalError(413, N_("The document is larger than {limit} MB."),
                              limit=MAX_UPLOAD // (1024 * 1024))  # fmt: skip
        if not data:
            raise PortalError(422, N_("The file is empty."))
        document = "0x" + content_hash(data).hex()
        del data
    finally:
        await form.close()
    assert record is not None
    return _answer(request, record, document)
