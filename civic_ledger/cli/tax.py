"""`ape run admin tax ...`: the tax bureau and owners at work on property tax (accounts,
parcels, identities and documents as every command takes them: `civic_ledger.cli`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from civic_ledger.bulk import taxroll
from civic_ledger.cli.common import (
    DOCUMENT_FORMS,
    EVIDENCE,
    F,
    Suite,
    command,
    known_parcel,
    load_account,
    parse_document,
    parse_param,
    reason_option,
    token_amount,
    token_decimals,
    token_text,
)
from civic_ledger.cli.imports import ImportOptions, import_options, run_import
from civic_ledger.cli.output import console, put, send
from civic_ledger.core.encoding import format_time
from civic_ledger.core.names import PROPERTY_TAX, TITLE_REGISTRY, TOKEN
from civic_ledger.property import tax as tax_client


def _due(value: str) -> int:
    from ape import chain

    return parse_param(lambda v: tax_client.parse_due(v, chain.pending_timestamp), value, "--due")


@click.group()
def tax() -> None:
    """Property tax: assess, pay, status."""


YEAR = click.IntRange(1, 65535)


def _assessment_command(name: str) -> Callable[[F], F]:
    """A signed `tax NAME PARCEL --year YEAR` command: one assessment of one parcel."""

    def wrap(func: F) -> F:
        func = click.option("--year", type=YEAR, required=True)(func)
        return command(tax, name)(click.argument("parcel")(func))

    return wrap


def _signer_and_parcel(suite: Suite, account_alias: str, parcel: str) -> tuple[Any, int]:
    return load_account(account_alias), known_parcel(suite, parcel)


@_assessment_command("assess")
@click.option("--amount", required=True, help="Tax in tokens.")
@click.option("--due", required=True, help="Due date: YYYY-MM-DD (end of day UTC) or unix seconds.")
def tax_assess(
    account_alias: str, manifest_file: Path | None, parcel: str, year: int, amount: str, due: str
) -> None:
    """Assess a parcel for a year (tax bureau)."""
    suite = Suite(manifest_file)
    sender, parcel_id = _signer_and_parcel(suite, account_alias, parcel)
    module, units = suite[PROPERTY_TAX], token_amount(suite, amount)
    tax_client.assess(module, parcel_id, year, units, _due(due), sender=sender, transact=send)


@command(tax, "import")
@import_options(taxroll.TaxRollJob)
def tax_import(
    account_alias: str, manifest_file: Path | None, csv_file: Path, options: ImportOptions
) -> None:
    """Assess the parcels of a tax roll CSV; resumable, idempotent (tax bureau).

    \b
    Columns (header required; other columns are ignored):
      parcel   cadastral code, or parcel id (decimal or 0x + 64 hex digits)
      year     tax year (1-65535)
      amount   tax in whole tokens
      due      due date: YYYY-MM-DD (end of day UTC) or unix seconds; in the future

    The whole file is validated and compared with the chain first: unless --skip-bad-rows is
    given, any bad row refuses the file before anything is sent. An assessment already on
    chain with the same amount and due date is skipped; one with other figures is a bad row
    (never overwritten). One transaction per assessment, pipelined (--window); re-running the
    file after a kill or a success sends only what is missing."""
    from ape import chain

    suite = Suite(manifest_file)
    sender = None if options.check_only else load_account(account_alias)
    rows, bad = taxroll.read_taxroll_csv(
        csv_file, token_decimals(suite), chain.pending_timestamp, encoding=options.encoding
    )
    job = taxroll.TaxRollJob(suite[PROPERTY_TAX], suite[TITLE_REGISTRY])
    run_import(
        job, rows, bad, csv_file=csv_file, sender=sender, options=options, noun="assessments"
    )


@_assessment_command("pay")
@click.option(
    "--permit", is_flag=True, help="Sign an EIP-2612 permit instead of a separate approval."
)
def tax_pay(
    account_alias: str, manifest_file: Path | None, parcel: str, year: int, permit: bool
) -> None:
    """Pay an assessment in settlement tokens (goes to the treasury)."""
    suite = Suite(manifest_file)
    sender, parcel_id = _signer_and_parcel(suite, account_alias, parcel)
    module, token = suite[PROPERTY_TAX], suite[TOKEN]
    tax_client.pay(module, token, parcel_id, year, sender=sender, permit=permit, transact=send)


@_assessment_command("void")
@reason_option(f"The decision ({DOCUMENT_FORMS}).")
def tax_void(
    account_alias: str, manifest_file: Path | None, parcel: str, year: int, reason: str
) -> None:
    """Void an unpaid assessment (tax bureau)."""
    suite = Suite(manifest_file)
    sender, parcel_id = _signer_and_parcel(suite, account_alias, parcel)
    module, decision = suite[PROPERTY_TAX], parse_document(reason, EVIDENCE)
    tax_client.void(module, parcel_id, year, decision, sender=sender, transact=send)


@command(tax, "status", signs=False)
@click.argument("parcel")
@click.option(
    "--year", "years", type=YEAR, multiple=True, help="Years to show (default: all unpaid)."
)
def tax_status(manifest_file: Path | None, parcel: str, years: tuple[int, ...]) -> None:
    """Assessments of a parcel and whether any is overdue."""
    suite = Suite(manifest_file)
    decimals = token_decimals(suite)
    module = suite[PROPERTY_TAX]
    parcel_id = known_parcel(suite, parcel)
    table = Table("year", "amount", "due", "status", "settled", title=f"tax of {parcel}")
    assessments = tax_client.status(module, parcel_id, list(years))
    for a in assessments:
        table.add_row(
            str(a.year), token_text(suite, a.amount), format_time(a.due_date, seconds=False),
            a.status.name.lower(), format_time(a.settled_at, seconds=False),
        )  # fmt: skip
    console.print(table)
    overdue = bool(module.hasOverdue(parcel_id))
    console.print("[red]overdue: sales are blocked[/]" if overdue else "nothing overdue")
    put(parcel=parcel, parcel_id=parcel_id, overdue=overdue, decimals=decimals,
        assessments=assessments)  # fmt: skip
