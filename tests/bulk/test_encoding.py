"""`--encoding` (one place: civic_ledger/core/csvfile.py): a GB18030 file from a Chinese-locale
spreadsheet is read, its rejects and salts files are written back in GB18030 and read back the
same; a file in the wrong encoding is one error naming the file, the line and the encoding to
try; a UTF-8 file given as GB18030 is refused rather than turned into other characters."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

import pytest
from shared_fixtures import invoke_command

from civic_ledger.bulk.identities import read_identities_csv
from civic_ledger.bulk.rejects import write_rejects
from civic_ledger.cli import identity as identity_cli
from civic_ledger.core.commitments import commitment
from civic_ledger.core.csvfile import check_encoding, read_csv_text
from civic_ledger.core.exceptions import InputError, RegistrationsFileError
from civic_ledger.identity.registrations import write_salts_csv

GB = "gb18030"
CONTROLLER = "0x" + "5a" * 20


def _ids_file(path: Path, tag: str, encoding: str) -> Path:
    text = (
        "official_id,kind,controller\n"
        f"朝阳区-{tag}-1,person,{CONTROLLER}\n"
        f"朝阳区-{tag}-2,robot,{CONTROLLER}\n"  # line 3: a bad kind
    )
    path.write_bytes(text.encode(encoding))
    return path


def test_gb18030_rows_rejects_and_salts_round_trip(tmp_path: Path) -> None:
    source = _ids_file(tmp_path / "ids.csv", "X", GB)
    rows, bad = read_identities_csv(source, encoding=GB)
    assert [r.official_id for r in rows] == ["朝阳区-X-1"]
    assert [e.line for e in bad] == [3]

    rejects = tmp_path / "ids.rejects.csv"
    write_rejects(source, bad, rejects, encoding=GB)
    back = list(csv.reader(io.StringIO(rejects.read_bytes().decode(GB), newline="")))
    assert back[1][:3] == ["3", bad[0].reason, "朝阳区-X-2"]

    salts = tmp_path / "salts.csv"
    write_salts_csv(salts, rows, encoding=GB)
    write_salts_csv(salts, rows, encoding=GB)  # a re-run appends nothing
    saved = list(csv.DictReader(io.StringIO(salts.read_bytes().decode(GB), newline="")))
    assert [s["official_id"] for s in saved] == ["朝阳区-X-1"]
    # the commitment is over the id's UTF-8 bytes whatever the file's encoding
    assert saved[0]["subject"] == "0x" + commitment(rows[0].salt, "朝阳区-X-1").hex()
    again, _ = read_identities_csv(source, salts, encoding=GB)  # salts reused from the table
    assert again[0].salt == rows[0].salt


def test_a_gb18030_byte_order_mark_and_a_utf8_one_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffa,b\n朝,1\n".encode(GB))
    assert read_csv_text(path, InputError, encoding=GB) == "a,b\n朝,1\n"
    path.write_bytes("\ufeffa,b\n朝,1\n".encode("utf-8"))
    assert read_csv_text(path, InputError) == "a,b\n朝,1\n"


def test_the_wrong_encoding_names_file_line_and_the_encoding_to_try(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_bytes("official_id,kind\nA-1,person\n朝阳区-1,person\n".encode(GB))
    with pytest.raises(InputError) as refused:
        read_csv_text(path, InputError)
    message = str(refused.value)
    assert f"{path}:3:" in message and "not utf-8" in message and "--encoding gb18030" in message

    path.write_text("official_id\n朝阳区-1\n", encoding="utf-8")
    with pytest.raises(InputError, match="UTF-8 text, not gb18030"):
        read_csv_text(path, InputError, encoding=GB)


def test_unknown_encodings_and_unwritable_characters_are_refused(tmp_path: Path) -> None:
    assert check_encoding("GB18030") == GB and check_encoding("UTF8") == "utf-8"
    for name in ("klingon", "rot13", ""):
        with pytest.raises(ValueError):
            check_encoding(name)
    rows, _ = read_identities_csv(_ids_file(tmp_path / "ids.csv", "Y", "utf-8"))
    with pytest.raises(RegistrationsFileError, match="cannot be written as ascii"):
        write_salts_csv(tmp_path / "salts.csv", rows, encoding="ascii")


# ------------------------------------------------------------------ the command on a chain


def _invoke(suite: Any, *args: str) -> Any:
    return invoke_command(
        identity_cli.identity.commands["batch-register"], suite, *args, account="TEST::1"
    )


def test_batch_register_reads_and_writes_gb18030(suite: Any, tmp_path: Path) -> None:
    tag = os.urandom(3).hex()
    source = tmp_path / "ids.csv"
    source.write_bytes(
        f"official_id,kind,controller\n朝阳区-{tag},person,0x{os.urandom(20).hex()}\n".encode(GB)
    )
    salts = tmp_path / "salts.csv"
    args = [str(source), "--salts-out", str(salts), "--journal", str(tmp_path / "j.jsonl")]
    wrong = _invoke(suite, *args)
    assert wrong.exit_code == 1 and "ids.csv:2" in wrong.text, wrong.text
    assert "--encoding gb18030" in wrong.text and not salts.exists()

    done = _invoke(suite, *args, "--encoding", GB)
    assert done.exit_code == 0 and "imported 1 identities" in done.text, done.text
    saved = list(csv.DictReader(io.StringIO(salts.read_bytes().decode(GB), newline="")))
    assert saved[0]["official_id"] == f"朝阳区-{tag}".upper()
    assert suite["IdentityRegistry"].isActive(saved[0]["subject"])
    bad = _invoke(suite, *args, "--encoding", "klingon")
    assert bad.exit_code == 2 and "--encoding" in bad.text, bad.text
