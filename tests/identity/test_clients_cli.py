"""Client helpers and admin commands: commitments, CSV import, argument parsing, and the whole
identity + records flow driven the way agencies would (client functions, then the click
commands with readable refusals)."""

from __future__ import annotations

import csv
import json
import os
import stat
from functools import partial
from pathlib import Path
from typing import Any

import ape
import pytest
from eth_abi.packed import encode_packed
from eth_account import Account
from eth_utils import keccak

from civic_ledger.bulk.identities import read_identities_csv
from civic_ledger.cli import identity as identity_cli
from civic_ledger.cli import output as cli_output
from civic_ledger.cli import records as records_cli
from civic_ledger.core.commitments import (
    commitment,
    make_salt,
    new_subject,
    normalize_official_id,
    parse_salt,
)
from civic_ledger.core.documents import document_hash
from civic_ledger.core.encoding import ZERO32
from civic_ledger.core.exceptions import RegistrationsFileError
from civic_ledger.identity import client as id_client
from civic_ledger.identity import records as rec_client

from .helpers import DAY, YEAR, cli_runner

EXAMPLE_CSV = Path(__file__).resolve().parents[2] / "examples" / "identities.csv"


# --------------------------------------------------------------------------------------------
# pure helpers
# --------------------------------------------------------------------------------------------


def test_commitment_matches_solidity_encode_packed():
    salt = bytes(range(32))
    official_id = "11010519491231002X"
    expected = keccak(encode_packed(["bytes32", "string"], [salt, official_id]))
    assert commitment(salt, official_id) == expected
    assert commitment("0x" + salt.hex(), official_id) == expected
    assert commitment(salt, official_id + " ") != expected  # hashes exactly what it is given


def test_salts_and_normalisation():
    a, b = make_salt(), make_salt()
    assert len(a) == 32 and a != b
    assert normalize_official_id(" 11010519491231002x\n") == "11010519491231002X"
    salt, subject = new_subject(" ab-12 ")
    assert subject == commitment(salt, "AB-12")
    with pytest.raises(ValueError):
        parse_salt("0x1234")
    with pytest.raises(ValueError):
        parse_salt("zz" * 32)
    with pytest.raises(ValueError):
        normalize_official_id("   ")


def _registrations(path: Path, salts: Path | None = None) -> list[id_client.Registration]:
    rows, bad = read_identities_csv(path, salts)
    assert not bad, bad
    return rows


def test_example_csv_parses(tmp_path: Path):
    rows = _registrations(EXAMPLE_CSV)
    assert len(rows) >= 10
    assert {r.kind for r in rows} == set(id_client.Kind) - {id_client.Kind.NONE}
    assert len({r.subject for r in rows}) == len(rows)
    out = tmp_path / "salts.csv"
    id_client.write_salts_csv(out, rows)
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    with out.open() as handle:
        saved = list(csv.DictReader(handle))
    assert [commitment(s["salt"], s["official_id"]).hex() for s in saved] == [
        r.subject.hex() for r in rows
    ]
    # a file with the salts column re-derives the same subjects (resumable import)
    again = _registrations(out)
    assert [r.subject for r in again] == [r.subject for r in rows]
    # ... and so does the original file given the salts table of the first run
    assert [r.subject for r in _registrations(EXAMPLE_CSV, out)] == [r.subject for r in rows]
    assert [r.subject for r in _registrations(EXAMPLE_CSV)] != [r.subject for r in rows]


CONTROLLER_1, CONTROLLER_2 = "0x" + "11" * 20, "0x" + "22" * 20


@pytest.mark.parametrize(
    "body,line,message",
    [
        (f"official_id,kind,controller\nX,robot,{CONTROLLER_1}\n", 2, "unknown kind"),
        ("official_id,kind,controller\nX,person,not-an-address\n", 2, "controller"),
        (
            f"official_id,kind,controller\nX,person,{CONTROLLER_1}\nx,person,{CONTROLLER_2}",
            3,
            "official id repeated",
        ),
        (
            f"official_id,kind,controller\nX,person,{CONTROLLER_1}\nY,person,{CONTROLLER_1}",
            3,
            "controller",
        ),
    ],
)
def test_csv_errors_name_the_line(tmp_path: Path, body: str, line: int, message: str):
    path = tmp_path / "bad.csv"
    path.write_text(body)
    rows, bad = read_identities_csv(path)
    assert [e.line for e in bad] == [line] and message in bad[0].reason
    assert all(r.line != line for r in rows)


