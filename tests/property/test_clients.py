"""Client helpers and admin commands: a full sale with a mortgage and tax, driven the way an
agency would (argument parsing, readable refusals), plus the CLI itself through click."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import click
import pytest
from ape import accounts as ape_accounts
from click.testing import CliRunner
from eth_utils import keccak

from civic_ledger.cli import tax as tax_cli
from civic_ledger.cli import titles as titles_cli
from civic_ledger.core.documents import document_hash
from civic_ledger.core.encoding import parcel_id_of, parse_parcel, to_bytes32
from civic_ledger.identity.client import resolve_subject
from civic_ledger.property import liens as lien_client
from civic_ledger.property import tax as tax_client
from civic_ledger.property import titles as title_client

from .helpers import DAY

TOKEN = 10**18


def test_argument_parsing(tmp_path: Path):
    assert parse_parcel("42") == 42
    assert parse_parcel("0x" + "00" * 31 + "2a") == 42
    assert parse_parcel("BJ-1") == parcel_id_of("BJ-1")
    doc = tmp_path / "deed.pdf"
    doc.write_bytes(b"%PDF deed")
    assert document_hash(f"@{doc}") == keccak(b"%PDF deed")
    assert document_hash("case 17") == keccak(text="case 17")
    assert document_hash("0x" + "ab" * 32) == b"\xab" * 32
    assert title_client.to_units("1250.5") == 1250_5 * 10**17
    assert title_client.from_units(1250_5 * 10**17) == "1250.5"
    with pytest.raises(ValueError):
        title_client.to_units("0.0000000000000000001")
    with pytest.raises(ValueError):
        to_bytes32("0x1234")
    now = 1_700_000_000
    assert tax_client.parse_due("2027-03-31", now) == 1806537599  # 2027-03-31T23:59:59Z
    assert tax_client.parse_due(" 1700000001 ", now) == 1700000001
    for junk, why in [
        ("next spring", "expected YYYY-MM-DD or unix seconds"),
        ("\u0661\u0667" + "\u0660" * 7 + "\u0661", "expected YYYY-MM-DD"),  # Arabic-Indic digits
        ("1700000000", "is not in the future"),
        ("2023-01-01", "is not in the future"),
        (str(2**64), "too far in the future"),
    ]:
        with pytest.raises(ValueError, match=why):
            tax_client.parse_due(junk, now)


def test_full_sale_with_mortgage_and_tax_through_clients(
    suite, parties, registrar, assessor, fund, chain, identities, treasury, agency
):
    titles, liens, tax, token = (
        suite["TitleRegistry"], suite["LienRegistry"], suite["PropertyTax"], suite["CityToken"],
    )  # fmt: skip
    alice, bob, bank, bank2 = (parties[n] for n in ("alice", "bob", "bank", "bank2"))

    # by controller address, as an agency clerk would type it
    owner = resolve_subject(identities, alice.account.address)
    assert owner == alice.subject
    pid = title_client.register(
        titles, owner, "BJ-DC-9", keccak(text="survey"), 120, 1, sender=registrar
    )
    mortgage = lien_client.propose(
        liens, pid, bank.subject, 500 * TOKEN, keccak(text="loan"), sender=bank.account
    )
    lien_client.consent(liens, mortgage, sender=alice.account)
    tax_client.assess(
        tax, pid, 2026, 36 * TOKEN, chain.pending_timestamp + 30 * DAY, sender=assessor
    )
    fund(alice.account, 100 * TOKEN)
    tax_client.pay(tax, token, pid, 2026, sender=alice.account, permit=True)
    assert [a.status for a in tax_client.status(tax, pid, [2026])] == [tax_client.TaxStatus.PAID]

    sale_id = title_client.propose(
        titles, pid, bob.subject, 2500 * TOKEN, keccak(text="deed"), sender=alice.account
    )
    # the buyer cannot accept while the lender has not answered: refused before sending
    with pytest.raises(ValueError, match="cannot accept yet: lien #"):
        title_client.accept(titles, liens, sale_id, sender=bob.account)
    with pytest.raises(ValueError, match="lienholder has not answered"):
        title_client.approve(titles, sale_id, sender=registrar)
    seen = lien_client.encumbrance(liens, sale_id)
    assert seen.unanswered == [mortgage] and seen.hash == liens.saleEncumbranceHash(sale_id)
    lien_client.consent_to_sale(liens, mortgage, sale_id, sender=bank.account, discharge=True)
    # a buyer who reviewed the state before the answer must review again
    with pytest.raises(ValueError, match="changed since you reviewed"):
        title_client.accept(titles, liens, sale_id, sender=bob.account, encumbrance_hash=seen.hash)
    accepted = title_client.accept(titles, liens, sale_id, sender=bob.account)
    assert accepted.discharged == [mortgage] and accepted.kept == []
    assert accepted.hash == lien_client.encumbrance_hash(sale_id, pid, accepted.items)
    sale = title_client.sale(titles, sale_id)
    assert sale.encumbrance_hash == "0x" + accepted.hash.hex()
    assert title_client.readiness(titles, sale_id, liens).blockers == []
    # the lien registry paused: the registrar is told why before anything is sent
    liens.pause(sender=agency["emergency_guardian"])
    sent = registrar.nonce
    with pytest.raises(ValueError, match="lien registry is paused or closed"):
        title_client.approve(titles, sale_id, sender=registrar, liens=liens)
    assert registrar.nonce == sent
    liens.unpause(sender=agency["deployer"])
    title_client.approve(titles, sale_id, sender=registrar, liens=liens)

    info = title_client.show(titles, pid)
    assert (info.owner, info.holder) == ("0x" + bob.subject.hex(), bob.account.address)
    assert [e.cause for e in title_client.history(titles, pid)] == [
        title_client.TitleCause.REGISTRATION,
        title_client.TitleCause.SALE,
    ]
    assert lien_client.show(liens, mortgage).state is lien_client.LienState.RELEASED
    new_mortgage = lien_client.propose(
        liens, pid, bank2.subject, 2000 * TOKEN, keccak(text="loan 2"), sender=bank2.account
    )
    lien_client.consent(liens, new_mortgage, sender=bob.account)
    assert [lien.lien_id for lien in lien_client.active_on(liens, pid)] == [new_mortgage]
    assert token.balanceOf(treasury) >= 36 * TOKEN


def test_split_merge_and_lineage_through_clients(suite, parties, registrar):
    titles = suite["TitleRegistry"]
    alice = parties["alice"]
    parent = title_client.register(
        titles, alice.subject, "L-1", keccak(text="s"), 900, 3, sender=registrar
    )
    with pytest.raises(ValueError, match="add up"):
        title_client.split(
            titles, parent, [("L-1a", 500), ("L-1b", 300)], keccak(text="plan"), sender=registrar
        )
    a, b, c = title_client.split(
        titles,
        parent,
        [("L-1a", 500), ("L-1b", 300), ("L-1c", 100)],
        keccak(text="plan"),
        sender=registrar,
    )
    assert title_client.show(titles, a).land_use == 3
    merged = title_client.merge(titles, [b, c], "L-1bc", keccak(text="survey 2"), sender=registrar)
    assert title_client.show(titles, merged).area == 400
    assert title_client.lineage(titles, merged) == [(1, b), (1, c), (2, parent), (2, parent)]
    assert title_client.show(titles, parent).status is title_client.ParcelStatus.RETIRED


# ------------------------------------------------------------------ the click layer


@pytest.fixture
def run_cli(suite: Any) -> Any:
    """Runs `<group> <command> ...` through click on the test chain. The command is rebuilt as
    a plain click command (same callback and options, minus --network): Ape's connected-command
    wrapper disconnects the provider on exit, which would break the test chain's isolation."""
    runner = CliRunner()
    manifest = str(suite.manifest.path)

    def run(group: click.Group, name: str, *args: str) -> Any:
        command = group.commands[name]
        plain = click.Command(
            name,
            callback=command.callback,
            params=[p for p in command.params if p.name != "network"],
        )
        return runner.invoke(plain, [*args, "--manifest", manifest], catch_exceptions=False)

    return run


