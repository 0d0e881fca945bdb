"""`ape run admin identity ...`: the identity office, controllers and guardians at work
(accounts and subjects as every command takes them: `civic_ledger.cli`). Official ids are
hashed with a salt before anything is sent: they never reach the chain.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from civic_ledger.bulk import identities as bulk
from civic_ledger.cli.common import (
    ADDRESS,
    Suite,
    command,
    encoding_option,
    identity_subject,
    load_account,
    parse_param,
    path_option,
    sign_one,
    suite_and_signer,
)
from civic_ledger.cli.imports import ImportOptions, import_options, run_import
from civic_ledger.cli.output import console, print_rows, put, send
from civic_ledger.core.commitments import commitment, normalize_official_id, parse_salt
from civic_ledger.core.encoding import format_time, hex32
from civic_ledger.core.names import IDENTITY_REGISTRY, RECORD_REGISTRY
from civic_ledger.identity import client as id_client
from civic_ledger.identity import records as rec_client


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
    console.print(f"subject {hex32(subject)}")
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
@path_option(
    "--salts-out",
    required=True,
    help="CSV the (official id, salt, subject) row is appended to (created mode 0600). "
    "Keep it in the office's records system: it is the only link back to the person.",
)
@encoding_option("the salts file")
def identity_register(
    account_alias: str,
    manifest_file: Path | None,
    official_id: str,
    kind: str,
    controller: str,
    salt: str | None,
    salts_out: Path,
    encoding: str,
) -> None:
    """Register one identity (identity office). Prints its subject commitment."""
    suite, sender = suite_and_signer(manifest_file, account_alias)
    registration = parse_param(
        lambda _: id_client.Registration.new(official_id, controller, kind, salt),
        official_id,
        "--official-id/--controller/--salt",
    )
    parse_param(lambda text: text.encode(encoding), official_id, "--official-id/--encoding")
    id_client.register(suite[IDENTITY_REGISTRY], registration, sender=sender, transact=send)
    id_client.write_salts_csv(salts_out, [registration], encoding=encoding)
    console.print(f"subject {hex32(registration.subject)}  (salt recorded in {salts_out})")


@command(identity, "batch-register")
@path_option(
    "--salts-out",
    required=True,
    help="CSV the (official id, salt, subject) rows are appended to (created mode 0600), "
    "before anything is sent. Rows without a salt reuse the salt it holds for their official "
    "id, so re-running the same file never registers a person twice.",
)
@import_options(bulk.IdentityJob)
def identity_batch_register(
    account_alias: str, manifest_file: Path | None, csv_file: Path, salts_out: Path,
    options: ImportOptions,
) -> None:  # fmt: skip
    """Register every row of CSV_FILE in batches; resumable, idempotent (identity office).

    Columns: official_id,kind,controller[,salt] (header required; kind is person, enterprise
    or agency; other columns are ignored). Only subject commitments go on chain. The whole
    file is validated and compared with the chain first (a controller already acting for an
    identity is a bad row): unless --skip-bad-rows is given, any bad row refuses the file
    before anything is sent. Bad rows are written to the rejects file with their line and
    reason. Registered subjects are skipped, so re-running the file (or the salts file)
    resumes an interrupted import; batches left in flight are settled from the journal."""
    suite = Suite(manifest_file)
    sender = None if options.check_only else load_account(account_alias)
    rows, bad = bulk.read_identities_csv(csv_file, salts_out, encoding=options.encoding)
    run_import(
        bulk.IdentityJob(suite[IDENTITY_REGISTRY]), rows, bad, csv_file=csv_file, sender=sender,
        options=options, noun="identities",
        # Salts first: a crash after sending must never lose the link to the persons.
        before_send=lambda todo: id_client.write_salts_csv(
            salts_out, todo, encoding=options.encoding
        ),
    )  # fmt: skip


@command(identity, "rotate")
@click.option(
    "--to", "new_controller", type=ADDRESS, required=True, help="The new controller wallet."
)
def identity_rotate(account_alias: str, manifest_file: Path | None, new_controller: str) -> None:
    """Propose handing control of your own identity to another wallet (signed by the current
    controller; the identity must be active). Nothing moves until that wallet runs
    `rotate-accept`; `rotate-cancel` withdraws the proposal."""
    suite, sender = suite_and_signer(manifest_file, account_alias)
    id_client.propose_controller(
        suite[IDENTITY_REGISTRY], new_controller, sender=sender, transact=send
    )
    subject = bytes(suite[IDENTITY_REGISTRY].subjectOf(sender.address))
    console.print(
        f"the new wallet accepts with: ape run admin identity rotate-accept {hex32(subject)} "
        f"--account <{new_controller}>"
    )


def _subject_command(name: str, action: Callable[..., Any], doc: str) -> None:
    """Add `identity NAME SUBJECT`: `action` on SUBJECT, signed by --account, and nothing else."""

    def run(account_alias: str, manifest_file: Path | None, subject: str) -> None:
        suite, sender = suite_and_signer(manifest_file, account_alias)
        s = identity_subject(suite, subject)
        action(suite[IDENTITY_REGISTRY], s, sender=sender, transact=send)

    run.__doc__ = doc
    command(identity, name)(click.argument("subject")(run))


_subject_command(
    "rotate-accept",
    id_client.accept_controller,
    """Accept control of SUBJECT (signed by the wallet its controller proposed with `rotate`;
    the identity must still be active and your wallet must control no identity).""",
)


@command(identity, "rotate-cancel")
def identity_rotate_cancel(account_alias: str, manifest_file: Path | None) -> None:
    """Withdraw your pending controller proposal (signed by the current controller)."""
    sign_one(manifest_file, account_alias, IDENTITY_REGISTRY, id_client.cancel_controller_proposal)


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
    suite, sender = suite_and_signer(manifest_file, account_alias)
    s = identity_subject(suite, subject)
    id_client.initiate_recovery(
        suite[IDENTITY_REGISTRY], s, new_controller, sender=sender, transact=send
    )
    view = id_client.show(suite[IDENTITY_REGISTRY], s)
    console.print(f"ready at {format_time(view.recovery_ready_at)}")


_subject_command(
    "recover-complete",
    id_client.complete_recovery,
    """Complete a recovery whose delay has passed (anyone may send it).""",
)
_subject_command(
    "recover-cancel",
    id_client.cancel_recovery,
    """Cancel a pending recovery (the active identity's controller, a guardian or the office).""",
)


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
    suite, sender = suite_and_signer(manifest_file, account_alias)
    s = identity_subject(suite, subject)
    code = parse_param(id_client.encode_reason, reason, "--reason")
    id_client.set_status(
        suite[IDENTITY_REGISTRY],
        s,
        id_client.Status.parse(status),
        code,
        sender=sender,
        transact=send,
    )