def test_csv_without_the_columns_is_refused_as_a_whole(tmp_path: Path):
    path = tmp_path / "bad.csv"
    path.write_text("official_id,kind\nX,person\n")
    with pytest.raises(RegistrationsFileError, match=r"bad\.csv:1: missing column"):
        read_identities_csv(path)


def test_argument_parsing():
    assert id_client.encode_reason("FRAUD-17") == b"FRAUD-17".ljust(32, b"\x00")
    assert id_client.decode_reason(id_client.encode_reason("FRAUD-17")) == "FRAUD-17"
    assert id_client.encode_reason("0x" + "ab" * 32) == b"\xab" * 32
    with pytest.raises(ValueError):
        id_client.encode_reason("x" * 33)
    assert id_client.Kind.parse("Enterprise") == id_client.Kind.ENTERPRISE
    assert id_client.Status.parse("suspended") == id_client.Status.SUSPENDED
    with pytest.raises(ValueError):
        id_client.Status.parse("none")
    assert rec_client.parse_duration("3y") == 3 * YEAR
    assert rec_client.parse_duration("12h") == 12 * 3600
    assert rec_client.parse_duration("90") == 90
    with pytest.raises(ValueError):
        rec_client.parse_duration("soon")
    assert rec_client.parse_expiry("+30d", 1_000) == 1_000 + 30 * DAY
    assert rec_client.parse_expiry("2027-03-31", 0) == 1806537599
    assert rec_client.parse_expiry("", 5) == 0
    with pytest.raises(ValueError):
        rec_client.parse_expiry("next spring", 0)
    layout = "uint16 year,bool compliant,bytes2 code,int8 delta"
    values = {"year": "2025", "compliant": "true", "code": "0xbeef", "delta": "-3"}
    data = rec_client.encode_data(layout, values)
    assert rec_client.decode_data(layout, data) == {
        "year": 2025,
        "compliant": True,
        "code": b"\xbe\xef",
        "delta": -3,
    }
    rec_client.check_data(layout, data)
    with pytest.raises(ValueError, match="missing"):
        rec_client.encode_data(layout, {"year": "2025"})
    with pytest.raises(ValueError, match="field type"):  # no free text on chain
        rec_client.parse_layout("uint16 year,string note")
    with pytest.raises(ValueError, match="out of range"):
        rec_client.check_data("uint8 a", (256).to_bytes(32, "big"))
    with pytest.raises(ValueError, match="out of range"):
        rec_client.check_data("int8 a", (128).to_bytes(32, "big"))
    with pytest.raises(ValueError, match="out of range"):
        rec_client.check_data("bool a", (2).to_bytes(32, "big"))
    with pytest.raises(ValueError, match="out of range"):
        rec_client.check_data("bytes1 a", b"\x01\x02" + bytes(30))
    with pytest.raises(ValueError, match="takes 32"):
        rec_client.check_data("uint8 a", b"")
    assert rec_client.RevocationReason.parse("paid") == rec_client.RevocationReason.REMEDIED
    assert rec_client.RevocationReason.parse("1") == rec_client.RevocationReason.ISSUED_IN_ERROR
    for code in ("3", "superseded", "4", "0", "9"):  # the registry's own codes are refused too
        with pytest.raises(ValueError):
            rec_client.RevocationReason.parse(code)
    assert document_hash("case 17") == keccak(text="case 17")
    assert document_hash("0x" + "cd" * 32) == b"\xcd" * 32


# --------------------------------------------------------------------------------------------
# the flow through client functions
# --------------------------------------------------------------------------------------------