def test_cli_register_show_and_readable_refusal(run_cli, parties, suite):
    alice = parties["alice"]

    def register(account: str, code: str, document: str, area: str) -> Any:
        """`titles register` of a parcel owned by alice, signed by `account`."""
        owner = ("--owner", alice.account.address)
        return run_cli(
            titles_cli.titles, "register", "--account", account, *owner,
            "--code", code, "--document", document, "--area", area,
        )  # fmt: skip

    result = register("TEST::7", "CLI-1", "survey CLI-1", "250")
    assert result.exit_code == 0, result.output
    pid = parcel_id_of("CLI-1")
    assert suite["TitleRegistry"].ownerIdentityOf(pid) == alice.subject

    shown = run_cli(titles_cli.titles, "show", "CLI-1")
    assert shown.exit_code == 0 and "250 m²" in shown.output and "active" in shown.output

    # an outsider cannot register: one readable line, exit code 1
    refused = register("TEST::19", "CLI-2", "x", "1")
    assert refused.exit_code == 1
    assert "not authorised" in refused.output
    assert "Traceback" not in refused.output


def test_cli_accept_shows_the_encumbrance_and_takes_the_reviewed_hash(
    run_cli, parties, suite, registrar
):
    """`titles accept` prints the liens and answers the buyer accepts; `--encumbrance` pins the
    state the buyer reviewed (`titles sale` prints it) and is refused once it changed."""
    titles, liens = suite["TitleRegistry"], suite["LienRegistry"]
    alice, bob, bank = parties["alice"], parties["bob"], parties["bank"]
    pid = title_client.register(
        titles, alice.subject, "CLI-ACC", keccak(text="s"), 9, 1, sender=registrar
    )
    lien = lien_client.propose(
        liens, pid, bank.subject, 7 * TOKEN, keccak(text="l"), sender=bank.account
    )
    lien_client.consent(liens, lien, sender=alice.account)
    sale_id = title_client.propose(
        titles, pid, bob.subject, 1, keccak(text="d"), sender=alice.account
    )
    lien_client.consent_to_sale(liens, lien, sale_id, sender=bank.account, discharge=False)
    shown = run_cli(titles_cli.titles, "sale", str(sale_id))
    text = " ".join(shown.output.split())
    reviewed = "0x" + bytes(liens.saleEncumbranceHash(sale_id)).hex()
    assert shown.exit_code == 0 and reviewed in text and "stays with the land" in text
    lien_client.consent_to_sale(
        liens, lien, sale_id, sender=bank.account, discharge=True
    )  # moves on
    bob_alias = (
        f"TEST::{[a.address for a in ape_accounts.test_accounts].index(bob.account.address)}"
    )
    stale = run_cli(
        titles_cli.titles, "accept", str(sale_id), "--account", bob_alias, "--encumbrance", reviewed
    )
    assert stale.exit_code == 1 and "changed since you reviewed" in " ".join(stale.output.split())
    assert title_client.sale(titles, sale_id).state is title_client.SaleState.PROPOSED
    current = "0x" + bytes(liens.saleEncumbranceHash(sale_id)).hex()
    done = run_cli(
        titles_cli.titles, "accept", str(sale_id), "--account", bob_alias, "--encumbrance", current
    )
    text = " ".join(done.output.split())
    assert done.exit_code == 0, done.output
    assert f"#{lien}" in text and "discharged at closing" in text and current in text
    assert title_client.sale(titles, sale_id).state is title_client.SaleState.ACCEPTED


