"""`ape run admin titles ...`: the land registry at work: register, import, sell, split and
merge parcels (accounts, parcels, identities and documents as every command takes them:
`civic_ledger.cli`).
"""

from __future__ import annotations

from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand, network_option
from rich.table import Table

from civic_ledger.bulk import parcels as bulk
from civic_ledger.cli.common import (
    DOCUMENT_FORMS,
    EVIDENCE,
    UINT256,
    Suite,
    command,
    encoding_option,
    identity_subject,
    json_option,
    known_parcel,
    load_account,
    manifest_option,
    parse_document,
    parse_param,
    path_option,
    reason_option,
    reporting,
    sign_one,
    suite_and_signer,
    token_amount,
    token_text,
    uint,
    yes_option,
)
from civic_ledger.cli.imports import ImportOptions, import_options, run_import
from civic_ledger.cli.output import console, put, send
from civic_ledger.core.encoding import check_code, format_time, hex32, to_bytes32
from civic_ledger.core.names import IDENTITY_REGISTRY, LIEN_REGISTRY, PROPERTY_TAX, TITLE_REGISTRY
from civic_ledger.property import liens as lien_client
from civic_ledger.property import tax as tax_client
from civic_ledger.property import titles as title_client
from civic_ledger.property.views import (
    encumbrance_summary,
    parcel_rows,
    split_children,
)


def _code(value: str, hint: str = "--code") -> str:
    try:
        return check_code(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=hint) from None


@click.group()
def titles() -> None:
    """Land titles: register, import, inspect, sell, split and merge parcels."""


@command(titles, "register")
@click.option("--owner", required=True, help="Owner identity (bytes32 or controller address).")
@click.option("--code", required=True, help="Cadastral code (the parcel id is its keccak256).")
@click.option("--document", required=True, help=f"Survey document ({DOCUMENT_FORMS}).")
@click.option("--area", type=uint(128, low=1), required=True, help="Area in m².")
@click.option("--land-use", type=uint(32), default=1, show_default=True)
def titles_register(
    account_alias: str, manifest_file: Path | None, owner: str, code: str, document: str,
    area: int, land_use: int,
) -> None:  # fmt: skip
    """Register one parcel (registrar). The survey document is addressed by its hash: no URI
    goes on chain (`tokenURI` is the admin's base URI + the parcel id)."""
    suite, sender = suite_and_signer(manifest_file, account_alias)
    subject = identity_subject(suite, owner, "--owner")
    code, doc_hash = _code(code), parse_document(document, "--document")
    parcel_id = title_client.register(
        suite[TITLE_REGISTRY], subject, code, doc_hash, area, land_use,
        sender=sender, transact=send,
    )  # fmt: skip
    console.print(f"parcel id {parcel_id} (0x{parcel_id:064x})")


@command(titles, "show", signs=False)
@click.argument("parcel")
def titles_show(manifest_file: Path | None, parcel: str) -> None:
    """Show a parcel: owner, holder, data, open sale, liens, unpaid tax."""
    suite = Suite(manifest_file)
    info = title_client.show(suite[TITLE_REGISTRY], known_parcel(suite, parcel))
    liens = lien_client.active_on(suite[LIEN_REGISTRY], info.parcel_id)
    unpaid = tax_client.status(suite[PROPERTY_TAX], info.parcel_id)
    table = Table(show_header=False, box=None)
    for key, value in parcel_rows(info, liens, unpaid):
        table.add_row(f"[bold]{key}[/]", value)
    console.print(table)
    put(cadastral_code=parcel, parcel=info, liens=liens, tax=unpaid)


@command(titles, "history", signs=False)
@click.argument("parcel")
def titles_history(manifest_file: Path | None, parcel: str) -> None:
    """Chain of titles of a parcel, and the parcels it was split or merged from."""
    suite = Suite(manifest_file)
    registry = suite[TITLE_REGISTRY]
    parcel_id = known_parcel(suite, parcel)
    table = Table("#", "owner identity", "since", "how", "sale")
    entries = title_client.history(registry, parcel_id)
    put(cadastral_code=parcel, parcel_id=parcel_id, history=entries,
        lineage=title_client.lineage(registry, parcel_id))  # fmt: skip
    for index, entry in enumerate(entries):
        table.add_row(
            str(index), entry.owner, format_time(entry.since, seconds=False), entry.cause.name.lower(),
            str(entry.sale_id or "-"),
        )  # fmt: skip
    console.print(table)
    for depth, ancestor in title_client.lineage(registry, parcel_id):
        console.print(f"{'  ' * depth}↳ from parcel {ancestor}")


