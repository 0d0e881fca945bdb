"""`ape run admin data receipts-...|deletion-...`: what follows a delivery (issue #16) - access
receipts and deletion - registered on the `data` group.

    data receipts-record GRANT --payload DOC [--store DIR]      # one delivery, local leaf store
    data receipts-anchor --as ROLE --account A [--store DIR]   # the pending batch -> its root
    data receipts-verify LEAF [--store DIR]                    # exit 1 when it does not verify
    data receipts-list --subject S [--store DIR]               # who accessed S's data, verified
    data deletion-ask|deletion-confirm|deletion-status GRANT  # the subject's erasure request

The leaf store (SQLite, `civic_ledger.data.receipts.LeafStore`) is the anchoring agency's:
--store, else $CIVIC_RECEIPTS_DIR, else ~/.local/share/civic-ledger/receipts. A receipt holds
a grant id, the grant's subject commitment (or zero), a payload hash and a time: no personal
data. Anchoring seals the pending receipts into a batch in the store first, then checks the
chain for each unanchored root before sending it (`anchor_pending`): a run interrupted between
broadcast and receipt, run again, finds the root anchored and does not send it twice.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from civic_ledger.cli.access import ROLE, role_name
from civic_ledger.cli.common import (
    DOCUMENT_FORMS,
    EVIDENCE,
    Suite,
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
from civic_ledger.cli.data import (
    ID,
    data,
    exchange_of,
    hexed,
    known_grant,
    now,
    optional_document,
    subject_option,
)
from civic_ledger.cli.output import console, print_rows, put, send
from civic_ledger.core.encoding import format_time
from civic_ledger.core.names import DATA_EXCHANGE
from civic_ledger.data import client as data_client
from civic_ledger.data import receipts as rc
from civic_ledger.identity.client import parse_bytes32

DEFAULT_STORE = Path("~/.local/share/civic-ledger/receipts")


def store_option(func: Any) -> Any:
    return path_option(
        "--store", "store_dir", file_only=False, default=None,
        help="Leaf store directory (default: $CIVIC_RECEIPTS_DIR, else "
        "~/.local/share/civic-ledger/receipts).",
    )(func)  # fmt: skip


def open_store(store_dir: Path | None) -> rc.LeafStore:
    directory = store_dir or Path(os.environ.get("CIVIC_RECEIPTS_DIR") or DEFAULT_STORE)
    directory = directory.expanduser()
    if directory.exists() and not directory.is_dir():
        raise click.BadParameter(f"{directory} is not a directory", param_hint="--store")
    try:
        return rc.LeafStore(directory)
    except (OSError, rc.sqlite3.Error) as exc:
        raise click.BadParameter(f"{directory}: {exc}", param_hint="--store") from None


@command(data, "receipts-record", signs=False)
@click.argument("grant_id", type=ID)
@click.option("--payload", required=True, help=f"What was delivered ({DOCUMENT_FORMS}).")
@click.option("--at", "delivered_at", type=click.IntRange(1, 2**64 - 1), default=None,
              help="Delivery time, unix seconds (default: the latest block's).")  # fmt: skip
@store_option
def receipts_record(
    manifest_file: Path | None, grant_id: int, payload: str, delivered_at: int | None,
    store_dir: Path | None,
) -> None:  # fmt: skip
    """Record one delivery under a live grant in the local leaf store (nothing is sent: the
    pending receipts are anchored together by `receipts-anchor`)."""
    suite = Suite(manifest_file)
    exchange = exchange_of(suite)
    view = known_grant(exchange, grant_id)
    receipt = rc.Receipt(
        grant_id, bytes(view.subject), parse_document(payload, "--payload"),
        delivered_at or now(suite),
    )  # fmt: skip
    leaf = rc.record_delivery(exchange, open_store(store_dir), receipt)
    console.print(f"receipt {hexed(leaf)} recorded (pending anchoring)")
    put(leaf=hexed(leaf), grant_id=grant_id, delivered_at=receipt.delivered_at)


@command(data, "receipts-anchor")
@click.option("--as", "agency_role", type=ROLE, required=True,
              help="The anchoring agency's role (a party of every grant in the batch).")  # fmt: skip
@click.option("--max-batch", type=click.IntRange(1, rc.MAX_BATCH), default=10_000,
              show_default=True, help="Receipts per batch (one transaction each).")  # fmt: skip
@store_option
def receipts_anchor(
    account_alias: str, manifest_file: Path | None, agency_role: int, max_batch: int,
    store_dir: Path | None,
) -> None:  # fmt: skip
    """Seal the pending receipts into batches and anchor each Merkle root (DATA_RECEIPTS
    signs); a root the chain already holds is not sent again."""
    suite, sender = suite_and_signer(manifest_file, account_alias)
    store = open_store(store_dir)
    if not store.pending() and not store.unanchored():
        raise click.ClickException(f"no pending receipts in {store.path.parent}")
    roots = rc.anchor_pending(exchange_of(suite), store, agency_role, sender=sender,
                              transact=send, max_batch=max_batch)  # fmt: skip
    for root in roots:
        console.print(f"batch {hexed(root)} anchored")
    put(roots=[hexed(r) for r in roots])


@command(data, "receipts-verify", signs=False)
@click.argument("leaf")
@store_option
def receipts_verify(manifest_file: Path | None, leaf: str, store_dir: Path | None) -> None:
    """Verify one receipt (its leaf, as printed by receipts-record) against the chain: in an
    anchored batch, accepted by verifyReceipt, anchored by a party of its grant. Exit 1 if not."""
    exchange = exchange_of(Suite(manifest_file))
    value = parse_param(parse_bytes32, leaf, "LEAF")
    store = open_store(store_dir)
    receipt = store.find(value)
    if receipt is None:
        raise click.ClickException(f"no receipt {hexed(value)} in {store.path}")
    ok = rc.verify(exchange, store, receipt)
    root = store.root_of(receipt)
    print_rows([("receipt", hexed(value)), ("grant", str(receipt.grant_id)),
                ("delivered", format_time(receipt.delivered_at)),
                ("batch", hexed(root) if root else "- (not anchored yet)"),
                ("verified", "yes" if ok else "NO")])  # fmt: skip
    put(leaf=hexed(value), receipt=receipt, root=hexed(root) if root else None, verified=ok)
    if not ok:
        raise click.exceptions.Exit(1)


@command(data, "receipts-list", signs=False)
@subject_option
@store_option
def receipts_list(manifest_file: Path | None, subject: str, store_dir: Path | None) -> None:
    """Every receipt about a subject in the store, each verified against the chain: which
    agency received what, under which grant and purpose, when."""
    suite = Suite(manifest_file)
    exchange = exchange_of(suite)
    subject_id = identity_subject(suite, subject, "--subject")
    rows = []
    table = Table("delivered", "grant", "resource", "recipient", "purpose", "verified",
                  title=f"access receipts about {hexed(subject_id)}")  # fmt: skip
    for receipt, ok in rc.receipts_about(exchange, open_store(store_dir), subject_id):
        view = exchange.requestOf(receipt.grant_id)
        row = {
            "grant_id": receipt.grant_id,
            "resource_id": int(view.resourceId),
            "recipient_role": int(view.recipientRole),
            "recipient": role_name(int(view.recipientRole)),
            "purpose": int(view.purpose),
            "delivered_at": receipt.delivered_at,
            "payload_hash": hexed(receipt.payload_hash),
            "verified": ok,
        }
        rows.append(row)
        table.add_row(format_time(receipt.delivered_at), str(receipt.grant_id),
                      str(row["resource_id"]), str(row["recipient"]), str(row["purpose"]),
                      "yes" if ok else "NO")  # fmt: skip
    console.print(table)
    put(subject=hexed(subject_id), receipts=rows)


# ------------------------------------------------------------------------------ deletion


@command(data, "deletion-ask")
@click.argument("grant_id", type=ID)
@reason_option(f"Why deletion is asked ({DOCUMENT_FORMS}).", required=False)
def deletion_ask(
    account_alias: str, manifest_file: Path | None, grant_id: int, reason: str | None
) -> None:
    """Ask the recipient to delete what it received under a grant (the subject's controller,
    for a consent-based grant, or the owner's steward)."""
    due = sign_one(manifest_file, account_alias, DATA_EXCHANGE, data_client.request_deletion,
                   grant_id, optional_document(reason, EVIDENCE))  # fmt: skip
    console.print(f"deletion under grant {grant_id} due by {format_time(due)}")
    put(grant_id=grant_id, due_at=due)


@command(data, "deletion-confirm")
@click.argument("grant_id", type=ID)
@evidence_option(f"Deletion evidence ({DOCUMENT_FORMS}).", required=False)
def deletion_confirm(
    account_alias: str, manifest_file: Path | None, grant_id: int, evidence: str | None
) -> None:
    """The recipient confirms it deleted the data (late confirmations are marked overdue)."""
    overdue = sign_one(manifest_file, account_alias, DATA_EXCHANGE, data_client.confirm_deletion,
                       grant_id, optional_document(evidence, EVIDENCE))  # fmt: skip
    console.print(f"deletion under grant {grant_id} confirmed" + (" (overdue)" if overdue else ""))
    put(grant_id=grant_id, overdue=overdue)


@command(data, "deletion-status", signs=False)
@click.argument("grant_id", type=ID)
def deletion_status(manifest_file: Path | None, grant_id: int) -> None:
    """A grant's deletion: asked, due, confirmed, overdue."""
    exchange = exchange_of(Suite(manifest_file))
    known_grant(exchange, grant_id)
    d = exchange.deletionOf(grant_id)
    requested, due, confirmed = int(d.requestedAt), int(d.dueAt), int(d.confirmedAt)
    overdue = bool(exchange.deletionOverdue(grant_id)) or (confirmed > due > 0)
    state = ("not asked" if not requested else "confirmed" if confirmed else
             "OVERDUE" if overdue else "open")  # fmt: skip
    print_rows([("grant", str(grant_id)), ("deletion", state),
                ("asked", format_time(requested)), ("due", format_time(due)),
                ("confirmed", format_time(confirmed)), ("overdue", "yes" if overdue else "no")])  # fmt: skip
    put(grant_id=grant_id, state=state.lower(), requested_at=requested, due_at=due,
        confirmed_at=confirmed, overdue=overdue)  # fmt: skip
