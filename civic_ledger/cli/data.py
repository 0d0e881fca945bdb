"""`ape run admin data ...`: data exchange between agencies (issue #16) on DataExchange.

    data resource-register --owner ROLE --sharing open ...   # a steward publishes a resource
    data request RESOURCE --as ROLE --purpose N --legal-basis DOC --fields a,b --duration 30d
         [--subject S --consent FILE | --exemption ID]       # granted at once when open
    data consent-sign RESOURCE --subject S --recipient ROLE --purpose N --expires 60d --out F
    data approve|deny REQUEST, grant-revoke GRANT, grant-show GRANT
    data exemption-record|exemption-dispute|exemption-rule

Roles are given by name (TAX_ASSESSOR) or id; documents as @PATH, text:TEXT or 0x + 64 hex
digits; subjects as their commitment or their controller's address. The receipts and
deletion commands are in `civic_ledger.cli.data_receipts` (same group). No personal data is
sent: subjects are commitments, documents and field lists are hashes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from civic_ledger.cli.access import ROLE, role_name
from civic_ledger.cli.common import (
    DOCUMENT_FORMS,
    EVIDENCE,
    UINT16_MAX,
    Suite,
    chain_time,
    command,
    evidence_option,
    identity_subject,
    parse_document,
    parse_param,
    path_option,
    reason_option,
    sign_one,
    suite_and_signer,
)
from civic_ledger.cli.output import console, print_rows, put, send
from civic_ledger.core.encoding import ZERO32, format_time
from civic_ledger.core.exceptions import InputError
from civic_ledger.core.names import DATA_EXCHANGE, IDENTITY_REGISTRY
from civic_ledger.core.times import parse_duration
from civic_ledger.data import client as data_client
from civic_ledger.data import consent_file as consent_files
from civic_ledger.data.enums import ExemptionStatus, Sharing

ID = click.IntRange(1, 2**64 - 1)
CODE = click.IntRange(1, UINT16_MAX)
SHARING = {"open": Sharing.OPEN, "conditional": Sharing.CONDITIONAL,
           "not-shareable": Sharing.NOT_SHAREABLE}  # fmt: skip


subject_option = click.option(
    "--subject", required=True, help="The subject (commitment or controller address)."
)
purpose_option = click.option(
    "--purpose", type=CODE, required=True, help="Purpose code (1..65535)."
)


def recipient_option(help: str, name: str = "--recipient") -> Any:
    """The recipient agency's role (by name or id), handed to the command as `recipient`."""
    return click.option(name, "recipient", type=ROLE, required=True, help=help)


def subject_purpose_options(recipient_help: str, expires: str, expires_help: str) -> Any:
    """What a consent and an exemption name alike (`data.inputs._SubjectPurpose`): RESOURCE_ID,
    --subject, --recipient, --purpose and --expires (how long, from the latest block)."""
    options = (
        click.argument("resource_id", type=ID),
        subject_option,
        recipient_option(recipient_help),
        purpose_option,
        click.option("--expires", default=expires, show_default=True, help=expires_help),
    )

    def wrap(func: Any) -> Any:
        for option in reversed(options):
            func = option(func)
        return func

    return wrap


@click.group()
def data() -> None:
    """Data exchange between agencies: resources, requests and grants, consent, exemptions,
    access receipts, deletion."""


# ------------------------------------------------------------------------------ helpers


def exchange_of(suite: Suite) -> Any:
    return suite[DATA_EXCHANGE]


def seconds(value: str, hint: str) -> int:
    """A duration ("30d", "12h", "3600") as seconds, at least 1."""
    result = parse_param(parse_duration, value, hint)
    if result <= 0:
        raise click.BadParameter(f"{value!r} is not a positive duration", param_hint=hint)
    return result


def optional_document(value: str | None, hint: str) -> bytes:
    """An optional document option: zero when not given (an empty one is refused)."""
    return ZERO32 if value is None else parse_document(value, hint)


