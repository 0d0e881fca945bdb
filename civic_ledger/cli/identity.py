"""`ape run admin identity|records ...`: the identity office, the records administrator, issuing
agencies, subjects and arbiters at work.

Every command that sends a transaction signs with `--account` (an Ape account alias, or TEST::N
on a local chain) and reads contract addresses from the deployment manifest of `--network` (or
`--manifest`). Subjects are given by their bytes32 commitment or their controller's address;
evidence and rulings by 0x-hash, file path (hashed) or text (hashed). Official ids are hashed with
a salt before anything is sent: they never reach the chain.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.table import Table

from civic_ledger.access.roles import role as role_by_name
from civic_ledger.cli.common import (
    ADDRESS,
    UINT64_MAX,
    UINT256,
    Suite,
    command,
    console,
    err_console,
    load_account,
    parse_param,
    send,
    uint,
)
from civic_ledger.core.commitments import commitment, normalize_official_id, parse_salt
from civic_ledger.core.documents import document_hash
from civic_ledger.core.encoding import ZERO32, format_time, to_bytes32
from civic_ledger.core.names import IDENTITY_REGISTRY, RECORD_REGISTRY
from civic_ledger.core.revert import role_label
from civic_ledger.identity import client as id_client
from civic_ledger.identity import records as rec_client

F = TypeVar("F", bound=Callable[..., Any])


# --------------------------------------------------------------------------------- plumbing


def _uint64(value: int, what: str) -> int:
    if not 0 <= value <= UINT64_MAX:
        raise ValueError(f"{what} {value} is out of range (at most {UINT64_MAX})")
    return value


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def _subject(suite: Suite, value: str, hint: str = "SUBJECT") -> bytes:
    return parse_param(
        lambda v: id_client.resolve_subject(suite[IDENTITY_REGISTRY], v), value, hint
    )


def _print_rows(rows: list[tuple[str, str]]) -> None:
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="dim")
    table.add_column()
    for key, value in rows:
        table.add_row(key, value)
    console.print(table)


# ================================================================================= identity


@click.group()
def identity() -> None:
    """The identity register: persons, enterprises and agencies as salted commitments.

    The identity office registers (one at a time or from a CSV), suspends, reactivates, closes
    and recovers identities; controllers hand their identity to a new wallet in two steps
    (`rotate`, then `rotate-accept` signed by the new wallet)."""


@command(identity, "commitment", signs=False)
@click.option("--official-id", required=True, help="The official id (never sent anywhere).")
@click.option("--salt", required=True, help="The identity's 32-byte salt (0x + 64 hex digits).")
def identity_commitment(manifest_file: Path | None, official_id: str, salt: str) -> None:
    """Compute a subject from an official id and its salt (off-line: nothing is sent), then
    show whether it is registered."""
    subject = commitment(
        parse_param(parse_salt, salt, "--salt"),
        parse_param(normalize_official_id, official_id, "--official-id"),
    )
    console.print(f"subject {_hex(subject)}")
    view = id_client.show(Suite(manifest_file)[IDENTITY_REGISTRY], subject)
    console.print("registered" if view.registered else "not registered")


@command(identity, "register")
@click.option("--official-id", required=True, help="Official id; hashed with a salt locally.")
@click.option(
    "--kind",
    type=click.Choice(["person", "enterprise", "agency"], case_sensitive=False),
    default="person",
    show_default=True,
)
@click.option(
    "--controller",
    type=ADDRESS,
    required=True,
    help="Wallet address that will act for the subject.",
)
@click.option("--salt", default=None, help="Reuse this salt (default: a fresh random one).")
@click.option(
    "--salts-out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="CSV the (official id, salt, subject) row is appended to (created mode 0600). "
    "Keep it in the office's records system: it is the only link back to the person.",
)
def identity_register(
    account_alias: str,
    manifest_file: Path | None,
    official_id: str,
    kind: str,
    controller: str,
    salt: str | None,
    salts_out: Path,
) -> None:
    """Register one identity (identity office). Prints its subject commitment."""
    suite, sender = Suite(manifest_file), load_account(account_alias)
    registration = parse_param(
        lambda _: id_client.Registration.new(official_id, controller, kind, salt),
        official_id,
        "--official-id/--controller/--salt",
    )
    id_client.register(suite[IDENTITY_REGISTRY], registration, sender=sender, transact=send)
    id_client.write_salts_csv(salts_out, [registration])
    console.print(f"subject {_hex(registration.subject)}  (salt recorded in {salts_out})")


@command(identity, "batch-register")
@click.argument("csv_file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "--salts-out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="CSV the (official id, salt, subject) rows are appended to (created mode 0600).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, id_client.MAX_BATCH_SIZE),
    default=id_client.MAX_BATCH_SIZE,
    show_default=True,
    help="Identities per transaction.",
)
def identity_batch_register(
    account_alias: str, manifest_file: Path | None, csv_file: Path, salts_out: Path, batch_size: int
) -> None:
    """Register every row of CSV_FILE (identity office).

    Columns: official_id,kind,controller[,salt] (header required; kind is person, enterprise or
    agency). The whole file is checked before anything is sent. Rows whose subject is already
    registered (same official id and salt) are skipped, so re-running a file with its salts
    resumes an interrupted import."""
    suite, sender = Suite(manifest_file), load_account(account_alias)
    registrations = parse_param(id_client.read_registrations_csv, csv_file, "CSV_FILE")
    # Every row is checked against the chain before the first batch is sent: a controller
    # that already acts for another identity would otherwise revert a later batch after the
    # earlier ones were applied.
    todo = parse_param(
        lambda rows: id_client.check_against_chain(suite[IDENTITY_REGISTRY], rows, source=csv_file),
        registrations,
        "CSV_FILE",
    )
    skipped = len(registrations) - len(todo)
    if skipped:
        err_console.print(f"[yellow]{skipped} row(s) already registered: skipped[/]")
    if not todo:
        console.print("nothing to register")
        return
    # Record salts first: a crash after sending must never lose the link to the persons.
    id_client.write_salts_csv(salts_out, todo)
    receipts = id_client.register_batch(
        suite[IDENTITY_REGISTRY], todo, sender=sender, batch_size=batch_size, transact=send
    )
    gas = sum(r.gas_used for r in receipts)
    console.print(
        f"registered {len(todo)} identities in {len(receipts)} transaction(s), "
        f"{gas // len(todo):,} gas per identity; salts appended to {salts_out}"
    )


@command(identity, "rotate")
@click.option(
    "--to", "new_controller", type=ADDRESS, required=True, help="The new controller wallet."
)
def identity_rotate(account_alias: str, manifest_file: Path | None, new_controller: str) -> None:
    """Propose handing control of your own identity to another wallet (signed by the current
    controller; the identity must be active). Nothing moves until that wallet runs
    `rotate-accept`; `rotate-cancel` withdraws the proposal."""
    suite, sender = Suite(manifest_file), load_account(account_alias)
    id_client.propose_controller(
        suite[IDENTITY_REGISTRY], new_controller, sender=sender, transact=send
    )
    subject = bytes(suite[IDENTITY_REGISTRY].subjectOf(sender.address))
    console.print(
        f"the new wallet accepts with: ape run admin identity rotate-accept {_hex(subject)} "
        f"--account <{new_controller}>"
    )


@command(identity, "rotate-accept")
@click.argument("subject")
def identity_rotate_accept(account_alias: str, manifest_file: Path | None, subject: str) -> None:
    """Accept control of SUBJECT (signed by the wallet its controller proposed with `rotate`;
    the identity must still be active and your wallet must control no identity)."""
    suite, sender = Suite(manifest_file), load_account(account_alias)
    s = _subject(suite, subject)
    id_client.accept_controller(suite[IDENTITY_REGISTRY], s, sender=sender, transact=send)


@command(identity, "rotate-cancel")
def identity_rotate_cancel(account_alias: str, manifest_file: Path | None) -> None:
    """Withdraw your pending controller proposal (signed by the current controller)."""
    suite, sender = Suite(manifest_file), load_account(account_alias)
    id_client.cancel_controller_proposal(suite[IDENTITY_REGISTRY], sender=sender, transact=send)


@command(identity, "recover")
@click.argument("subject")
@click.option(
    "--to", "new_controller", type=ADDRESS, required=True, help="The wallet to hand control to."
)
def identity_recover(
    account_alias: str, manifest_file: Path | None, subject: str, new_controller: str
) -> None:
    """Start recovering SUBJECT to a new wallet (identity office). It takes effect after the
    recovery delay with `recover-complete`; until then the controller (if the identity is
    active), a guardian or the office can `recover-cancel`. Suspend a stolen identity first."""
    suite, sender = Suite(manifest_file), load_account(account_alias)
    s = _subject(suite, subject)
    id_client.initiate_recovery(
        suite[IDENTITY_REGISTRY], s, new_controller, sender=sender, transact=send
    )
    view = id_client.show(suite[IDENTITY_REGISTRY], s)
    console.print(f"ready at {format_time(view.recovery_ready_at)}")


@command(identity, "recover-complete")
@click.argument("subject")
def identity_recover_complete(account_alias: str, manifest_file: Path | None, subject: str) -> None:
    """Complete a recovery whose delay has passed (anyone may send it)."""
    suite, sender = Suite(manifest_file), load_account(account_alias)
    s = _subject(suite, subject)
    id_client.complete_recovery(suite[IDENTITY_REGISTRY], s, sender=sender, transact=send)


@command(identity, "recover-cancel")
@click.argument("subject")
def identity_recover_cancel(account_alias: str, manifest_file: Path | None, subject: str) -> None:
    """Cancel a pending recovery (the active identity's controller, a guardian or the office)."""
    suite, sender = Suite(manifest_file), load_account(account_alias)
    s = _subject(suite, subject)
    id_client.cancel_recovery(suite[IDENTITY_REGISTRY], s, sender=sender, transact=send)


@command(identity, "set-status")
@click.argument("subject")
@click.argument(
    "status", type=click.Choice(["active", "suspended", "closed"], case_sensitive=False)
)
@click.option(
    "--reason",
    required=True,
    help="Reason code: short text (<= 32 bytes, e.g. FRAUD-INQUIRY-17) or a 0x case-file hash.",
)
def identity_set_status(
    account_alias: str, manifest_file: Path | None, subject: str, status: str, reason: str
) -> None:
    """Suspend, reactivate or close SUBJECT (identity office). Closed is final."""
    suite, sender = Suite(manifest_file), load_account(account_alias)
    s = _subject(suite, subject)
    code = parse_param(id_client.encode_reason, reason, "--reason")
    id_client.set_status(
        suite[IDENTITY_REGISTRY],
        s,
        id_client.Status.parse(status),
        code,
        sender=sender,
        transact=send,
    )


@command(identity, "show", signs=False)
@click.argument("subject")
def identity_show(manifest_file: Path | None, subject: str) -> None:
    """Show SUBJECT (commitment or controller address): controller, kind, status, recovery."""
    suite = Suite(manifest_file)
    s = _subject(suite, subject)
    view = id_client.show(suite[IDENTITY_REGISTRY], s)
    if not view.registered:
        raise click.ClickException(f"{_hex(s)} is not registered")
    rows = [
        ("subject", _hex(s)),
        ("controller", view.controller),
        ("kind", view.kind.name.lower()),
        ("status", view.status.name.lower()),
        ("registered", format_time(view.registered_at)),
    ]
    if view.recovery_to:
        rows.append(
            (
                "pending recovery",
                f"to {view.recovery_to}, ready {format_time(view.recovery_ready_at)}",
            )
        )
    if view.proposed_controller:
        rows.append(("proposed controller", f"{view.proposed_controller} (not yet accepted)"))
    count = (
        len(rec_client.records_of(suite[RECORD_REGISTRY], s)) if RECORD_REGISTRY in suite else None
    )
    rows.append(("records", "-" if count is None else str(count)))
    _print_rows(rows)


# ================================================================================== records


@click.group()
def records() -> None:
    """The credit-record platform: schemas, records, disputes and standing policies.

    The records administrator adds schemas and policies; issuing agencies issue (directly, in
    batches or by signing off-line) and revoke; subjects dispute adverse records; arbiters
    resolve disputes; anyone can show records and check a subject against a policy."""


def _check_layout(layout: str) -> None:
    """A layout the registry accepts (static types, identifier names, distinct, <= 16)."""
    rec_client.parse_layout(layout)


def _resolve_schema(suite: Suite, value: str) -> int:
    value = value.strip()
    if value.isascii() and value.isdigit():
        _uint64(int(value), "schema id")
    return rec_client.resolve_schema(suite[RECORD_REGISTRY], value)


def _schema(suite: Suite, value: str) -> int:
    return parse_param(lambda v: _resolve_schema(suite, v), value, "--schema")


def _fields(values: tuple[str, ...]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in values:
        if "=" not in item:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--field")
        name, value = item.split("=", 1)
        fields[name.strip()] = value
    return fields


def _request(
    suite: Suite,
    schema: str,
    subject: str,
    evidence: str | None,
    fields: tuple[str, ...],
    data_hex: str | None,
    expires: str | None,
    supersedes: str | None,
) -> rec_client.RecordRequest:
    registry = suite[RECORD_REGISTRY]
    schema_id = _schema(suite, schema)
    info = parse_param(
        lambda v: rec_client.get_schema(registry, int(v)), str(schema_id), "--schema"
    )
    if fields and data_hex:
        raise click.UsageError("give either --field ... or --data, not both")
    if data_hex:
        data = parse_param(lambda v: bytes.fromhex(v.removeprefix("0x")), data_hex, "--data")
        parse_param(lambda d: rec_client.check_data(info.field_layout, d), data, "--data")
    elif fields or info.field_layout:
        data = parse_param(
            lambda _: rec_client.encode_data(info.field_layout, _fields(fields)),
            ",".join(fields),
            "--field" if fields else "--field (the schema has a data layout)",
        )
    else:
        data = b""
    from ape import chain

    return rec_client.RecordRequest(
        schema_id=schema_id,
        subject=_subject(suite, subject, "--subject"),
        evidence_hash=parse_param(document_hash, evidence, "--evidence") if evidence else ZERO32,
        data=data,
        expires_at=parse_param(
            lambda v: _uint64(rec_client.parse_expiry(v, chain.pending_timestamp), "expiry"),
            expires or "",
            "--expires",
        ),
        supersedes=parse_param(to_bytes32, supersedes, "--supersedes") if supersedes else ZERO32,
    )


def issue_options(func: F) -> F:
    """The options describing one record (shared by `issue` and `sign-issue`)."""
    options = [
        click.option("--schema", required=True, help="Schema name or id."),
        click.option("--subject", required=True, help="Subject commitment or controller address."),
        click.option(
            "--evidence",
            default=None,
            help="Evidence: 0x-hash, file (hashed) or text (hashed). Required for adverse "
            "schemas. Only the hash goes on chain: the agency keeps the document.",
        ),
        click.option(
            "--field",
            "fields",
            multiple=True,
            help="Record data as NAME=VALUE, one per field of the schema's layout.",
        ),
        click.option("--data", "data_hex", default=None, help="Raw record data (0x-hex) instead."),
        click.option(
            "--expires",
            default=None,
            help="+30d, 2027-12-31, ISO date-time or unix time (default: schema validity).",
        ),
        click.option("--supersedes", default=None, help="Id of the record this one replaces."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@command(records, "schema-add")
@click.option("--name", required=True, help="Unique schema name, e.g. tax-compliance.")
@click.option(
    "--layout",
    default="",
    help='Data layout, e.g. "uint16 year,bool compliant": uintN, intN, bool, bytesN only '
    "(no free text on chain), at most 16 fields.",
)
@click.option(
    "--issuer-role", required=True, help="Role whose members issue it, e.g. TAX_RECORD_ISSUER."
)
@click.option("--revocable/--not-revocable", default=True, show_default=True)
@click.option("--adverse", is_flag=True, help="Counts against the subject (disputable).")
@click.option(
    "--validity",
    default="0",
    show_default=True,
    help="Default (and, for adverse schemas, maximum) validity: 0 (forever), 30d, 3y...",
)
def records_schema_add(
    account_alias: str,
    manifest_file: Path | None,
    name: str,
    layout: str,
    issuer_role: str,
    revocable: bool,
    adverse: bool,
    validity: str,
) -> None:
    """Register a record schema (records administrator)."""
    suite, sender = Suite(manifest_file), load_account(account_alias)
    role_id = parse_param(
        lambda v: _uint64(int(v), "role id") if v.isascii() and v.isdigit() else role_by_name(v).id,
        issuer_role.strip(),
        "--issuer-role",
    )
    if layout:
        parse_param(_check_layout, layout, "--layout")
    validity_seconds = parse_param(_validity, validity, "--validity")
    schema_id, _ = rec_client.register_schema(
        suite[RECORD_REGISTRY],
        name=name,
        field_layout=layout,
        issuer_role=role_id,
        revocable=revocable,
        adverse=adverse,
        default_validity=validity_seconds,
        sender=sender,
        transact=send,
    )
    console.print(f"schema id {schema_id}")


def _validity(text: str) -> int:
    seconds = rec_client.parse_duration(text)
    if seconds > rec_client.MAX_DEFAULT_VALIDITY:
        raise ValueError(f"{text!r} is longer than 100 years (the registry's maximum)")
    return seconds


def _stay(text: str) -> int:
    seconds = rec_client.parse_duration(text)
    if seconds > rec_client.MAX_DISPUTE_STAY:
        raise ValueError(f"{text!r} is longer than 90 days (the registry's maximum stay)")
    return seconds


@command(records, "stay-set")
@click.argument("schema")
@click.argument("duration")
def records_stay_set(
    account_alias: str, manifest_file: Path | None, schema: str, duration: str
) -> None:
    """Set how long a dispute suspends records of SCHEMA (name or id): DURATION such as 14d,
    at most 90d; 0 = a dispute never suspends unless an arbiter grants a stay (records
    administrator). Applies to disputes opened from now on."""
    suite, sender = Suite(manifest_file), load_account(account_alias)
    schema_id = parse_param(lambda v: _resolve_schema(suite, v), schema, "SCHEMA")
    parse_param(
        lambda v: rec_client.get_schema(suite[RECORD_REGISTRY], int(v)), str(schema_id), "SCHEMA"
    )
    seconds = parse_param(_stay, duration, "DURATION")
    rec_client.set_dispute_stay(
        suite[RECORD_REGISTRY], schema_id, seconds, sender=sender, transact=send
    )


@command(records, "schemas", signs=False)
def records_schemas(manifest_file: Path | None) -> None:
    """List every schema."""
    registry = Suite(manifest_file)[RECORD_REGISTRY]
    table = Table()
    for header in ("id", "name", "issuer role", "adverse", "revocable", "validity", "stay"):
        table.add_column(header, no_wrap=header in ("id", "name"))
    table.add_column("open")
    table.add_column("layout", overflow="fold")
    for schema_id in range(1, int(registry.schemaCount()) + 1):
        s = rec_client.get_schema(registry, schema_id)
        table.add_row(
            str(s.schema_id),
            s.name,
            role_label(s.issuer_role),
            "yes" if s.adverse else "no",
            "yes" if s.revocable else "no",
            f"{s.default_validity // 86400}d" if s.default_validity else "forever",
            f"{s.dispute_stay // 86400}d" if s.adverse else "-",
            "yes" if s.active else "closed",
            s.field_layout or "-",
        )
    console.print(table)


@command(records, "issue")
@issue_options
def records_issue(
    account_alias: str,
    manifest_file: Path | None,
    schema: str,
    subject: str,
    evidence: str | None,
    fields: tuple[str, ...],
    data_hex: str | None,
    expires: str | None,
    supersedes: str | None,
) -> None:
    """Issue a record about a subject (a member of the schema's issuer role)."""
    suite, sender = Suite(manifest_file), load_account(account_alias)
    request = _request(suite, schema, subject, evidence, fields, data_hex, expires, supersedes)
    record_id, _ = rec_client.issue(suite[RECORD_REGISTRY], request, sender=sender, transact=send)
    console.print(f"record {_hex(record_id)}")


@command(records, "sign-issue")
@issue_options
@click.option(
    "--deadline",
    default="+1d",
    show_default=True,
    help="Until when a relayer may submit it (+2h, 2027-01-31, unix time); at most 30 days ahead.",
)
@click.option(
    "--nonce", type=UINT256, default=None, help="Signer nonce (default: the current one)."
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Where to write the signed request (JSON) for a relayer.",
)
def records_sign_issue(
    account_alias: str,
    manifest_file: Path | None,
    schema: str,
    subject: str,
    evidence: str | None,
    fields: tuple[str, ...],
    data_hex: str | None,
    expires: str | None,
    supersedes: str | None,
    deadline: str,
    nonce: int | None,
    out: Path,
) -> None:
    """Sign a record off-line as an issuing agency (EIP-712); nothing is sent. Anyone can then
    submit the file with `issue-signed`. Requests signed in a row need consecutive nonces and
    are consumed in that order; `cancel-signed` cancels them before they are relayed."""
    from ape import chain

    suite, signer = Suite(manifest_file), load_account(account_alias)
    request = _request(suite, schema, subject, evidence, fields, data_hex, expires, supersedes)
    until = parse_param(
        lambda v: _uint64(rec_client.parse_expiry(v, chain.pending_timestamp), "deadline"),
        deadline,
        "--deadline",
    )
    signed = parse_param(
        lambda _: rec_client.sign_issue(
            suite[RECORD_REGISTRY], request, signer, deadline=until, nonce=nonce
        ),
        deadline,
        "--deadline",
    )
    out.write_text(signed.to_json() + "\n")
    console.print(
        f"signed by {signed.signer} (nonce {signed.nonce}, valid until "
        f"{format_time(signed.deadline)}) -> {out}"
    )


@command(records, "issue-signed")
@click.argument("signed_file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
def records_issue_signed(account_alias: str, manifest_file: Path | None, signed_file: Path) -> None:
    """Submit a record an agency signed with `sign-issue` (any account may relay it; the
    agency is recorded as issuer, the relayer as operator)."""
    suite, sender = Suite(manifest_file), load_account(account_alias)
    signed = parse_param(_read_signed, signed_file, "SIGNED_FILE")
    record_id, _ = rec_client.relay_signed_issue(
        suite[RECORD_REGISTRY], signed, sender=sender, transact=send
    )
    console.print(f"record {_hex(record_id)} (issuer {signed.signer})")


def _read_signed(path: Path) -> rec_client.SignedIssue:
    """A signed request written by `sign-issue`; any defect names the file."""
    try:
        return rec_client.SignedIssue.from_json(path.read_text(encoding="utf-8"))
    except Exception as exc:
        detail = f"missing field {exc}" if isinstance(exc, KeyError) else " ".join(str(exc).split())
        raise ValueError(
            f"{path} is not a signed record request from `sign-issue` ({detail[:120]})"
        ) from None


MAX_REVOKE_BATCH = 50
MAX_POLICY_SCHEMAS = 8


@command(records, "revoke")
@click.argument("record_ids", nargs=-1, required=True)
@click.option(
    "--code",
    required=True,
    help="Why: error (1, issued in error), remedied (2, also: paid) or other (5, needs --reason).",
)
@click.option(
    "--reason",
    default=None,
    help="The reason document: 0x-hash, file or text (hashed; only the hash goes on chain).",
)
def records_revoke(
    account_alias: str,
    manifest_file: Path | None,
    record_ids: tuple[str, ...],
    code: str,
    reason: str | None,
) -> None:
    """Revoke one or more records (a member of the schema's issuer role). Several ids are
    revoked in one transaction (at most 50)."""
    suite, sender = Suite(manifest_file), load_account(account_alias)
    reason_code = parse_param(rec_client.RevocationReason.parse, code, "--code")
    reason_hash = parse_param(document_hash, reason, "--reason") if reason else ZERO32
    if reason_code == rec_client.RevocationReason.OTHER and not reason:
        raise click.BadParameter("code other needs the reason document", param_hint="--reason")
    ids = [parse_param(to_bytes32, r, "RECORD_IDS") for r in record_ids]
    if len(ids) > MAX_REVOKE_BATCH:
        raise click.BadParameter(
            f"{len(ids)} record ids; at most {MAX_REVOKE_BATCH} per transaction",
            param_hint="RECORD_IDS",
        )
    if len(set(ids)) != len(ids):
        raise click.BadParameter("a record id is given twice", param_hint="RECORD_IDS")
    if len(ids) == 1:
        rec_client.revoke(
            suite[RECORD_REGISTRY], ids[0], reason_code, reason_hash, sender=sender, transact=send
        )
    else:
        rec_client.revoke_batch(
            suite[RECORD_REGISTRY], ids, reason_code, reason_hash, sender=sender, transact=send
        )


@command(records, "cancel-signed")
@click.option(
    "--through",
    "through",
    type=UINT256,
    required=True,
    help="Cancel every signed request of yours with a nonce up to this one (inclusive).",
)
def records_cancel_signed(account_alias: str, manifest_file: Path | None, through: int) -> None:
    """Cancel your signed issuances (from `sign-issue`) before a relayer submits them: moves
    your signer nonce past NONCE (at most 256 nonces at a time)."""
    suite, sender = Suite(manifest_file), load_account(account_alias)
    current = int(suite[RECORD_REGISTRY].nonces(sender.address))
    if through < current:
        raise click.BadParameter(
            f"nonce {through} is already used or cancelled (your next nonce is {current})",
            param_hint="--through",
        )
    if through + 1 - current > rec_client.MAX_NONCE_STEP:
        raise click.BadParameter(
            f"at most {rec_client.MAX_NONCE_STEP} nonces at a time (your next nonce is {current})",
            param_hint="--through",
        )
    rec_client.invalidate_nonces(suite[RECORD_REGISTRY], through + 1, sender=sender, transact=send)


@command(records, "dispute")
@click.argument("record_id")
@click.option("--evidence", required=True, help="Your evidence: 0x-hash, file or text (hashed).")
def records_dispute(
    account_alias: str, manifest_file: Path | None, record_id: str, evidence: str
) -> None:
    """Dispute an adverse record about you (signed by your identity's controller). It stops
    counting against you for the schema's dispute stay (e.g. 14 days) or until an arbiter
    decides, if sooner; an arbiter may grant a longer stay."""
    suite, sender = Suite(manifest_file), load_account(account_alias)
    rec_client.dispute(
        suite[RECORD_REGISTRY],
        parse_param(to_bytes32, record_id, "RECORD_ID"),
        parse_param(document_hash, evidence, "--evidence"),
        sender=sender,
        transact=send,
    )


@command(records, "resolve")
@click.argument("record_id")
@click.option(
    "--uphold/--overturn",
    "upheld",
    required=True,
    help="Uphold (the record counts again) or overturn (it is revoked).",
)
@click.option("--ruling", required=True, help="The written decision: 0x-hash, file or text.")
def records_resolve(
    account_alias: str, manifest_file: Path | None, record_id: str, upheld: bool, ruling: str
) -> None:
    """Decide the open dispute on a record (arbiter)."""
    suite, sender = Suite(manifest_file), load_account(account_alias)
    rec_client.resolve(
        suite[RECORD_REGISTRY],
        parse_param(to_bytes32, record_id, "RECORD_ID"),
        upheld=upheld,
        ruling_hash=parse_param(document_hash, ruling, "--ruling"),
        sender=sender,
        transact=send,
    )


@command(records, "stay-grant")
@click.argument("record_id")
@click.option(
    "--until", "until", required=True, help="+30d, 2027-12-31 or unix time; at most 90 days ahead."
)
@click.option("--reason", required=True, help="The stay order: 0x-hash, file or text (hashed).")
def records_stay_grant(
    account_alias: str, manifest_file: Path | None, record_id: str, until: str, reason: str
) -> None:
    """Suspend a disputed record until a later date than its running stay (arbiter)."""
    from ape import chain

    suite, sender = Suite(manifest_file), load_account(account_alias)
    rid = parse_param(to_bytes32, record_id, "RECORD_ID")
    when = parse_param(
        lambda v: _uint64(rec_client.parse_expiry(v, chain.pending_timestamp), "--until"),
        until,
        "--until",
    )
    rec_client.grant_stay(
        suite[RECORD_REGISTRY],
        rid,
        when,
        parse_param(document_hash, reason, "--reason"),
        sender=sender,
        transact=send,
    )


@command(records, "stay-lapse")
@click.argument("record_id")
def records_stay_lapse(account_alias: str, manifest_file: Path | None, record_id: str) -> None:
    """Record that a disputed record's stay has lapsed (anyone; the record already counts
    again, this refreshes the cached standing so policy checks stay cheap)."""
    suite, sender = Suite(manifest_file), load_account(account_alias)
    rec_client.lapse_stay(
        suite[RECORD_REGISTRY],
        parse_param(to_bytes32, record_id, "RECORD_ID"),
        sender=sender,
        transact=send,
    )


@command(records, "policy-set")
@click.argument("policy_id", type=uint(256, low=1))
@click.option("--name", required=True, help="What the policy is for, e.g. grant-eligibility.")
@click.option("--require", "required", multiple=True, help="Schema (name or id) required; <= 8.")
@click.option(
    "--disqualify", "disqualifying", multiple=True, help="Adverse schema that disqualifies; <= 8."
)
def records_policy_set(
    account_alias: str,
    manifest_file: Path | None,
    policy_id: int,
    name: str,
    required: tuple[str, ...],
    disqualifying: tuple[str, ...],
) -> None:
    """Define or replace standing policy POLICY_ID (records administrator)."""
    suite, sender = Suite(manifest_file), load_account(account_alias)
    lists = {"--require": required, "--disqualify": disqualifying}
    ids: dict[str, list[int]] = {}
    for hint, values in lists.items():
        if len(values) > MAX_POLICY_SCHEMAS:
            raise click.BadParameter(f"at most {MAX_POLICY_SCHEMAS} schemas", param_hint=hint)
        ids[hint] = [parse_param(lambda v: _resolve_schema(suite, v), s, hint) for s in values]
        if len(set(ids[hint])) != len(ids[hint]):
            raise click.BadParameter("a schema is given twice", param_hint=hint)
    rec_client.set_policy(
        suite[RECORD_REGISTRY],
        policy_id=policy_id,
        name=name,
        required=ids["--require"],
        disqualifying=ids["--disqualify"],
        sender=sender,
        transact=send,
    )


def _record_rows(view: rec_client.RecordView) -> list[tuple[str, str]]:
    rows = [
        ("record", _hex(view.record_id)),
        ("state", view.state),
        (
            "schema",
            f"{view.schema.schema_id} {view.schema.name}"
            + (" (adverse)" if view.schema.adverse else ""),
        ),
        ("subject", _hex(view.subject)),
        ("issuer", view.issuer),
        ("issued", format_time(view.issued_at)),
        ("expires", format_time(view.expires_at) if view.expires_at else "never"),
        ("evidence", _hex(view.evidence_hash)),
    ]
    if view.fields:
        rows.append(("data", ", ".join(f"{k}={v}" for k, v in view.fields.items())))
    elif view.data:
        rows.append(("data", _hex(view.data)))
    if view.revoked_at:
        rows.append(("revoked", format_time(view.revoked_at)))
    if view.stay_until:
        lapsed = " (lapsed)" if view.stay_until <= view.checked_at else ""
        rows.append(("stayed until", format_time(view.stay_until) + lapsed))
    if any(view.supersedes):
        rows.append(("supersedes", _hex(view.supersedes)))
    if any(view.superseded_by):
        rows.append(("superseded by", _hex(view.superseded_by)))
    d = view.dispute
    if d.status != rec_client.DisputeStatus.NONE:
        rows.append(
            (
                "dispute",
                f"{d.status.name.lower()} (raised by {d.raised_by} "
                f"{format_time(d.opened_at)}, evidence {_hex(d.evidence_hash)})",
            )
        )
        if d.resolved_at:
            rows.append(
                (
                    "decided",
                    f"by {d.resolved_by} {format_time(d.resolved_at)}"
                    + (f", ruling {_hex(d.ruling_hash)}" if any(d.ruling_hash) else ""),
                )
            )
    return rows


@command(records, "show", signs=False)
@click.argument("target")
@click.option("--offset", type=UINT256, default=0, show_default=True)
@click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True)
def records_show(manifest_file: Path | None, target: str, offset: int, limit: int) -> None:
    """Show a record (TARGET = record id), or list a subject's records (TARGET = subject
    commitment or controller address), page by page."""
    suite = Suite(manifest_file)
    registry = suite[RECORD_REGISTRY]
    value = target.strip()
    is_id = (
        len(value) == 66
        and value.startswith("0x")
        and all(c in "0123456789abcdefABCDEF" for c in value[2:])
    )
    if is_id and int(registry.getRecord(value).issuedAt):
        _print_rows(_record_rows(rec_client.get_record(registry, value)))
        return
    s = _subject(suite, value, "TARGET")
    every = rec_client.records_of(registry, s)
    total = len(every)
    if not total and not id_client.show(suite[IDENTITY_REGISTRY], s).registered:
        raise click.BadParameter(
            f"{value} is neither a record nor a registered identity", param_hint="TARGET"
        )
    ids = every[offset : offset + limit]
    table = Table(
        "record",
        "schema",
        "state",
        "issued",
        "expires",
        "issuer",
        title=f"{_hex(s)}: records {offset + 1}-{offset + len(ids)} of {total}",
    )
    for record_id in ids:
        v = rec_client.get_record(registry, record_id)
        table.add_row(
            _hex(record_id)[:18] + "…",
            v.schema.name,
            v.state,
            format_time(v.issued_at)[:10],
            format_time(v.expires_at)[:10] if v.expires_at else "never",
            v.issuer,
        )
    console.print(table)


@command(records, "check-policy", signs=False)
@click.argument("subject")
@click.argument("policy_id", type=uint(256, low=1))
@click.option("--exit-code", is_flag=True, help="Exit with status 2 when the policy is not met.")
def records_check_policy(
    manifest_file: Path | None, subject: str, policy_id: int, exit_code: bool
) -> None:
    """Check SUBJECT against standing policy POLICY_ID, with the reason for the answer."""
    suite = Suite(manifest_file)
    s = _subject(suite, subject)
    check = parse_param(
        lambda p: rec_client.check_policy(
            suite[RECORD_REGISTRY], suite[IDENTITY_REGISTRY], s, int(p)
        ),
        str(policy_id),
        "POLICY_ID",
    )
    registry = suite[RECORD_REGISTRY]

    def name(schema_id: int) -> str:
        return f"{schema_id} {rec_client.get_schema(registry, schema_id).name}"

    verdict = "[green]meets[/]" if check.meets else "[red]does not meet[/]"
    console.print(f"{_hex(s)} {verdict} policy {policy_id} ({check.name})")
    if not check.subject_active:
        console.print("  identity is not active")
    for schema_id in check.missing:
        console.print(f"  missing a valid record of {name(schema_id)}")
    for schema_id in check.disqualified_by:
        console.print(f"  disqualified by a valid record of {name(schema_id)}")
    if exit_code and not check.meets:
        raise SystemExit(2)
