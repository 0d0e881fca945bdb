"""Hostile bulk imports (issue #8): hypothesis-generated malformed parcel and identity CSVs.

Invariant: a malformed file is rejected as a whole before any transaction (block height and
nonces unchanged, nothing imported), with one error line naming the file, the line and the
field. Plus: duplicates against the chain, an identity import failing mid-way for a chain
reason, and idempotent re-runs.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civic_ledger.bulk.identities import read_identities_csv
from civic_ledger.bulk.parcels import COLUMNS, read_parcels_csv
from civic_ledger.cli import identity as id_cli
from civic_ledger.cli import titles as titles_cli
from civic_ledger.core.commitments import make_salt
from civic_ledger.core.exceptions import CsvFormatError, RegistrationsFileError
from civic_ledger.identity import client as id_client

from .harness import EXAMPLES, Refuser, count, invoke

SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
CHAIN_SETTINGS = settings(SETTINGS, max_examples=max(5, EXAMPLES // 3))

FIELDS = {"cadastral_code", "owner", "data_hash", "area_m2", "land_use"}


# ------------------------------------------------------------------ parcels CSV generator


def good_parcel_rows(owner: str, n: int, prefix: str = "HY") -> list[list[str]]:
    return [[f"{prefix}-{i}", owner, "0x" + f"{i + 1:064x}", str(100 + i), "1"] for i in range(n)]


DEFECTS = [
    "bad_hex", "zero_hash", "huge_area", "negative_area", "float_area", "huge_land_use",
    "empty_code", "bad_code", "long_code", "missing_field",
    "extra_field", "duplicate_code", "unicode_digits", "underscore_number", "empty_value",
]  # fmt: skip
FILE_DEFECTS = ["no_header", "bad_header", "semicolons", "non_utf8", "empty_file", "repeat_col"]


@st.composite
def malformed_parcels(draw: Any, owner: str) -> tuple[bytes, str]:
    """(file bytes, defect) for a parcels CSV with at least one defect."""
    n = draw(st.integers(1, 6))
    rows = good_parcel_rows(owner, n, prefix=draw(st.sampled_from(["HY", "hy.x", "A/B"])))
    defect = draw(st.sampled_from(DEFECTS + FILE_DEFECTS))
    i = draw(st.integers(0, n - 1))
    junk = draw(st.text(min_size=1, max_size=12).filter(lambda t: t.strip() and "," not in t))
    header = list(COLUMNS)
    if defect == "bad_hex":
        rows[i][2] = "0x" + draw(st.sampled_from(["zz" * 32, "12", "11" * 33, junk]))
    elif defect == "zero_hash":
        rows[i][draw(st.sampled_from([1, 2]))] = "0x" + "00" * 32
    elif defect == "huge_area":
        rows[i][3] = str(draw(st.integers(2**128, 2**300)))
    elif defect == "negative_area":
        rows[i][3] = str(draw(st.integers(-(2**80), 0)))
    elif defect == "float_area":
        rows[i][3] = draw(st.sampled_from(["1.5", "1e3", "NaN", "inf", junk]))
    elif defect == "huge_land_use":
        rows[i][4] = str(draw(st.integers(2**32, 2**100)))
    elif defect == "empty_code":
        rows[i][0] = draw(st.sampled_from(["", "   "]))
    elif defect == "bad_code":
        rows[i][0] = draw(st.sampled_from(["-lead", "a b", "x;y", "ünï", "💥", "a\\b"]))
    elif defect == "long_code":
        rows[i][0] = "C" * draw(st.integers(65, 5000))
    elif defect == "missing_field":
        rows[i] = rows[i][: draw(st.integers(1, 4))]
    elif defect == "extra_field":
        rows[i] = rows[i] + [junk] * draw(st.integers(1, 3))
    elif defect == "duplicate_code":
        rows.append(list(rows[i]))
    elif defect == "unicode_digits":
        rows[i][3] = "١٢٣"
    elif defect == "underscore_number":
        rows[i][3] = "1_000"
    elif defect == "empty_value":
        rows[i][draw(st.integers(1, 4))] = ""
    elif defect == "bad_header":
        header[draw(st.integers(0, 4))] = junk
    elif defect == "repeat_col":
        header.append(header[0])
        rows = [[*r, r[0]] for r in rows]
    text_rows = [",".join(header)] if defect != "no_header" else []
    delimiter = ";" if defect == "semicolons" else ","
    text_rows[:1] = [delimiter.join(header)] if text_rows else []
    text_rows += [delimiter.join(r) for r in rows]
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    body = (newline.join(text_rows) + newline).encode("utf-8")
    if draw(st.booleans()):
        body = b"\xef\xbb\xbf" + body  # a BOM is fine: it must not hide the defect
    if defect == "non_utf8":
        cut = draw(st.integers(0, len(body)))
        body = body[:cut] + draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\x80\x80"])) + body[cut:]
    elif defect == "empty_file":
        body = draw(st.sampled_from([b"", b"\xef\xbb\xbf", b"\n\n"]))
    return body, defect


def _check_parcels_verdict(path: Path, defect: str) -> str:
    """Parse `path`; assert it is refused the right way; returns the refusal text."""
    try:
        rows, errors = read_parcels_csv(path)
    except CsvFormatError as exc:
        message = str(exc)
        assert "\n" not in message and message.startswith(str(path)), message
        return message
    assert errors, f"{defect}: malformed file accepted ({len(rows)} rows)"
    for error in errors:
        assert error.line >= 2, error
        text = str(error)
        assert "\n" not in text and len(text) < 300, text
        assert text.startswith(f"line {error.line}")
        assert any(f in error.reason for f in FIELDS) or "field" in error.reason, error.reason
    return str(errors[0])


@pytest.fixture(scope="module")
def owner(suite: Any, agency: dict[str, Any], accounts: Any) -> str:
    registration = id_client.Registration.new("HOSTILE-BULK-OWNER", accounts[17].address, "person")
    id_client.register(suite["IdentityRegistry"], registration, sender=agency["identity_office"])
    return "0x" + registration.subject.hex()


@SETTINGS
@given(data=st.data())
def test_malformed_parcel_csv_is_refused_with_line_and_field(
    data: Any, tmp_path_factory: Any
) -> None:
    body, defect = data.draw(malformed_parcels("0x" + "ab" * 32))
    path = tmp_path_factory.mktemp("parcels") / "parcels.csv"
    path.write_bytes(body)
    count("bulk-parcels-csv (parser)")
    _check_parcels_verdict(path, defect)


@CHAIN_SETTINGS
@given(data=st.data())
def test_malformed_parcel_import_sends_nothing(
    data: Any, owner: str, refuse: Refuser, suite: Any, tmp_path_factory: Any
) -> None:
    body, defect = data.draw(malformed_parcels(owner))
    folder = tmp_path_factory.mktemp("import")
    path = folder / "parcels.csv"
    path.write_bytes(body)
    titles = suite["TitleRegistry"]
    line = refuse(
        titles_cli.titles.commands["import"],
        [str(path), "--account", "TEST::7", "--journal", str(folder / "j.jsonl")],
        names=("parcels.csv",),
        kind="bulk-parcels-import",
        given=(body.decode("utf-8", "replace"),),  # a bad value may be quoted back
        state=lambda: int(titles.totalSupply()) if hasattr(titles, "totalSupply") else None,
    )
    assert defect == "empty_file" or "line" in line or ":" in line, line
    assert not (folder / "j.jsonl").exists() or not (folder / "j.jsonl").read_text().strip()


def test_duplicate_parcels_against_chain(owner: str, refuse: Refuser, tmp_path: Path) -> None:
    """Same data already on chain: skipped (idempotent re-run); other data: refused."""
    path = tmp_path / "p.csv"
    rows = good_parcel_rows(owner, 3, prefix="HYDUP")
    path.write_text(",".join(COLUMNS) + "\n" + "\n".join(",".join(r) for r in rows) + "\n")
    command = titles_cli.titles.commands["import"]
    manifest = ["--manifest", str(refuse.manifest), "--journal", str(tmp_path / "j.jsonl")]
    first = invoke(command, [str(path), "--account", "TEST::7", *manifest])
    assert first.exit_code == 0, first.output
    again = invoke(command, [str(path), "--account", "TEST::7", *manifest])
    assert again.exit_code == 0 and "already on chain 3" in " ".join(again.stdout.split())
    rows[1][2] = "0x" + "ee" * 32  # same code, other survey
    rows.append(["HYDUP-NEW", owner, "0x" + "ef" * 32, "5", "1", ""])
    path.write_text(",".join(COLUMNS) + "\n" + "\n".join(",".join(r) for r in rows) + "\n")
    refuse(
        command,
        [str(path), "--account", "TEST::7", "--journal", str(tmp_path / "j2.jsonl")],
        names=("p.csv", "line 3", "already registered with other data", "nothing sent"),
        kind="bulk-parcels-import",
    )


# ------------------------------------------------------------------ identity CSV generator

ID_DEFECTS = [
    "bad_controller", "zero_controller", "bad_checksum", "unknown_kind", "numeric_kind",
    "empty_id", "long_id", "dup_id", "dup_controller", "bad_salt", "short_salt",
    "extra_field", "missing_field", "no_header", "semicolons", "non_utf8", "empty_file",
    "header_only", "repeat_col", "nul_byte",
]  # fmt: skip


@st.composite
def malformed_identities(draw: Any) -> tuple[bytes, str]:
    n = draw(st.integers(1, 5))
    rows = [
        [f"HY-ID-{draw(st.integers(0, 10**9))}-{i}", "person", "0x" + f"{0xA0 + i:02x}" * 20]
        for i in range(n)
    ]
    header = ["official_id", "kind", "controller"]
    with_salt = draw(st.booleans())
    if with_salt:
        header.append("salt")
        rows = [[*r, "0x" + make_salt().hex()] for r in rows]
    defect = draw(st.sampled_from(ID_DEFECTS))
    i = draw(st.integers(0, n - 1))
    junk = draw(st.text(min_size=1, max_size=10).filter(lambda t: t.strip() and "," not in t))
    if defect == "bad_controller":
        rows[i][2] = draw(st.sampled_from(["0xnothex", "0x12", junk, ""]))
    elif defect == "zero_controller":
        rows[i][2] = "0x" + "00" * 20
    elif defect == "bad_checksum":
        rows[i][2] = "0xcd3b766CCDd6AE721141F452C550Ca635964ce71"
    elif defect == "unknown_kind":
        rows[i][1] = draw(st.sampled_from(["robot", "", "persons", junk]))
    elif defect == "numeric_kind":
        rows[i][1] = draw(st.sampled_from(["0", "4", "99"]))
    elif defect == "empty_id":
        rows[i][0] = draw(st.sampled_from(["", "   ", "\u3000"]))
    elif defect == "long_id":
        rows[i][0] = "X" * draw(st.integers(257, 50_000))
    elif defect == "dup_id":
        rows.append([rows[i][0].lower(), "person", "0x" + "5f" * 20, *rows[i][3:]])
    elif defect == "dup_controller":
        rows.append(["HY-ID-DUP", "person", rows[i][2], *rows[i][3:]])
    elif defect == "bad_salt":
        header, rows = (
            (header, rows) if with_salt else ([*header, "salt"], [[*r, ""] for r in rows])
        )
        rows[i][3] = draw(st.sampled_from(["0xzz", "0x" + "11" * 31, junk]))
    elif defect == "short_salt":
        header, rows = (
            (header, rows) if with_salt else ([*header, "salt"], [[*r, ""] for r in rows])
        )
        rows[i][3] = "0x" + "11" * 16
    elif defect == "extra_field":
        rows[i] = rows[i] + [junk]
    elif defect == "missing_field":
        rows[i] = rows[i][:2]
    elif defect == "repeat_col":
        header.append("kind")
        rows = [[*r, r[1]] for r in rows]
    delimiter = ";" if defect == "semicolons" else ","
    lines = [] if defect == "no_header" else [delimiter.join(header)]
    if defect != "header_only":
        lines += [delimiter.join(r) for r in rows]
    body = ("\n".join(lines) + "\n").encode("utf-8")
    if draw(st.booleans()):
        body = b"\xef\xbb\xbf" + body
    if defect == "non_utf8":
        cut = draw(st.integers(0, len(body)))
        body = body[:cut] + b"\xff\xfe" + body[cut:]
    elif defect == "empty_file":
        body = b""
    elif defect == "nul_byte":
        body = body.replace(b"person", b"per\x00son", 1)
    return body, defect


@SETTINGS
@given(data=st.data())
def test_malformed_identity_csv_is_refused_with_file_and_line(
    data: Any, tmp_path_factory: Any
) -> None:
    body, defect = data.draw(malformed_identities())
    path = tmp_path_factory.mktemp("ids") / "ids.csv"
    path.write_bytes(body)
    count("bulk-identity-csv (parser)")
    try:
        rows, errors = read_identities_csv(path)
    except RegistrationsFileError as exc:
        message = str(exc)
        assert "\n" not in message and message.startswith(f"{path}"), message
        assert len(message) < 400, message
        return
    assert errors or (defect == "header_only" and not rows), f"{defect}: accepted"
    for error in errors:
        text = str(error)
        assert error.line >= 2 and text.startswith(f"line {error.line}"), text
        assert "\n" not in text and len(text) < 400, text


@CHAIN_SETTINGS
@given(data=st.data())
def test_malformed_identity_import_sends_nothing(
    data: Any, refuse: Refuser, suite: Any, tmp_path_factory: Any
) -> None:
    body, _ = data.draw(malformed_identities())
    folder = tmp_path_factory.mktemp("idimport")
    path = folder / "ids.csv"
    path.write_bytes(body)
    salts = folder / "salts.csv"
    refuse(
        id_cli.identity.commands["batch-register"],
        [str(path), "--account", "TEST::1", "--salts-out", str(salts), "--batch-size", "2",
         "--journal", str(folder / "j.jsonl")],
        names=("ids.csv",),
        kind="bulk-identity-import",
    )  # fmt: skip
    assert not salts.exists(), "no salts written for a refused file"


def _id_rows(n: int, tag: str) -> list[list[str]]:
    return [[f"HY-{tag}-{i}", "person", "0x" + f"{0xC0 + i:02x}" * 20] for i in range(n)]


def test_identity_controller_taken_on_chain(refuse: Refuser, suite: Any, tmp_path: Path) -> None:
    """A controller that already acts for an identity on chain, on the LAST line: refused
    before the first batch is sent (it used to revert the last batch after the others)."""
    path = tmp_path / "ids.csv"
    rows = _id_rows(4, "TAKEN")
    rows.append(["HY-TAKEN-X", "person", suite_controller(suite)])
    path.write_text("official_id,kind,controller\n" + "\n".join(",".join(r) for r in rows) + "\n")
    refuse(
        id_cli.identity.commands["batch-register"],
        [str(path), "--account", "TEST::1", "--salts-out", str(tmp_path / "s.csv"),
         "--batch-size", "2", "--journal", str(tmp_path / "j.jsonl")],
        names=("ids.csv", "line 6", "already controls", "nothing sent"),
        kind="bulk-identity-import",
    )  # fmt: skip
    with (tmp_path / "ids.rejects.csv").open() as handle:
        rejected = list(csv.DictReader(handle))
    assert [(r["line"], r["official_id"]) for r in rejected] == [("6", "HY-TAKEN-X")]
    assert "already controls" in rejected[0]["reason"]


def suite_controller(suite: Any) -> str:
    """A wallet that controls an identity: registered here if none is yet."""
    from ape import accounts

    candidate = accounts.test_accounts[18]
    identity = suite["IdentityRegistry"]
    if bytes(identity.subjectOf(candidate.address)) == b"\x00" * 32:
        from civic_ledger.identity.client import Registration, register

        register(
            identity,
            Registration.new("HY-CONTROLLER-18", candidate.address, "person"),
            sender=accounts.test_accounts[1],
        )
    return candidate.address


def test_identity_import_killed_midway_resumes_without_duplicates(
    refuse: Refuser, suite: Any, tmp_path: Path, kill_imports: Any
) -> None:
    """Killed after its second batch was broadcast (receipts not yet seen): the salts of every
    row were written first, so re-running the ORIGINAL file settles the batches in flight from
    the journal and registers exactly the rest; with another salts table the file is refused
    (fresh salts would register the persons twice); a third run sends nothing."""
    identity = suite["IdentityRegistry"]
    path, salts, journal = tmp_path / "ids.csv", tmp_path / "salts.csv", tmp_path / "j.jsonl"
    rows = _id_rows(6, "MIDWAY")
    path.write_text("official_id,kind,controller\n" + "\n".join(",".join(r) for r in rows) + "\n")
    command = id_cli.identity.commands["batch-register"]
    args = ["--account", "TEST::1", "--batch-size", "2", "--manifest", str(refuse.manifest),
            "--journal", str(journal), "--salts-out", str(salts)]  # fmt: skip

    kill_imports(1)
    count("bulk-identity-midway")
    killed = invoke(command, [str(path), *args])
    assert killed.exit_code == 1 and killed.stderr.count("Error:") == 1, killed.output
    kill_imports(None)

    with salts.open() as handle:
        saved = list(csv.DictReader(handle))
    assert len(saved) == 6, "every row's salt was kept before sending"
    assert not any(identity.isActive(r["subject"]) for r in saved[4:])

    # the original file with another salts table: fresh salts -> refused, nothing sent
    refuse(
        command,
        [str(path), "--salts-out", str(tmp_path / "other.csv"), "--account", "TEST::1",
         "--journal", str(tmp_path / "other.jsonl")],
        names=("already controls", "salts file", "nothing sent"),
        kind="bulk-identity-import",
    )  # fmt: skip
    resumed = invoke(command, [str(path), *args])
    assert resumed.exit_code == 0, resumed.output
    text = " ".join(resumed.stdout.split())
    assert "resumed an interrupted import" in text and "imported 2 identities" in text
    assert all(identity.isActive(r["subject"]) for r in saved)
    sent = [json.loads(line) for line in journal.read_text().splitlines()]
    assert sorted(e["batch"] for e in sent if e["type"] == "sent") == [0, 1, 2], "no re-sign"
    with salts.open() as handle:
        assert len(list(csv.DictReader(handle))) == 6, "a re-run appends no duplicate salts"
    done = invoke(command, [str(path), *args])
    assert done.exit_code == 0 and "imported 0 identities in 0 transactions" in " ".join(
        done.stdout.split()
    )