def fields_hash(value: str) -> bytes:
    """--fields: a document, or a comma-separated list of field names, hashed in canonical
    form (names trimmed, sorted, unique, joined by commas) so both parties compute the same."""
    text = value.strip()
    if text.startswith(("@", "text:", "0x")):
        return parse_document(text, "--fields")
    names = sorted({n.strip() for n in text.split(",") if n.strip()})
    if not names or not all(n.isascii() and n.replace("_", "").replace(".", "").isalnum()
                            for n in names):  # fmt: skip
        raise click.BadParameter(
            f"{value!r} is neither a document ({DOCUMENT_FORMS}) nor a list of field names "
            "(letters, digits, _ and ., comma-separated)",
            param_hint="--fields",
        )
    from eth_utils import keccak

    return keccak(text=",".join(names))


def expiry(expires: str) -> int:
    """--expires (a duration) as the time it ends: from the latest block's time."""
    return chain_time() + seconds(expires, "--expires")


def checked(build: Any) -> Any:
    """`build()` (an input struct's `as_tuple` check), InputError -> a refused command."""
    try:
        return build()
    except InputError as exc:
        raise click.ClickException(str(exc)) from None


def hexed(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def document_act(
    name: str, id_name: str, call: Callable[..., Any], help: str, *, reason: bool = False
) -> Callable[[Callable[[int, Any], None]], click.Command]:
    """The command `data NAME ID [--evidence DOCUMENT]` that sends `call(exchange, ID, the
    document's hash)`, zero when no document is given; with `reason`, the document is a
    decision (`--reason`, its former name, still accepted). The decorated function gets ID and
    what `call` returned, and reports it; its docstring is the command's help."""
    document = reason_option if reason else evidence_option
    dest = "reason" if reason else "evidence"

    def register(report: Callable[[int, Any], None]) -> click.Command:
        @command(data, name)
        @click.argument(id_name, type=ID)
        @document(help, required=False)
        @wraps(report)
        def act(account_alias: str, manifest_file: Path | None, **given: Any) -> None:
            item_id, document_hash = given[id_name], optional_document(given[dest], EVIDENCE)
            report(item_id, sign_one(manifest_file, account_alias, DATA_EXCHANGE, call, item_id,
                                     document_hash))  # fmt: skip

        return act  # type: ignore[return-value]

    return register


# ------------------------------------------------------------------------------ resources


@command(data, "resource-register")
@click.option("--owner", type=ROLE, required=True, help="Owning agency's role (e.g. REGISTRAR).")
@click.option("--sharing", type=click.Choice(list(SHARING)), required=True,
              help="open: granted on request; conditional: decided by the steward.")  # fmt: skip
@click.option("--personal", is_flag=True, help="The resource holds personal data (per subject).")
@click.option("--deletion-period", default="30d", show_default=True,
              help="Time the recipient has to confirm a deletion (max 90d).")  # fmt: skip
@click.option("--mandate", required=True, help=f"The legal mandate ({DOCUMENT_FORMS}).")
@click.option("--description", required=True, help="Description document.")
@click.option("--content", default=None, help="Content document of version 1 (optional).")
@click.option("--schema", required=True, help="Schema document of version 1.")
def resource_register(
    account_alias: str, manifest_file: Path | None, owner: int, sharing: str, personal: bool,
    deletion_period: str, mandate: str, description: str, content: str | None, schema: str,
) -> None:  # fmt: skip
    """Register a resource of the steward's agency (the steward signs)."""
    suite, sender = suite_and_signer(manifest_file, account_alias)
    spec = data_client.ResourceInput(
        owner_role=owner,
        sharing=SHARING[sharing],
        personal=personal,
        deletion_period=seconds(deletion_period, "--deletion-period"),
        mandate_hash=parse_document(mandate, "--mandate"),
        description_hash=parse_document(description, "--description"),
        content_hash=optional_document(content, "--content"),
        schema_hash=parse_document(schema, "--schema"),
    )
    checked(spec.as_tuple)
    resource_id = data_client.register_resource(
        exchange_of(suite), spec, sender=sender, transact=send
    )
    console.print(f"data resource {resource_id} registered")
    put(resource_id=resource_id)


@command(data, "resource-version")
@click.argument("resource_id", type=ID)
@click.option("--content", default=None, help=f"Content document ({DOCUMENT_FORMS}).")
@click.option("--schema", required=True, help="Schema document.")
def resource_version(
    account_alias: str, manifest_file: Path | None, resource_id: int, content: str | None,
    schema: str,
) -> None:  # fmt: skip
    """Add the next version of a resource (its owner's steward signs)."""
    version = sign_one(manifest_file, account_alias, DATA_EXCHANGE, data_client.add_version,
                       resource_id, optional_document(content, "--content"),
                       parse_document(schema, "--schema"))  # fmt: skip
    console.print(f"data resource {resource_id}: version {version}")
    put(resource_id=resource_id, version=version)


@document_act("resource-retire", "resource_id", data_client.retire_resource,
              f"The decision to retire it ({DOCUMENT_FORMS}).", reason=True)  # fmt: skip
def resource_retire(resource_id: int, receipt: Any) -> None:
    """Retire a resource: its grants stop being live (its owner's steward signs)."""


def _resource_rows(resource_id: int, view: data_client.ResourceView) -> list[tuple[str, str]]:
    return [
        ("resource", str(resource_id)),
        ("owner", role_name(view.owner_role)),
        ("sharing", Sharing(view.sharing).name.lower()),
        ("personal", "yes" if view.personal else "no"),
        ("versions", str(view.version_count)),
        ("deletion period", f"{view.deletion_period // 86400}d {view.deletion_period % 86400}s"),
        ("registered", format_time(view.registered_at)),
        ("retired", "yes" if view.retired else "no"),
        ("mandate", hexed(view.mandate_hash)),
        ("description", hexed(view.description_hash)),
    ]


@command(data, "resource-show", signs=False)
@click.argument("resource_id", type=ID)
def resource_show(manifest_file: Path | None, resource_id: int) -> None:
    """A resource: owner, sharing class, versions, deletion period, mandate."""
    view = data_client.resource(exchange_of(Suite(manifest_file)), resource_id)
    print_rows(_resource_rows(resource_id, view))
    put(resource_id=resource_id, resource=view)


@command(data, "resource-list", signs=False)
def resource_list(manifest_file: Path | None) -> None:
    """Every registered resource (the directory)."""
    exchange = exchange_of(Suite(manifest_file))
    count = int(exchange.counts().resources)
    table = Table("resource", "owner", "sharing", "personal", "versions", "retired",
                  title="data resources")  # fmt: skip
    listed = []
    for rid in range(1, count + 1):
        view = data_client.resource(exchange, rid)
        table.add_row(str(rid), role_name(view.owner_role), Sharing(view.sharing).name.lower(),
                      "yes" if view.personal else "no", str(view.version_count),
                      "yes" if view.retired else "no")  # fmt: skip
        listed.append({"resource_id": rid, **vars(view)})
    console.print(table)
    put(resources=listed)


# ------------------------------------------------------------------------------ consent


def read_consent(path: Path, exchange: Any, hint: str) -> tuple[data_client.Consent, bytes]:
    """A consent file (`civic_ledger.data.consent_file`) for this chain and DataExchange."""
    from ape import chain

    try:
        return consent_files.read(path, chain_id=int(chain.chain_id), exchange=exchange.address)
    except InputError as exc:
        raise click.BadParameter(str(exc), param_hint=hint) from None


@command(data, "consent-sign")
@subject_purpose_options("The recipient agency's role.", "60d", "Valid for this long.")
@path_option("--out", required=True, help="Consent file to write (carried to the recipient).")
def consent_sign(
    account_alias: str, manifest_file: Path | None, resource_id: int, subject: str,
    recipient: int, purpose: int, expires: str, out: Path,
) -> None:  # fmt: skip
    """The subject's controller signs a consent (EIP-712) off-line into a file: nothing is
    sent; the recipient relays it with `data request --consent FILE`."""
    from ape import chain

    from civic_ledger.core.commitments import make_salt

    suite, signer = suite_and_signer(manifest_file, account_alias)
    exchange = exchange_of(suite)
    subject_id = identity_subject(suite, subject, "--subject")
    controlled = bytes(suite[IDENTITY_REGISTRY].subjectOf(signer.address))
    if controlled != subject_id:
        raise click.ClickException(
            f"{signer.address} is not the controller of subject {hexed(subject_id)}: only the "
            "subject's controller signs its consent"
        )
    data_client.resource(exchange, resource_id)  # an unknown id is refused first
    consent = data_client.Consent(
        subject_id, resource_id, recipient, purpose,
        expiry(expires), make_salt(),
    )  # fmt: skip
    checked(consent.as_tuple)
    signature = data_client.sign_consent(exchange, consent, signer, chain_id=int(chain.chain_id))
    consent_files.write(out, int(chain.chain_id), str(exchange.address), consent, signature)
    digest = bytes(exchange.consentDigest(consent.as_tuple()))
    console.print(f"consent {hexed(digest)} signed into {out}")
    put(consent_id=hexed(digest), file=str(out), expires_at=consent.expires_at)


@command(data, "consent-revoke")
@click.argument("consent_file", type=click.Path(path_type=Path, dir_okay=False))
def consent_revoke(account_alias: str, manifest_file: Path | None, consent_file: Path) -> None:
    """The subject's controller revokes a consent it signed (grants on it stop being live)."""
    suite, sender = suite_and_signer(manifest_file, account_alias)
    consent, _ = read_consent(consent_file, exchange_of(suite), "CONSENT_FILE")
    consent_id = data_client.revoke_consent(
        exchange_of(suite), consent, sender=sender, transact=send
    )
    put(consent_id=hexed(consent_id))


# ------------------------------------------------------------------------------ requests


@command(data, "request")
@click.argument("resource_id", type=ID)
@recipient_option("Recipient agency's role.", name="--as")
@purpose_option
@click.option("--legal-basis", default=None, help=f"Legal basis document ({DOCUMENT_FORMS}).")
@click.option("--fields", default=None, help="Fields asked: a document, or names a,b,c.")
@click.option("--duration", default="30d", show_default=True, help="Grant duration (max 365d).")
@click.option("--subject", default=None, help="Subject the request is about (personal data).")
@path_option("--consent", "consent_file", default=None,
             help="The subject's consent file (from `data consent-sign`).")  # fmt: skip
@click.option("--exemption", type=ID, default=None, help="Exemption id (legal basis, no consent).")
def request(
    account_alias: str, manifest_file: Path | None, resource_id: int, recipient: int,
    purpose: int, legal_basis: str | None, fields: str | None, duration: str,
    subject: str | None, consent_file: Path | None, exemption: int | None,
) -> None:  # fmt: skip
    """Request a resource for the recipient agency (its requester signs). Open resources are
    granted at once; personal data needs --subject and --consent FILE or --exemption ID."""
    suite, sender = suite_and_signer(manifest_file, account_alias)
    exchange = exchange_of(suite)
    if consent_file and exemption:
        raise click.UsageError("give --consent or --exemption, not both")
    if (consent_file or exemption) and not subject:
        raise click.UsageError("--consent and --exemption need --subject")
    subject_id = ZERO32 if subject is None else identity_subject(suite, subject, "--subject")
    if subject is not None and not data_client.resource(exchange, resource_id).personal:
        raise click.BadParameter(
            f"resource {resource_id} holds no personal data: a request about no one takes no "
            "subject (the contract would link the subject to an open-data grant)",
            param_hint="--subject",
        )
    data_client.resource(exchange, resource_id)  # an unknown id is refused first
    spec = data_client.DataRequest(
        resource_id=resource_id,
        recipient_role=recipient,
        purpose=purpose,
        duration=seconds(duration, "--duration"),
        legal_basis_hash=optional_document(legal_basis, "--legal-basis"),
        fields_hash=fields_hash(fields) if fields is not None else ZERO32,
        subject=subject_id,
        exemption_id=exemption or 0,
    )
    checked(spec.as_tuple)
    if consent_file:
        consent, signature = read_consent(consent_file, exchange, "--consent")
        request_id = data_client.request_with_consent(
            exchange, spec, consent, signature, sender=sender, transact=send
        )
    else:
        request_id = data_client.request_data(exchange, spec, sender=sender, transact=send)
    view = data_client.grant(exchange, request_id)
    state = "granted" if view.live else view.status.name.lower()
    console.print(f"data request {request_id}: {state}")
    put(request_id=request_id, status=view.status.name.lower(), live=view.live,
        expires_at=view.expires_at)  # fmt: skip


@command(data, "approve")
@click.argument("request_id", type=ID)
def approve(account_alias: str, manifest_file: Path | None, request_id: int) -> None:
    """Approve a pending request (the owner's steward signs): it becomes a grant."""
    sign_one(manifest_file, account_alias, DATA_EXCHANGE, data_client.decide, request_id, True)
    put(request_id=request_id, granted=True)


@command(data, "deny")
@click.argument("request_id", type=ID)
@click.option("--reason", type=CODE, required=True, help="Reason code (1..65535).")
def deny(account_alias: str, manifest_file: Path | None, request_id: int, reason: int) -> None:
    """Deny a pending request with a reason code (the owner's steward signs)."""
    sign_one(manifest_file, account_alias, DATA_EXCHANGE, data_client.decide, request_id, False,
             reason)  # fmt: skip
    put(request_id=request_id, granted=False, reason=reason)


@command(data, "grant-revoke")
@click.argument("grant_id", type=ID)
@click.option("--reason", type=CODE, required=True, help="Reason code (1..65535).")
def grant_revoke(
    account_alias: str, manifest_file: Path | None, grant_id: int, reason: int
) -> None:
    """End a grant before its expiry (the owner's steward signs)."""
    sign_one(manifest_file, account_alias, DATA_EXCHANGE, data_client.revoke_grant, grant_id,
             reason)  # fmt: skip


@command(data, "grant-show", signs=False)
@click.argument("grant_id", type=ID)
def grant_show(manifest_file: Path | None, grant_id: int) -> None:
    """A request and the grant it became: recipient, purpose, basis, expiry, live now."""
    view = data_client.grant(exchange_of(Suite(manifest_file)), grant_id)
    print_rows([
        ("request", str(grant_id)), ("resource", str(view.resource_id)),
        ("recipient", role_name(view.recipient_role)), ("purpose", str(view.purpose)),
        ("status", view.status.name.lower()), ("basis", view.basis.name.lower()),
        ("subject", hexed(view.subject) if view.subject != ZERO32 else "-"),
        ("granted", format_time(view.granted_at)), ("expires", format_time(view.expires_at)),
        ("revoked", format_time(view.revoked_at)), ("live", "yes" if view.live else "no"),
    ])  # fmt: skip
    put(grant_id=grant_id, grant=view)


# ------------------------------------------------------------------------------ exemptions


@command(data, "exemption-record")
@subject_purpose_options("The officer's agency role.", "90d", "Valid for this long (<=365d).")
@click.option("--legal-basis", required=True, help=f"The statute or order ({DOCUMENT_FORMS}).")
def exemption_record(
    account_alias: str, manifest_file: Path | None, resource_id: int, subject: str,
    recipient: int, purpose: int, expires: str, legal_basis: str,
) -> None:  # fmt: skip
    """Record a legal-basis exemption (no consent needed) for the officer's own agency."""
    suite, sender = suite_and_signer(manifest_file, account_alias)
    spec = data_client.ExemptionInput(
        identity_subject(suite, subject, "--subject"), resource_id, recipient, purpose,
        expiry(expires), parse_document(legal_basis, "--legal-basis"),
    )  # fmt: skip
    checked(spec.as_tuple)
    exemption_id = data_client.record_exemption(
        exchange_of(suite), spec, sender=sender, transact=send
    )
    console.print(f"exemption {exemption_id} recorded")
    put(exemption_id=exemption_id, expires_at=spec.expires_at)


@document_act("exemption-dispute", "exemption_id", data_client.dispute_exemption,
              f"Evidence document ({DOCUMENT_FORMS}).")  # fmt: skip
def exemption_dispute(exemption_id: int, receipt: Any) -> None:
    """The subject's controller disputes an exemption (an arbiter then rules)."""


@command(data, "exemption-rule")
@click.argument("exemption_id", type=ID)
@click.option("--uphold/--overturn", required=True, help="Uphold or overturn the exemption.")
@evidence_option(f"The written ruling ({DOCUMENT_FORMS}).", dest="ruling", old="--ruling")
def exemption_rule(
    account_alias: str, manifest_file: Path | None, exemption_id: int, uphold: bool, ruling: str
) -> None:
    """The arbiter rules on a disputed exemption."""
    outcome = sign_one(manifest_file, account_alias, DATA_EXCHANGE,
                       data_client.resolve_exemption_dispute, exemption_id, uphold,
                       parse_document(ruling, EVIDENCE))  # fmt: skip
    put(exemption_id=exemption_id, status=ExemptionStatus(outcome).name.lower())


from civic_ledger.cli import data_receipts as _receipts  # noqa: E402,F401  (registers on `data`)