def test_cli_import_and_tax_status(run_cli, suite, agency, tmp_path):
    from civic_ledger.bulk.sample import register_sample_owners, sample_owners, write_sample_csv

    owners = sample_owners(2, namespace="cli")
    register_sample_owners(suite["IdentityRegistry"], owners, agency["identity_office"])
    csv_path = tmp_path / "p.csv"
    write_sample_csv(csv_path, 12, owners, bad_rows=1, prefix="CLI")
    journal = tmp_path / "j.jsonl"
    args = ["import", str(csv_path), "--account", "TEST::7", "--batch-size", "5"]
    refused = run_cli(titles_cli.titles, *args, "--journal", str(journal))
    assert refused.exit_code != 0  # a file with a bad row is refused before any transaction
    assert "line 8" in " ".join(refused.output.split())
    assert not suite["TitleRegistry"].isActiveParcel(1)
    with (tmp_path / "p.rejects.csv").open() as handle:  # the bad row, to fix and re-import
        rejected = list(csv.DictReader(handle))
    assert [(r["line"], r["cadastral_code"]) for r in rejected] == [("8", "BAD-HASH-0")]
    assert "data_hash" in rejected[0]["reason"]
    result = run_cli(titles_cli.titles, *args, "--journal", str(journal), "--skip-bad-rows")
    assert result.exit_code == 1  # a bad row is reported, the good ones are imported
    text = " ".join(result.output.split())  # rich wraps at the terminal width
    assert "imported 12" in text and "line 8 (BAD-HASH-0)" in text
    again = run_cli(titles_cli.titles, *args, "--journal", str(journal), "--skip-bad-rows")
    text = " ".join(again.output.split())
    assert "imported 0" in text and "already on chain 12" in text

    status = run_cli(tax_cli.tax, "status", "CLI-DC-0000000")
    assert status.exit_code == 0 and "nothing overdue" in status.output
