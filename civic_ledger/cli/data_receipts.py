"""`ape run admin data receipts-...|deletion-...`: what follows a delivery (issue #16) - access
receipts and deletion - registered on the `data` group.

    data receipts-record GRANT --payload DOC [--store DIR]      # one delivery, local leaf store
    data receipts-anchor --as ROLE --account A [--store DIR]   # the pending batch -> its root
    data receipts-verify LEAF [--store DIR]                    # exit 1 when it does not verify
    data receipts-list --subject S [--store DIR]               # who accessed S's data, verified
    data receipts-publish [ROOT...] --gateway URL --account A  # anchored batches -> a gateway
    data deletion-ask|deletion-confirm|deletion-status GRANT  # the subject's erasure request

The leaf store (SQLite, `civic_ledger.data.receipts.LeafStore`) is the anchoring agency's:
--store, else $CIVIC_RECEIPTS_DIR, else ~/.local/share/civic-ledger/receipts. A receipt holds
a grant id, the grant's subject commitment (or zero), a payload hash and a time: no personal
data. Anchoring seals the pending receipts into a batch in the store first, then checks the
chain for each unanchored root before sending it (`anchor_pending`): a run interrupted between
broadcast and receipt, run again, finds the root anchored and does not send it twice.
Publishing gives a gateway an anchored batch's receipts with their Merkle proofs (signed in
with the anchoring account's challenge signature; nothing is sent to the chain), so the subject
sees each receipt about them on the portal, verified against the root the gateway indexed.
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
    Suite,
    chain_time,
    command,
    identity_subject,
    parse_document,
    parse_param,
    path_option,
    suite_and_signer,
)
from civic_ledger.cli.data import (
    ID,
    data,
    document_act,
    exchange_of,
    hexed,
    subject_option,
)
from civic_ledger.cli.output import console, print_rows, put, send
from civic_ledger.core.encoding import format_time, to_bytes32
from civic_ledger.data import client as data_client
from civic_ledger.data import receipts as rc

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
    view = data_client.grant(exchange, grant_id)
    receipt = rc.Receipt(
        grant_id, bytes(view.subject), parse_document(payload, "--payload"),
        delivered_at or chain_time(),
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
    value = parse_param(to_bytes32, leaf, "LEAF")
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


PUBLISH_CHUNK = 1_000  # receipts per request (the gateway takes at most 5,000)
GATEWAY_ENV = "CIVIC_GATEWAY_URL"


@command(data, "receipts-publish")
@click.argument("roots", metavar="[ROOT]...", nargs=-1)
@click.option("--gateway", "gateway_url", envvar=GATEWAY_ENV, required=True,
              help="The gateway's address, e.g. https://gateway.city.example (env "
              "CIVIC_GATEWAY_URL).")  # fmt: skip
@store_option
def receipts_publish(
    account_alias: str, manifest_file: Path | None, roots: tuple[str, ...], gateway_url: str,
    store_dir: Path | None,
) -> None:  # fmt: skip
    """Publish anchored batches' receipts, each with its Merkle proof, to a gateway (every
    batch the store saw anchored when no ROOT is given), signed in as --account: the account
    that anchored them. The gateway checks each receipt against the root it indexed and shows
    the subject the receipts about them. Nothing is sent to the chain."""
    suite, signer = suite_and_signer(manifest_file, account_alias)
    base = _gateway_url(gateway_url)
    store = open_store(store_dir)
    chosen = [parse_param(to_bytes32, r, "ROOT") for r in roots] or store.anchored_roots()
    if not chosen:
        raise click.ClickException(f"no anchored batch in {store.path.parent}")
    exchange = exchange_of(suite)
    batches = []
    for root in dict.fromkeys(bytes(r) for r in chosen):
        receipts = store.batch_receipts(root)
        if not receipts:
            raise click.ClickException(f"no batch {hexed(root)} in {store.path}")
        if int(exchange.batchOf(root).anchoredAt) == 0:
            raise click.ClickException(f"batch {hexed(root)} is not anchored on chain: run "
                                       "`data receipts-anchor` first")  # fmt: skip
        batches.append((root, receipts))
    token = _sign_in(base, signer, int(exchange.provider.chain_id))
    published = []
    for root, receipts in batches:
        tree = rc.MerkleTree([r.leaf for r in receipts])
        new = 0
        for start in range(0, len(receipts), PUBLISH_CHUNK):
            body = {
                "receipts": [rc.published(r, tree) for r in receipts[start : start + PUBLISH_CHUNK]]
            }
            answer = _post(base, f"/api/v1/receipts/batches/{hexed(root)}", body, token)
            new += int(answer.get("stored", 0))
        console.print(f"batch {hexed(root)}: {len(receipts)} receipts published ({new} new)")
        published.append({"root": hexed(root), "receipts": len(receipts), "new": new})
    put(gateway=base, batches=published)


def _gateway_url(text: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise click.BadParameter(f"{text!r} is not a gateway address (http[s]://host[:port])",
                                 param_hint="--gateway")  # fmt: skip
    return text.strip().rstrip("/")


def _post(base: str, path: str, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    """POST `body` as JSON to the gateway; its answer, or one line saying why not."""
    import requests

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = requests.post(base + path, json=body, headers=headers, timeout=60)
    except requests.RequestException as exc:
        raise click.ClickException(
            f"cannot reach the gateway at {base}: {type(exc).__name__}"
        ) from None
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise click.ClickException(f"{base} answered {response.status_code} without a gateway's "
                                   "JSON: is it a civic-ledger gateway?")  # fmt: skip
    if response.status_code >= 400:
        reason = " ".join(str(answer.get("error", "refused")).split())[:300]
        raise click.ClickException(f"the gateway refused ({response.status_code}): {reason}")
    return answer


def _sign_in(base: str, signer: Any, chain_id: int) -> str:
    """A gateway session for `signer`: its challenge checked (a gateway's, for this address
    and this chain) and signed (EIP-191)."""
    from civic_ledger.core.exceptions import AuthError
    from civic_ledger.gateway.auth import challenge_fields, sign_challenge

    address = str(signer.address)
    text = str(_post(base, "/api/v1/auth/challenge", {"address": address}).get("challenge", ""))
    try:
        fields = challenge_fields(text)
    except AuthError as exc:
        raise click.ClickException(f"{base} sent no gateway challenge: {exc}") from None
    if fields.address != address.lower() or fields.chain_id != chain_id:
        raise click.ClickException(f"{base} asked to sign for {fields.address} on chain "
                                   f"{fields.chain_id}, not {address} on chain {chain_id}: refused")  # fmt: skip
    signature = sign_challenge(signer, text)
    if signature is None:
        raise click.ClickException(f"account {address} did not sign")
    session = _post(base, "/api/v1/auth/session", {"address": address, "signature": signature})
    return str(session.get("token", ""))


# ------------------------------------------------------------------------------ deletion


@document_act("deletion-ask", "grant_id", data_client.request_deletion,
              f"Why deletion is asked ({DOCUMENT_FORMS}).", reason=True)  # fmt: skip
def deletion_ask(grant_id: int, due: int) -> None:
    """Ask the recipient to delete what it received under a grant (the subject's controller,
    for a consent-based grant, or the owner's steward)."""
    console.print(f"deletion under grant {grant_id} due by {format_time(due)}")
    put(grant_id=grant_id, due_at=due)


@document_act("deletion-confirm", "grant_id", data_client.confirm_deletion,
              f"Deletion evidence ({DOCUMENT_FORMS}).")  # fmt: skip
def deletion_confirm(grant_id: int, overdue: bool) -> None:
    """The recipient confirms it deleted the data (late confirmations are marked overdue)."""
    console.print(f"deletion under grant {grant_id} confirmed" + (" (overdue)" if overdue else ""))
    put(grant_id=grant_id, overdue=overdue)


@command(data, "deletion-status", signs=False)
@click.argument("grant_id", type=ID)
def deletion_status(manifest_file: Path | None, grant_id: int) -> None:
    """A grant's deletion: asked, due, confirmed, overdue."""
    exchange = exchange_of(Suite(manifest_file))
    data_client.grant(exchange, grant_id)  # an unknown id is refused first
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