@command(titles, "propose")
@click.argument("parcel")
@click.option("--buyer", required=True, help="Buyer identity (bytes32 or controller address).")
@click.option("--price", required=True, help="Agreed price in tokens (e.g. 1250000.00).")
@click.option("--deed", required=True, help=f"Signed deed ({DOCUMENT_FORMS}).")
def titles_propose(
    account_alias: str, manifest_file: Path | None, parcel: str, buyer: str, price: str, deed: str
) -> None:
    """The owner offers a parcel to a buyer."""
    suite, sender = suite_and_signer(manifest_file, account_alias)
    parcel_id, buyer_subject = (
        known_parcel(suite, parcel),
        identity_subject(suite, buyer, "--buyer"),
    )
    units, deed_hash = token_amount(suite, price, "--price"), parse_document(deed, "--deed")
    sale_id = title_client.propose(
        suite[TITLE_REGISTRY], parcel_id, buyer_subject, units, deed_hash,
        sender=sender, transact=send,
    )  # fmt: skip
    console.print(f"sale id {sale_id}")


@command(titles, "accept")
@click.argument("sale_id", type=UINT256)
@click.option(
    "--encumbrance",
    "encumbrance_hash",
    default=None,
    metavar="0xHASH",
    help="The encumbrance hash you reviewed (`titles sale` shows it); refused if the liens or "
    "their answers changed since. Default: the state read now (shown before sending).",
)
def titles_accept(
    account_alias: str, manifest_file: Path | None, sale_id: int, encumbrance_hash: str | None
) -> None:
    """The buyer accepts a proposed sale with the liens and answers shown."""
    expected = (
        None
        if encumbrance_hash is None
        else parse_param(to_bytes32, encumbrance_hash, "--encumbrance")
    )
    suite = Suite(manifest_file)
    registry, lien_registry = suite[TITLE_REGISTRY], suite[LIEN_REGISTRY]
    sender = load_account(account_alias)
    title_client.sale(registry, sale_id)  # "sale N does not exist" before anything else
    state = lien_client.encumbrance(lien_registry, sale_id)
    reviewed = expected is None or expected == state.hash
    _print_encumbrance(
        suite,
        state,
        "you are accepting" if reviewed else "current state (not the one you reviewed)",
    )
    title_client.accept(
        registry, lien_registry, sale_id, sender=sender,
        encumbrance_hash=state.hash if expected is None else expected, transact=send,
    )  # fmt: skip
    console.print(f"accepted: {encumbrance_summary(state)}")


def _print_encumbrance(suite: Suite, state: lien_client.Encumbrance, title: str) -> None:
    """The liens of the sale's parcel and each holder's answer, with the encumbrance hash."""
    console.print(f"  {title}: encumbrance {hex32(state.hash)}")
    if not state.items:
        console.print("  no liens on the parcel")
        return
    table = Table("lien", "holder", "amount", "answer to this sale", box=None)
    for item in state.items:
        table.add_row(
            f"#{item.lien_id}", hex32(item.holder),
            token_text(suite, item.amount), item.answer,
        )  # fmt: skip
    console.print(table)


@command(titles, "approve")
@click.argument("sale_id", type=UINT256)
def titles_approve(account_alias: str, manifest_file: Path | None, sale_id: int) -> None:
    """The registrar approves an accepted sale: the title moves to the buyer."""
    suite = Suite(manifest_file)
    title_client.approve(
        suite[TITLE_REGISTRY], sale_id, sender=load_account(account_alias), transact=send,
        liens=suite[LIEN_REGISTRY],
    )  # fmt: skip


@command(titles, "cancel")
@click.argument("sale_id", type=UINT256)
def titles_cancel(account_alias: str, manifest_file: Path | None, sale_id: int) -> None:
    """Seller or buyer withdraws from a sale before approval."""
    sign_one(manifest_file, account_alias, TITLE_REGISTRY, title_client.cancel, sale_id)


