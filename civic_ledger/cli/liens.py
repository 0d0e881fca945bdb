"""`ape run admin liens ...`: lenders, owners and the registrar at work on liens (accounts,
parcels, identities and documents as every command takes them: `civic_ledger.cli`).
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from civic_ledger.cli.common import (
    DOCUMENT_FORMS,
    EVIDENCE,
    UINT256,
    Suite,
    command,
    evidence_option,
    identity_subject,
    known_parcel,
    parse_document,
    sign_one,
    suite_and_signer,
    token_amount,
    token_decimals,
    token_text,
)
from civic_ledger.cli.output import console, put, send
from civic_ledger.core.encoding import format_time
from civic_ledger.core.names import LIEN_REGISTRY
from civic_ledger.property import liens as lien_client


@click.group()
def liens() -> None:
    """Liens on parcels: add, consent, release, consent to sales."""


@command(liens, "add")
@click.argument("parcel")
@click.option("--holder", required=True, help="Lender identity (bytes32 or controller address).")
@click.option("--amount", required=True, help="Secured amount in tokens.")
@click.option("--evidence", required=True, help=f"Loan agreement or order ({DOCUMENT_FORMS}).")
@click.option(
    "--by-order", is_flag=True, help="Registrar records the lien by court order (no owner consent)."
)
def liens_add(
    account_alias: str, manifest_file: Path | None, parcel: str, holder: str, amount: str,
    evidence: str, by_order: bool,
) -> None:  # fmt: skip
    """Propose a lien as the lender (the owner then consents), or record one by order (registrar)."""
    suite, sender = suite_and_signer(manifest_file, account_alias)
    parcel_id = known_parcel(suite, parcel)
    subject = identity_subject(suite, holder, "--holder")
    units = token_amount(suite, amount)
    fn = lien_client.record_by_order if by_order else lien_client.propose
    lien_id = fn(
        suite[LIEN_REGISTRY],
        parcel_id,
        subject,
        units,
        parse_document(evidence, "--evidence"),
        sender=sender,
        transact=send,
    )
    console.print(f"lien id {lien_id}" + ("" if by_order else " (awaiting the owner's consent)"))


@command(liens, "consent")
@click.argument("lien_id", type=UINT256)
@click.option(
    "--sale", "sale_id", type=UINT256, default=None,
    help="As lienholder: consent to this sale instead.",
)  # fmt: skip
@click.option(
    "--keep",
    is_flag=True,
    help="With --sale: the lien stays on the parcel (default: discharged at closing).",
)
def liens_consent(
    account_alias: str, manifest_file: Path | None, lien_id: int, sale_id: int | None, keep: bool
) -> None:
    """The owner consents to a proposed lien; with --sale, the lienholder answers a proposed
    sale (binding once the buyer accepts)."""
    suite, sender = suite_and_signer(manifest_file, account_alias)
    if sale_id is None:
        lien_client.consent(suite[LIEN_REGISTRY], lien_id, sender=sender, transact=send)
    else:
        lien_client.consent_to_sale(
            suite[LIEN_REGISTRY], lien_id, sale_id, not keep, sender=sender, transact=send
        )


@command(liens, "release")
@click.argument("lien_id", type=UINT256)
@evidence_option(
    f"Registrar: the court order ({DOCUMENT_FORMS}).", dest="order", required=False, old="--order"
)
def liens_release(
    account_alias: str, manifest_file: Path | None, lien_id: int, order: str | None
) -> None:
    """The holder releases its lien; with --evidence (the court order) the registrar records a
    court-ordered release."""
    suite, sender = suite_and_signer(manifest_file, account_alias)
    if order is None:
        lien_client.release(suite[LIEN_REGISTRY], lien_id, sender=sender, transact=send)
    else:
        lien_client.order_release(
            suite[LIEN_REGISTRY],
            lien_id,
            parse_document(order, EVIDENCE),
            sender=sender,
            transact=send,
        )


@command(liens, "withdraw")
@click.argument("lien_id", type=UINT256)
def liens_withdraw(account_alias: str, manifest_file: Path | None, lien_id: int) -> None:
    """The lender withdraws (or the owner declines) a proposed lien."""
    sign_one(manifest_file, account_alias, LIEN_REGISTRY, lien_client.withdraw, lien_id)


@command(liens, "list", signs=False)
@click.argument("parcel")
def liens_list(manifest_file: Path | None, parcel: str) -> None:
    """Unreleased liens on a parcel."""
    suite = Suite(manifest_file)
    decimals = token_decimals(suite)
    table = Table("lien", "holder", "amount", "since", "by order", title=f"liens on {parcel}")
    parcel_id = known_parcel(suite, parcel)
    active = lien_client.active_on(suite[LIEN_REGISTRY], parcel_id)
    for lien in active:
        table.add_row(
            str(lien.lien_id), lien.holder, token_text(suite, lien.amount),
            format_time(lien.created_at, seconds=False), "yes" if lien.by_order else "no",
        )  # fmt: skip
    console.print(table)
    put(parcel=parcel, parcel_id=parcel_id, decimals=decimals, liens=active)