def test_agency_flow_through_clients(suite, agency, citizens, outsider, tmp_path):
    identity, registry = suite["IdentityRegistry"], suite["RecordRegistry"]
    office, bureau, tax = agency["identity_office"], agency["data_bureau"], agency["tax_bureau"]

    rows = _registrations(EXAMPLE_CSV)
    receipts = id_client.register_batch(identity, rows, sender=office, batch_size=4)
    assert len(receipts) == 3
    assert id_client.registered_subjects(receipts, identity) == [r.subject for r in rows]
    assert id_client.unregistered(identity, rows) == []
    person = rows[0]
    assert id_client.resolve_subject(identity, person.controller) == person.subject
    view = id_client.show(identity, person.subject)
    assert (view.kind, view.status, view.controller) == (
        id_client.Kind.PERSON,
        id_client.Status.ACTIVE,
        person.controller,
    )
    with pytest.raises(ValueError, match="controls no identity"):
        id_client.resolve_subject(identity, outsider.address)
    # one rule for every subject argument (owner, buyer, lienholder too): 0x + 64 hex digits
    # or a controller's address, nothing else
    assert id_client.resolve_subject(identity, " 0x" + person.subject.hex() + " ") == person.subject
    for junk in (person.subject.hex(), "0x12", "alice"):
        with pytest.raises(ValueError, match=r"is neither a subject .* nor a controller address"):
            id_client.resolve_subject(identity, junk)

    tax_schema = partial(  # the tax bureau's two revocable schemas
        rec_client.register_schema,
        registry,
        issuer_role="TAX_RECORD_ISSUER",
        revocable=True,
        sender=bureau,
    )
    ok_id = tax_schema(
        name="tax-ok", field_layout="uint16 year", adverse=False, default_validity=YEAR
    )
    fine_id = tax_schema(
        name="tax-fine", field_layout="uint256 amount", adverse=True, default_validity=3 * YEAR
    )
    assert rec_client.resolve_schema(registry, "tax-fine") == fine_id
    rec_client.set_policy(
        registry,
        policy_id=5,
        name="grants",
        required=[ok_id],
        disqualifying=[fine_id],
        sender=bureau,
    )

    good = rec_client.issue(
        registry,
        rec_client.RecordRequest(
            ok_id, person.subject, data=rec_client.encode_data("uint16 year", {"year": 2025})
        ),
        sender=tax,
    )
    signed = rec_client.sign_issue(
        registry,
        rec_client.RecordRequest(
            fine_id,
            person.subject,
            document_hash("audit 9"),
            rec_client.encode_data("uint256 amount", {"amount": 500}),
        ),
        tax,
        deadline=ape.chain.pending_timestamp + DAY,
    )
    fine = rec_client.relay_signed_issue(registry, signed, sender=outsider)
    check = rec_client.check_policy(registry, identity, person.subject, 5)
    assert not check.meets and check.disqualified_by == [fine_id] and check.missing == []

    controller = next(c for c in citizens if c.address == person.controller)
    rec_client.dispute(registry, fine, document_hash("receipt"), sender=controller)
    assert rec_client.get_record(registry, fine).state == "stayed"
    assert rec_client.check_policy(registry, identity, person.subject, 5).meets
    rec_client.resolve(
        registry, fine, upheld=False, ruling_hash=b"\x01" * 32, sender=agency["arbitration_office"]
    )
    shown = rec_client.get_record(registry, fine)
    assert shown.state == "revoked" and shown.dispute.status == rec_client.DisputeStatus.OVERTURNED
    assert shown.fields == {"amount": 500} and shown.issuer == tax.address

    rec_client.revoke(
        registry, good, rec_client.RevocationReason.ISSUED_IN_ERROR, b"\x02" * 32, sender=tax
    )
    assert rec_client.check_policy(registry, identity, person.subject, 5).missing == [ok_id]
    assert rec_client.records_of(registry, person.subject) == [good, fine]


# --------------------------------------------------------------------------------------------
# the click commands
# --------------------------------------------------------------------------------------------


@pytest.fixture
def run_cli(suite):
    return cli_runner(suite)