@command(titles, "reject")
@click.argument("sale_id", type=UINT256)
@reason_option(f"The written decision ({DOCUMENT_FORMS}).")
def titles_reject(
    account_alias: str, manifest_file: Path | None, sale_id: int, reason: str
) -> None:
    """The registrar refuses a sale."""
    reason_hash = parse_document(reason, EVIDENCE)
    sign_one(
        manifest_file, account_alias, TITLE_REGISTRY, title_client.reject, sale_id, reason_hash
    )


@command(titles, "sale", signs=False)
@click.argument("sale_id", type=UINT256)
def titles_sale(manifest_file: Path | None, sale_id: int) -> None:
    """Show a sale and what (if anything) blocks its approval."""
    suite = Suite(manifest_file)
    registry = suite[TITLE_REGISTRY]
    info = title_client.sale(registry, sale_id)
    console.print(
        f"sale {info.sale_id}: parcel {info.parcel_id} · {info.state.name.lower()}\n"
        f"  seller {info.seller}\n  buyer  {info.buyer}\n"
        f"  price {token_text(suite, info.price)} · deed {info.deed_hash}"
    )
    if info.state is title_client.SaleState.ACCEPTED:
        console.print(f"  accepted encumbrance {info.encumbrance_hash}")
    if info.state in (title_client.SaleState.PROPOSED, title_client.SaleState.ACCEPTED):
        state = lien_client.encumbrance(suite[LIEN_REGISTRY], sale_id)
        _print_encumbrance(suite, state, "current liens and answers")
        blockers = title_client.readiness(registry, sale_id, suite[LIEN_REGISTRY]).blockers
        console.print(
            "  [green]ready for approval[/]"
            if not blockers
            else "  [yellow]blocked:[/] " + "; ".join(blockers)
        )


@command(titles, "split")
@click.argument("parcel")
@click.option(
    "--child",
    "children",
    multiple=True,
    required=True,
    metavar="CODE=AREA",
    help="A new parcel and its area in m² (repeat; areas must add up).",
)
@click.option("--survey", required=True, help=f"Subdivision survey ({DOCUMENT_FORMS}).")
@click.option(
    "--land-use", type=uint(32), default=None, help="Land use of the children (default: parent's)."
)
def titles_split(
    account_alias: str, manifest_file: Path | None, parcel: str, children: tuple[str, ...],
    survey: str, land_use: int | None,
) -> None:  # fmt: skip
    """Split a parcel (registrar)."""
    parsed = parse_param(split_children, children, "--child")
    suite = Suite(manifest_file)
    sender, parent = load_account(account_alias), known_parcel(suite, parcel)
    ids = title_client.split(
        suite[TITLE_REGISTRY], parent, parsed,
        parse_document(survey, "--survey"), land_use, sender=sender, transact=send,
    )  # fmt: skip
    for (code, _), pid in zip(parsed, ids, strict=True):
        console.print(f"  {code}: parcel {pid}")


@command(titles, "merge")
@click.argument("parcels", nargs=-1, required=True)
@click.option("--code", required=True, help="Cadastral code of the merged parcel.")
@click.option("--survey", required=True, help=f"Survey attesting adjacency ({DOCUMENT_FORMS}).")
@click.option("--land-use", type=uint(32), default=None)
def titles_merge(
    account_alias: str, manifest_file: Path | None, parcels: tuple[str, ...], code: str,
    survey: str, land_use: int | None,
) -> None:  # fmt: skip
    """Merge adjacent parcels of one owner (registrar)."""
    suite = Suite(manifest_file)
    sender, ids = load_account(account_alias), [known_parcel(suite, p, "PARCELS") for p in parcels]
    if len(set(ids)) != len(ids):
        raise click.BadParameter("a parcel is given twice", param_hint="PARCELS")
    merged = title_client.merge(
        suite[TITLE_REGISTRY], ids, _code(code), parse_document(survey, "--survey"), land_use,
        sender=sender, transact=send,
    )  # fmt: skip
    console.print(f"merged parcel id {merged}")


