"""`ape run admin records ...`: the records administrator, issuing agencies, subjects and
arbiters at work on the credit-record platform (accounts, subjects and documents — evidence,
reasons, rulings — as every command takes them: `civic_ledger.cli`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table

from civic_ledger.bulk import records as bulk
from civic_ledger.cli.common import (
    DOCUMENT_FORMS,
    EVIDENCE,
    EXISTING_FILE,
    UINT256,
    Suite,
    command,
    evidence_option,
    identity_subject,
    load_account,
    parse_document,
    parse_param,
    path_option,
    reason_option,
    suite_and_signer,
    uint,
)
from civic_ledger.cli.imports import ImportOptions, import_options, run_import
from civic_ledger.cli.output import console, print_rows, put, send
from civic_ledger.cli.record_options import existing_schema, moment, record_options, record_request
from civic_ledger.core.encoding import HEX32, ZERO32, format_time, hex32, to_bytes32
from civic_ledger.core.names import IDENTITY_REGISTRY, RECORD_REGISTRY
from civic_ledger.identity import client as id_client
from civic_ledger.identity import record_input
from civic_ledger.identity import records as rec_client
from civic_ledger.identity.views import (
    RECORD_LINE_HEADERS,
    SCHEMA_LINE_HEADERS,
    policy_reasons,
    record_line,
    record_rows,
    schema_line,
)

MAX_REVOKE_BATCH = 50
MAX_POLICY_SCHEMAS = 8


@click.group()
def records() -> None:
    """The credit-record platform: schemas, records, disputes and standing policies.

    The records administrator adds schemas and policies; issuing agencies issue (directly, in
    batches or by signing off-line) and revoke; subjects dispute adverse records; arbiters
    resolve disputes; anyone can show records and check a subject against a policy."""


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
    "--validity", default="0", show_default=True,
    help="Default (and, for adverse schemas, maximum) validity: 0 (forever), 30d, 3y...",
)  # fmt: skip
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
    suite, sender = suite_and_signer(manifest_file, account_alias)
    role_id = parse_param(record_input.role_ref, issuer_role.strip(), "--issuer-role")
    if layout:
        parse_param(rec_client.parse_layout, layout, "--layout")
    validity_seconds = parse_param(record_input.validity, validity, "--validity")
    schema_id = rec_client.register_schema(
        suite[RECORD_REGISTRY], name=name, field_layout=layout, issuer_role=role_id,
        revocable=revocable, adverse=adverse, default_validity=validity_seconds,
        sender=sender, transact=send,
    )  # fmt: skip
    console.print(f"schema id {schema_id}")


@command(records, "stay-set")
@click.argument("schema")
@click.argument("duration")
def records_stay_set(
    account_alias: str, manifest_file: Path | None, schema: str, duration: str
) -> None:
    """Set how long a dispute suspends records of SCHEMA (name or id): DURATION such as 14d,
    at most 90d; 0 = a dispute never suspends unless an arbiter grants a stay (records
    administrator). Applies to disputes opened from now on."""
    suite, sender = suite_and_signer(manifest_file, account_alias)
    schema_id = existing_schema(suite, schema, "SCHEMA").schema_id
    seconds = parse_param(record_input.dispute_stay, duration, "DURATION")
    rec_client.set_dispute_stay(
        suite[RECORD_REGISTRY], schema_id, seconds, sender=sender, transact=send
    )


@command(records, "schemas", signs=False)
def records_schemas(manifest_file: Path | None) -> None:
    """List every schema."""
    registry = Suite(manifest_file)[RECORD_REGISTRY]
    table = Table()
    for header in SCHEMA_LINE_HEADERS:
        overflow = "fold" if header == "layout" else "ellipsis"
        table.add_column(header, no_wrap=header in ("id", "name"), overflow=overflow)
    for schema_id in range(1, int(registry.schemaCount()) + 1):
        table.add_row(*schema_line(rec_client.get_schema(registry, schema_id)))
    console.print(table)


@command(records, "issue")
@record_options
def records_issue(account_alias: str, manifest_file: Path | None, record: dict[str, Any]) -> None:
    """Issue a record about a subject (a member of the schema's issuer role)."""
    suite, sender = suite_and_signer(manifest_file, account_alias)
    request = record_request(suite, record)
    record_id = rec_client.issue(suite[RECORD_REGISTRY], request, sender=sender, transact=send)
    console.print(f"record {hex32(record_id)}")


@command(records, "import")
@import_options(bulk.RecordJob, default_batch=bulk.DEFAULT_BATCH)
def records_import(
    account_alias: str, manifest_file: Path | None, csv_file: Path, options: ImportOptions
) -> None:
    """Issue the records of CSV_FILE in batches; resumable, idempotent (issuing agency).

    \b
    Columns (header required):
      schema      schema name or id
      subject     subject commitment (0x + 64 hex digits)
      evidence    0x hash, text:TEXT or @PATH (relative to the CSV); adverse schemas need it
      expires     +30d, 2027-12-31, ISO date-time or unix time (empty: schema validity)
      supersedes  id of the record this one replaces (optional)
      <field>     one column per field of the schema's layout, named like the field
      data        raw 0x-hex record data instead of the field columns (optional)

    The whole file is validated and compared with the chain first: unless --skip-bad-rows is
    given, any bad row refuses the file before anything is sent. Bad rows are written to the
    rejects file with their line and reason. A record the journal saw mined, or that --account
    already issued (same schema, subject, evidence, data, supersedes), is not issued again,
    so re-running the file after a kill or a success sends only what is missing."""
    from ape import chain

    suite = Suite(manifest_file)
    sender = load_account(account_alias)  # also for --check: what did this issuer issue?
    registry = suite[RECORD_REGISTRY]
    rows, bad = bulk.read_records_csv(
        csv_file, bulk.schema_lookup(registry), chain.pending_timestamp, encoding=options.encoding
    )
    job = bulk.RecordJob(registry, suite[IDENTITY_REGISTRY], str(sender.address))
    run_import(job, rows, bad, csv_file=csv_file, sender=sender, options=options, noun="records")


@command(records, "sign-issue")
@record_options
@click.option(
    "--deadline",
    default="+1d",
    show_default=True,
    help="Until when a relayer may submit it (+2h, 2027-01-31, unix time); at most 30 days ahead.",
)
@click.option(
    "--nonce", type=UINT256, default=None, help="Signer nonce (default: the current one)."
)
@path_option("--out", required=True, help="Where to write the signed request (JSON) for a relayer.")
def records_sign_issue(
    account_alias: str,
    manifest_file: Path | None,
    record: dict[str, Any],
    deadline: str,
    nonce: int | None,
    out: Path,
) -> None:
    """Sign a record off-line as an issuing agency (EIP-712); nothing is sent. Anyone can then
    submit the file with `issue-signed`. Requests signed in a row need consecutive nonces and
    are consumed in that order; `cancel-signed` cancels them before they are relayed."""
    suite, signer = suite_and_signer(manifest_file, account_alias)
    request = record_request(suite, record)
    until = moment(deadline, "deadline", "--deadline")
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
@click.argument("signed_file", type=EXISTING_FILE)
def records_issue_signed(account_alias: str, manifest_file: Path | None, signed_file: Path) -> None:
    """Submit a record an agency signed with `sign-issue` (any account may relay it; the
    agency is recorded as issuer, the relayer as operator)."""
    suite, sender = suite_and_signer(manifest_file, account_alias)
    signed = parse_param(record_input.read_signed, signed_file, "SIGNED_FILE")
    record_id = rec_client.relay_signed_issue(
        suite[RECORD_REGISTRY], signed, sender=sender, transact=send
    )
    console.print(f"record {hex32(record_id)} (issuer {signed.signer})")


@command(records, "revoke")
@click.argument("record_ids", nargs=-1, required=True)
@click.option(
    "--code",
    required=True,
    help="Why: error (1, issued in error), remedied (2, also: paid) or other (5, needs "
    "--evidence).",
)
@reason_option(
    f"The decision behind the revocation ({DOCUMENT_FORMS}); only the hash goes on chain.",
    required=False,
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
    suite, sender = suite_and_signer(manifest_file, account_alias)
    reason_code = parse_param(rec_client.RevocationReason.parse, code, "--code")
    reason_hash = parse_document(reason, EVIDENCE) if reason else ZERO32
    if reason_code == rec_client.RevocationReason.OTHER and not reason:
        raise click.BadParameter("code other needs the decision document", param_hint=EVIDENCE)
    ids = parse_param(
        lambda v: record_input.record_ids(v, MAX_REVOKE_BATCH), record_ids, "RECORD_IDS"
    )
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
    suite, sender = suite_and_signer(manifest_file, account_alias)
    current = int(suite[RECORD_REGISTRY].nonces(sender.address))
    new_nonce = parse_param(lambda v: record_input.nonce_target(current, v), through, "--through")
    rec_client.invalidate_nonces(suite[RECORD_REGISTRY], new_nonce, sender=sender, transact=send)


@command(records, "dispute")
@click.argument("record_id")
@click.option("--evidence", required=True, help=f"Your evidence ({DOCUMENT_FORMS}).")
def records_dispute(
    account_alias: str, manifest_file: Path | None, record_id: str, evidence: str
) -> None:
    """Dispute an adverse record about you (signed by your identity's controller). It stops
    counting against you for the schema's dispute stay (e.g. 14 days) or until an arbiter
    decides, if sooner; an arbiter may grant a longer stay."""
    suite, sender = suite_and_signer(manifest_file, account_alias)
    registry, rid = suite[RECORD_REGISTRY], parse_param(to_bytes32, record_id, "RECORD_ID")
    evidence_hash = parse_document(evidence, "--evidence")
    rec_client.dispute(registry, rid, evidence_hash, sender=sender, transact=send)


@command(records, "resolve")
@click.argument("record_id")
@click.option(
    "--uphold/--overturn",
    "upheld",
    required=True,
    help="Uphold (the record counts again) or overturn (it is revoked).",
)
@evidence_option(f"The written ruling ({DOCUMENT_FORMS}).", dest="ruling", old="--ruling")
def records_resolve(
    account_alias: str, manifest_file: Path | None, record_id: str, upheld: bool, ruling: str
) -> None:
    """Decide the open dispute on a record (arbiter)."""
    suite, sender = suite_and_signer(manifest_file, account_alias)
    registry, rid = suite[RECORD_REGISTRY], parse_param(to_bytes32, record_id, "RECORD_ID")
    ruling_hash = parse_document(ruling, EVIDENCE)
    rec_client.resolve(
        registry, rid, upheld=upheld, ruling_hash=ruling_hash, sender=sender, transact=send
    )


@command(records, "stay-grant")
@click.argument("record_id")
@click.option(
    "--until", "until", required=True, help="+30d, 2027-12-31 or unix time; at most 90 days ahead."
)
@reason_option(f"The stay order ({DOCUMENT_FORMS}).")
def records_stay_grant(
    account_alias: str, manifest_file: Path | None, record_id: str, until: str, reason: str
) -> None:
    """Suspend a disputed record until a later date than its running stay (arbiter)."""
    suite, sender = suite_and_signer(manifest_file, account_alias)
    rid = parse_param(to_bytes32, record_id, "RECORD_ID")
    when = moment(until, "--until", "--until")
    registry, order = suite[RECORD_REGISTRY], parse_document(reason, EVIDENCE)
    rec_client.grant_stay(registry, rid, when, order, sender=sender, transact=send)


@command(records, "stay-lapse")
@click.argument("record_id")
def records_stay_lapse(account_alias: str, manifest_file: Path | None, record_id: str) -> None:
    """Record that a disputed record's stay has lapsed (anyone; the record already counts
    again, this refreshes the cached standing so policy checks stay cheap)."""
    suite, sender = suite_and_signer(manifest_file, account_alias)
    registry, rid = suite[RECORD_REGISTRY], parse_param(to_bytes32, record_id, "RECORD_ID")
    rec_client.lapse_stay(registry, rid, sender=sender, transact=send)


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
    suite, sender = suite_and_signer(manifest_file, account_alias)
    registry = suite[RECORD_REGISTRY]
    ids = {
        hint: parse_param(
            lambda v: record_input.schema_refs(registry, v, MAX_POLICY_SCHEMAS), values, hint
        )
        for hint, values in (("--require", required), ("--disqualify", disqualifying))
    }
    required_ids, disqualifying_ids = ids["--require"], ids["--disqualify"]
    rec_client.set_policy(registry, policy_id=policy_id, name=name, required=required_ids,
                          disqualifying=disqualifying_ids, sender=sender, transact=send)  # fmt: skip


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
    if HEX32.match(value) and int(registry.getRecord(value).issuedAt):
        print_rows(record_rows(rec_client.get_record(registry, value, logs=suite.logs)))
        return
    s = identity_subject(suite, value, "TARGET")
    every = rec_client.records_of(registry, s, logs=suite.logs)
    total = len(every)
    if not total and not id_client.show(suite[IDENTITY_REGISTRY], s).registered:
        raise click.BadParameter(
            f"{value} is neither a record nor a registered identity", param_hint="TARGET"
        )
    ids = every[offset : offset + limit]
    title = f"{hex32(s)}: records {offset + 1}-{offset + len(ids)} of {total}"
    table = Table(*RECORD_LINE_HEADERS, title=title)
    for record_id in ids:
        record = rec_client.get_record(registry, record_id, logs=suite.logs)
        table.add_row(*record_line(record_id, record))
    console.print(table)


@command(records, "check-policy", signs=False)
@click.argument("subject")
@click.argument("policy_id", type=uint(256, low=1))
def records_check_policy(manifest_file: Path | None, subject: str, policy_id: int) -> None:
    """Check SUBJECT against standing policy POLICY_ID, with the reason for the answer; exits
    1 when the policy is not met (0 when it is), so a script can act on the answer."""
    suite = Suite(manifest_file)
    s = identity_subject(suite, subject)
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
    console.print(f"{hex32(s)} {verdict} policy {policy_id} ({check.name})")
    reasons = list(policy_reasons(check, name))
    for reason in reasons:
        console.print(f"  {reason}")
    put(subject=s, policy_id=policy_id, policy=check.name, meets=check.meets, reasons=reasons)
    if not check.meets:
        raise click.exceptions.Exit(1)
