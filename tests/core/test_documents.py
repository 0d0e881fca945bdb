"""Document arguments are unambiguous (issue #14): a hash, @file, text:..., or plain text that
names no file; a text naming a file is refused instead of hashing differently per directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_utils import keccak

from civic_ledger.core.documents import document_hash


def test_the_four_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    deed = tmp_path / "deed.pdf"
    deed.write_bytes(b"%PDF signed deed")
    assert document_hash("0x" + "ab" * 32) == bytes.fromhex("ab" * 32)
    assert document_hash(f"@{deed}") == keccak(b"%PDF signed deed")
    assert document_hash("@deed.pdf") == keccak(b"%PDF signed deed")
    assert document_hash("text:deed.pdf") == keccak(text="deed.pdf")
    assert document_hash("CASE-2026-114") == keccak(text="CASE-2026-114")


def test_text_naming_a_file_is_refused_in_every_directory(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "README.md").write_text("hello")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=r"names a file: write @README.md .* text:README.md"):
        document_hash("README.md")
    monkeypatch.chdir(tmp_path.parent)  # elsewhere the same word is plain text
    assert document_hash("README.md") == keccak(text="README.md")


@pytest.mark.parametrize(
    ("value", "words"),
    [("", "empty"), ("@/no/such/file", "no file at"), ("0x1234", "looks like a hash"),
     ("0X" + "ab" * 31, "looks like a hash")],
)  # fmt: skip
def test_unusable_arguments_are_refused(value: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        document_hash(value)
