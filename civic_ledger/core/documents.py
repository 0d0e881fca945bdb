"""Document arguments: how every command turns "the document" into the bytes32 the contracts
keep (documents themselves never go on chain).

One unambiguous rule, whatever the working directory:

- `0x` + 64 hex digits: the hash itself;
- `@PATH`: the keccak-256 of the file's bytes (`@-` is not accepted: name a file);
- `text:TEXT`: the keccak-256 of TEXT's UTF-8 bytes, whatever it looks like;
- anything else: the keccak-256 of the text (e.g. a case number) — unless it names an existing
  file, or looks like a hash of the wrong length, which is refused with a sentence saying which
  form to use (so `README.md` never hashes one way here and another way elsewhere).
"""

from __future__ import annotations

import re
from pathlib import Path

from eth_utils import keccak

from civic_ledger.core.encoding import HEX32

_HEXISH = re.compile(r"^0[xX][0-9a-fA-F]*$")
MAX_FILE_BYTES = 64 * 1024 * 1024


def content_hash(data: bytes) -> bytes:
    """The bytes32 a record keeps for a document: the keccak-256 of its bytes (what `@FILE`
    gives, and what the gateway's document service checks an upload against)."""
    return keccak(bytes(data))


def document_hash(value: str) -> bytes:
    """The bytes32 of a document argument (see the module docstring); ValueError naming the
    problem for an ambiguous or unusable one."""
    text = value.strip()
    if not text:
        raise ValueError("empty document reference")
    if HEX32.match(text):
        return bytes.fromhex(text[2:])
    if text.startswith("text:"):
        return keccak(text=text[len("text:") :])
    if text.startswith("@"):
        path = Path(text[1:]).expanduser()
        if not path.is_file():
            raise ValueError(f"no file at {path} (given as {text!r})")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ValueError(f"{path} is larger than {MAX_FILE_BYTES // 2**20} MiB")
        return content_hash(path.read_bytes())
    if _HEXISH.match(text):
        raise ValueError(
            f"{text!r} looks like a hash but is not 0x + 64 hex digits; to hash it as text "
            f"write text:{text}"
        )
    if Path(text).expanduser().is_file():
        raise ValueError(
            f"{text!r} names a file: write @{text} to hash the file, or text:{text} to hash "
            "the text"
        )
    return keccak(text=text)