@command(identity, "sign-challenge")
@path_option(
    "--challenge-file",
    required=True,
    help="The gateway's sign-in challenge, saved to a file exactly as the portal shows it.",
)
def identity_sign_challenge(
    account_alias: str, manifest_file: Path | None, challenge_file: Path
) -> None:
    """Sign a gateway's sign-in challenge (EIP-191 personal_sign) with your controller wallet,
    off-line: nothing is sent. Paste the printed signature into the portal's "My records" page.
    Only a gateway challenge is signed, and only one for --account's address on this network's
    chain that has not expired."""
    from civic_ledger.core.exceptions import AuthError
    from civic_ledger.gateway.auth import MAX_CHALLENGE_LENGTH, challenge_fields, sign_challenge

    suite, signer = suite_and_signer(manifest_file, account_alias)
    if not challenge_file.is_file():
        raise click.BadParameter(f"{challenge_file}: no such file", param_hint="--challenge-file")
    raw = challenge_file.read_bytes()[: MAX_CHALLENGE_LENGTH * 4 + 1]
    try:
        text = raw.decode("utf-8").replace("\r\n", "\n").strip()
        fields = challenge_fields(text)
    except (UnicodeDecodeError, AuthError) as exc:
        reason = str(exc) if isinstance(exc, AuthError) else "not UTF-8 text"
        raise click.BadParameter(
            f"{challenge_file}: {reason}", param_hint="--challenge-file"
        ) from None
    chain_id = int(suite[IDENTITY_REGISTRY].provider.chain_id)
    if fields.chain_id != chain_id:
        raise click.ClickException(
            f"the challenge is for chain {fields.chain_id}, this network is chain {chain_id}: "
            "refused (sign only your own city's challenges)"
        )
    if fields.address != str(signer.address).lower():
        raise click.ClickException(
            f"the challenge is for address {fields.address}, not --account's {signer.address}"
        )
    if fields.expires_at <= time.time():
        raise click.ClickException(
            f"the challenge expired at {format_time(fields.expires_at)}: ask the portal for a new one"
        )
    signature = sign_challenge(signer, text)
    if signature is None:
        raise click.ClickException(f"account {signer.address} did not sign")
    console.print(signature)
    put(address=str(signer.address), signature=signature)


@command(identity, "show", signs=False)
@click.argument("subject")
def identity_show(manifest_file: Path | None, subject: str) -> None:
    """Show SUBJECT (commitment or controller address): controller, kind, status, recovery."""
    suite = Suite(manifest_file)
    s = identity_subject(suite, subject)
    view = id_client.show(suite[IDENTITY_REGISTRY], s)
    if not view.registered:
        raise click.ClickException(f"{hex32(s)} is not registered")
    rows = [
        ("subject", hex32(s)),
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
        len(rec_client.records_of(suite[RECORD_REGISTRY], s, logs=suite.logs))
        if RECORD_REGISTRY in suite
        else None
    )
    rows.append(("records", "-" if count is None else str(count)))
    print_rows(rows)
    put(subject=s, identity=view, records=count)