@command(titles, "set-base-uri")
@click.argument("base_uri")
def titles_set_base_uri(account_alias: str, manifest_file: Path | None, base_uri: str) -> None:
    """Set the base of every title's token URI (admin): tokenURI = BASE_URI + parcel id in
    0x-hex; an empty BASE_URI makes every token URI empty."""
    base_uri = parse_param(title_client.check_base_uri, base_uri, "BASE_URI")
    sign_one(manifest_file, account_alias, TITLE_REGISTRY, title_client.set_base_uri, base_uri)
    console.print(
        f"token URIs: {base_uri}0x<parcel id, 64 hex digits>" if base_uri else "token URIs: empty"
    )


@command(titles, "sync")
@click.argument("parcel")
def titles_sync(account_alias: str, manifest_file: Path | None, parcel: str) -> None:
    """Move a title token to its owner identity's current controller wallet."""
    suite = Suite(manifest_file)
    sender = load_account(account_alias)
    title_client.sync_holder(
        suite[TITLE_REGISTRY], known_parcel(suite, parcel), sender=sender, transact=send
    )


@command(titles, "import")
@import_options(bulk.ParcelJob, default_batch=bulk.DEFAULT_BATCH)
def titles_import(
    account_alias: str, manifest_file: Path | None, csv_file: Path, options: ImportOptions
) -> None:
    """Register the parcels of a CSV in batches; resumable, idempotent (registrar).

    Columns: cadastral_code,owner,data_hash,area_m2,land_use (header required; other columns
    are ignored). The whole file is validated first, and compared with the chain (a parcel
    already there with other data, an owner that is not an active identity): unless
    --skip-bad-rows is given, any bad row refuses the file before a single transaction is
    sent. Bad rows are written to the rejects file with their line and reason: fix them there
    and import that file."""
    suite = Suite(manifest_file)
    sender = None if options.check_only else load_account(account_alias)
    rows, bad = bulk.read_parcels_csv(csv_file, encoding=options.encoding)
    job = bulk.ParcelJob(suite[TITLE_REGISTRY], suite[IDENTITY_REGISTRY])
    run_import(job, rows, bad, csv_file=csv_file, sender=sender, options=options, noun="parcels")


@titles.command("sample-csv", cls=ConnectedProviderCommand)
@network_option()
@manifest_option
@click.option("--count", type=click.IntRange(1, 1_000_000), default=1000, show_default=True)
@click.option("--owners", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--bad-rows", type=click.IntRange(0, 1_000), default=0, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--prefix", default="BJ", show_default=True, help="Cadastral code prefix.")
@path_option("--out", default=Path("parcels.csv"), show_default=True, help=None)
@encoding_option("the written CSV files")
@click.option(
    "--register-owners",
    is_flag=True,
    help="Register the sample owners (identity office --account).",
)
@click.option(
    "--account", "account_alias", default=None, metavar="ALIAS", help="Identity office account."
)
@yes_option
@json_option
@reporting(titles, "sample-csv")
def titles_sample_csv(
    manifest_file: Path | None, count: int, owners: int, bad_rows: int, seed: int, prefix: str,
    out: Path, encoding: str, register_owners: bool, account_alias: str | None,
) -> None:  # fmt: skip
    """Write a sample parcel CSV (development data) and optionally register its owners."""
    from civic_ledger.bulk import sample

    _code(prefix, "--prefix")
    people = sample.sample_owners(owners)
    bad = sample.write_sample_csv(
        out, count, people, seed=seed, bad_rows=bad_rows, prefix=prefix, encoding=encoding
    )
    sample.write_owners_csv(sample.owners_path_for(out), people, encoding=encoding)
    console.print(
        f"wrote {count + len(bad):,} rows to {out}" + (f" (bad rows on lines {bad})" if bad else "")
    )
    if register_owners:
        if account_alias is None:
            raise click.UsageError("--register-owners needs --account (the identity office)")
        suite = Suite(manifest_file)
        added = sample.register_sample_owners(
            suite[IDENTITY_REGISTRY], people, load_account(account_alias)
        )
        console.print(
            f"registered {added} sample owner identities ({owners - added} already known)"
        )