def test_a_terminal_is_asked_before_signing_and_a_no_sends_nothing(
    run_cli, suite, monkeypatch, tmp_path
):
    """With a person at a terminal and no --yes, a signing command says what it will sign, as
    whom, and asks; answering no signs nothing; --yes signs without asking."""
    monkeypatch.setattr(cli_output, "can_prompt", lambda: True)
    identity = suite["IdentityRegistry"]
    controller = Account.create().address
    args = ("--official-id", "CONFIRM-" + controller, "--controller", controller,
            "--account", "TEST::1", "--salts-out", str(tmp_path / "salt.csv"))  # fmt: skip
    office = ape.accounts.test_accounts[1]
    nonce = office.nonce

    refused = run_cli(identity_cli.identity, "register", *args, input="n\n")
    assert refused.exit_code != 0
    assert "About to sign and send: registered person 0x" in refused.text, refused.output
    assert "Sign and send? [y/N]: n" in refused.text
    assert office.nonce == nonce and identity.subjectOf(controller) == ZERO32

    accepted = run_cli(identity_cli.identity, "register", *args, input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert office.nonce == nonce + 1 and identity.subjectOf(controller) != ZERO32

    other = Account.create().address
    unasked = run_cli(identity_cli.identity, "register", "--official-id", "CONFIRM-" + other,
                      "--controller", other, "--account", "TEST::1", "--yes",
                      "--salts-out", str(tmp_path / "other.csv"))  # fmt: skip
    assert unasked.exit_code == 0, unasked.output
    assert "Sign and send?" not in unasked.text and identity.subjectOf(other) != ZERO32


def test_cli_identity_commands(run_cli, suite, tmp_path):
    identity = suite["IdentityRegistry"]
    salts = tmp_path / "salts.csv"
    journal = ["--journal", str(tmp_path / "ids.jsonl")]
    result = run_cli(
        identity_cli.identity, "batch-register", str(EXAMPLE_CSV), "--account", "TEST::1",
        "--salts-out", str(salts), "--batch-size", "5", *journal,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "imported 11 identities in 3 transactions" in result.text
    with salts.open() as handle:
        saved = list(csv.DictReader(handle))
    assert all(identity.isActive(row["subject"]) for row in saved)

    # re-running the original file reuses the salts of the first run: nothing is sent
    again = run_cli(
        identity_cli.identity, "batch-register", str(EXAMPLE_CSV), "--account", "TEST::1",
        "--salts-out", str(salts), *journal,
    )  # fmt: skip
    assert again.exit_code == 0 and "imported 0 identities in 0 transactions" in again.text
    # ... and so does the salts file itself (another journal: the chain says what is done)
    result = run_cli(
        identity_cli.identity, "batch-register", str(salts), "--account", "TEST::1",
        "--salts-out", str(tmp_path / "more.csv"), "--journal", str(tmp_path / "salts.jsonl"),
    )  # fmt: skip
    assert result.exit_code == 0 and "already on chain 11" in result.text

    first = saved[0]
    result = run_cli(identity_cli.identity, "show", first["controller"])
    assert first["subject"] in result.text and "active" in result.text

    def set_status(status: str, reason: str) -> Any:
        """The identity office (test account 1) sets the first identity's status."""
        args = (first["subject"], status, "--account", "TEST::1", "--reason", reason)
        return run_cli(identity_cli.identity, "set-status", *args)

    result = set_status("suspended", "FRAUD-INQUIRY-17")
    assert result.exit_code == 0, result.output
    assert identity.statusOf(first["subject"]) == id_client.Status.SUSPENDED

    result = run_cli(
        identity_cli.identity,
        "commitment",
        "--official-id",
        first["official_id"].lower(),
        "--salt",
        first["salt"],
    )
    assert first["subject"] in result.text and "registered" in result.text

    # rotate as the controller (test account 15), then recover as the office
    result = set_status("active", "CLEARED")
    result = run_cli(
        identity_cli.identity, "rotate", "--account", "TEST::15", "--to", "0x" + "77" * 20
    )
    assert result.exit_code == 0 and "rotate-accept" in result.text, result.output
    assert "0x" + "77" * 20 in run_cli(identity_cli.identity, "show", first["subject"]).text.lower()
    result = run_cli(identity_cli.identity, "rotate-cancel", "--account", "TEST::15")
    assert result.exit_code == 0, result.output
    new_wallet = "0x8626f6940E2eb28930eFb4CeF49B2d1F2C9C1199"  # TEST::19
    result = run_cli(identity_cli.identity, "rotate", "--account", "TEST::15", "--to", new_wallet)
    assert result.exit_code == 0, result.output
    result = run_cli(
        identity_cli.identity, "rotate-accept", first["subject"], "--account", "TEST::19"
    )
    assert result.exit_code == 0, result.output
    assert identity.controllerOf(first["subject"]) == new_wallet
    result = run_cli(
        identity_cli.identity,
        "recover",
        first["subject"],
        "--account",
        "TEST::1",
        "--to",
        first["controller"],
    )
    assert result.exit_code == 0 and "ready at" in result.text
    result = run_cli(
        identity_cli.identity, "recover-complete", first["subject"], "--account", "TEST::16"
    )
    assert result.exit_code == 1
    assert "recovery delay has not passed" in result.text  # IdentityRecoveryNotReady NatSpec
    ape.chain.pending_timestamp += 2 * DAY
    result = run_cli(
        identity_cli.identity, "recover-complete", first["subject"], "--account", "TEST::16"
    )
    assert result.exit_code == 0, result.output
    assert identity.controllerOf(first["subject"]) == first["controller"]


def test_cli_refusals_are_readable(run_cli, tmp_path):
    result = run_cli(
        identity_cli.identity,
        "register",
        "--account",
        "TEST::19",
        "--official-id",
        "TEST-X",
        "--controller",
        "0x" + "12" * 20,
        "--salts-out",
        str(tmp_path / "s.csv"),
    )
    assert result.exit_code == 1
    assert "not authorised" in result.text and "Traceback" not in result.text
    result = run_cli(
        identity_cli.identity,
        "set-status",
        "0x" + "ab" * 32,
        "closed",
        "--account",
        "TEST::1",
        "--reason",
        "x" * 40,
    )
    assert result.exit_code == 2 and "at most 32" in result.text


def test_cli_records_commands(run_cli, suite, agency, register, citizens, tmp_path):
    registry, identity = suite["RecordRegistry"], suite["IdentityRegistry"]
    alice = register("cli-alice", citizens[0])

    def ok(*args: str) -> str:
        result = run_cli(records_cli.records, *args)
        assert result.exit_code == 0, result.output
        return result.text

    ok(
        "schema-add",
        "--account",
        "TEST::2",
        "--name",
        "tax-ok",
        "--layout",
        "uint16 year",
        "--issuer-role",
        "TAX_RECORD_ISSUER",
        "--validity",
        "1y",
    )
    ok(
        "schema-add",
        "--account",
        "TEST::2",
        "--name",
        "tax-fine",
        "--layout",
        "uint256 amount",
        "--issuer-role",
        "TAX_RECORD_ISSUER",
        "--adverse",
        "--validity",
        "3y",
    )
    assert "tax-fine" in ok("schemas")
    ok(
        "policy-set",
        "7",
        "--account",
        "TEST::2",
        "--name",
        "grants",
        "--require",
        "tax-ok",
        "--disqualify",
        "tax-fine",
    )

    subject = "0x" + alice.subject.hex()
    out = ok(
        "issue",
        "--account",
        "TEST::3",
        "--schema",
        "tax-ok",
        "--subject",
        subject,
        "--field",
        "year=2025",
    )
    good = out.split("record ")[-1].split()[0]
    assert registry.isValid(good)
    assert "meets policy 7" in ok("check-policy", alice.account.address, "7")

    signed_file = tmp_path / "fine.json"
    ok(
        "sign-issue",
        "--account",
        "TEST::3",
        "--schema",
        "tax-fine",
        "--subject",
        subject,
        "--field",
        "amount=500",
        "--evidence",
        "audit case 9",
        "--out",
        str(signed_file),
    )
    assert json.loads(signed_file.read_text())["signer"] == agency["tax_bureau"].address
    out = ok("issue-signed", str(signed_file), "--account", "TEST::19")
    fine = out.split("record ")[-1].split()[0]
    assert registry.getRecord(fine).issuer == agency["tax_bureau"].address

    result = run_cli(records_cli.records, "check-policy", subject, "7")
    assert result.exit_code == 1 and "disqualified by a valid record of" in result.text

    # the subject disputes; the arbiter overturns
    ok("dispute", fine, "--account", "TEST::15", "--evidence", "bank receipt")
    shown = ok("show", fine)
    assert "stayed" in shown and "stayed until" in shown
    ok("resolve", fine, "--account", "TEST::6", "--overturn", "--evidence", "ruling 2026/17")
    shown = ok("show", fine)
    assert "revoked" in shown and "overturned" in shown and "amount=500" in shown
    listing = ok("show", subject)
    assert "records 1-2 of 2" in listing

    # refusals: wrong issuer, readable
    result = run_cli(records_cli.records, "revoke", good, "--account", "TEST::4", "--code", "error")
    assert result.exit_code == 1 and "does not hold the schema's issuer role" in result.text
    result = run_cli(records_cli.records, "revoke", good, "--account", "TEST::3", "--code", "other")
    assert result.exit_code == 2 and "needs the decision document" in result.text
    ok("revoke", good, "--account", "TEST::3", "--code", "error", "--evidence", "re-filed")
    assert not registry.isValid(good)
    assert not registry.meetsPolicy(alice.subject, 7)
    assert identity.isActive(alice.subject)


def test_cli_stays_and_signature_cancellation(run_cli, suite, agency, register, citizens, tmp_path):
    registry = suite["RecordRegistry"]
    alice = register("cli-stay", citizens[0])

    def ok(*args: str) -> str:
        result = run_cli(records_cli.records, *args)
        assert result.exit_code == 0, result.output
        return result.text

    ok("schema-add", "--account", "TEST::2", "--name", "fine", "--layout", "uint32 amount",
       "--issuer-role", "TAX_RECORD_ISSUER", "--adverse", "--validity", "1y")  # fmt: skip
    ok("stay-set", "fine", "7d", "--account", "TEST::2")
    assert "7d" in ok("schemas")
    result = run_cli(records_cli.records, "stay-set", "fine", "91d", "--account", "TEST::2")
    assert result.exit_code == 2 and "90 days" in result.text
    subject = "0x" + alice.subject.hex()
    out = ok("issue", "--account", "TEST::3", "--schema", "fine", "--subject", subject,
             "--field", "amount=9", "--evidence", "audit")  # fmt: skip
    fine = out.split("record ")[-1].split()[0]
    ok("dispute", fine, "--account", "TEST::15", "--evidence", "bank receipt")
    assert registry.getRecord(fine).stayUntil == ape.chain.blocks.head.timestamp + 7 * DAY
    ok("stay-grant", fine, "--until", "+30d", "--evidence", "stay order 5", "--account", "TEST::6")
    ape.chain.pending_timestamp += 31 * DAY
    ape.chain.mine()
    assert registry.isValid(fine)
    ok("stay-lapse", fine, "--account", "TEST::19")
    assert "disputed" in ok("show", fine)

    # the tax bureau signs two requests, then cancels both before anyone relays them
    for nonce in ("0", "1"):
        ok("sign-issue", "--account", "TEST::3", "--schema", "fine", "--subject", subject,
           "--field", "amount=1", "--evidence", "x", "--nonce", nonce,
           "--out", str(tmp_path / f"s{nonce}.json"))  # fmt: skip
    result = run_cli(records_cli.records, "sign-issue", "--account", "TEST::3", "--schema", "fine",
                     "--subject", subject, "--field", "amount=1", "--evidence", "x",
                     "--deadline", "+31d", "--out", str(tmp_path / "far.json"))  # fmt: skip
    assert result.exit_code == 2 and "30 days" in result.text
    ok("cancel-signed", "--through", "1", "--account", "TEST::3")
    assert registry.nonces(agency["tax_bureau"]) == 2
    result = run_cli(
        records_cli.records, "issue-signed", str(tmp_path / "s0.json"), "--account", "TEST::19"
    )
    assert result.exit_code == 1 and "signature" in result.text
    result = run_cli(records_cli.records, "cancel-signed", "--through", "1", "--account", "TEST::3")
    assert result.exit_code == 2 and "already used or cancelled" in result.text
