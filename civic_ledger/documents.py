"""Document arguments: how every command turns "the document" into the bytes32 the contracts
keep (documents themselves never go on chain)."""

from __future__ import annotations

import re
from pathlib import Path

from eth_utils import keccak

_HEX32 = re.compile(r"^0x[0-9a-fA-F]{64}$")


def document_hash(value: str) -> bytes:
    """0x + 64 hex digits as is, the keccak-256 of a file's bytes when `value` names an existing
    file, else the keccak-256 of the text itself (e.g. a case number)."""
    text = value.strip()
    if _HEX32.match(text):
        return bytes.fromhex(text[2:])
    if not text:
        raise ValueError("empty document reference")
    path = Path(text)
    if path.is_file():
        return keccak(path.read_bytes())
    return keccak(text=text)
