"""Salted commitments: how a person's or enterprise's official id becomes an on-chain subject.

The chain only ever sees `keccak256(abi.encodePacked(salt, officialId))` — 32 random bytes of
salt followed by the UTF-8 official id. The identity office keeps (salt, official id) off chain;
without the salt, nobody can confirm a guessed id against the chain.
"""

from __future__ import annotations

import secrets
import unicodedata

from eth_utils import keccak

SALT_BYTES = 32


def make_salt() -> bytes:
    """32 fresh random bytes from the OS's cryptographic generator."""
    return secrets.token_bytes(SALT_BYTES)


def parse_salt(value: str | bytes) -> bytes:
    """A salt given as 32 raw bytes or as 64 hex digits (with or without 0x)."""
    if isinstance(value, bytes):
        salt = value
    else:
        text = value.strip().removeprefix("0x").removeprefix("0X")
        try:
            salt = bytes.fromhex(text)
        except ValueError:
            raise ValueError(f"salt {value!r} is not hexadecimal") from None
    if len(salt) != SALT_BYTES:
        raise ValueError(f"a salt is {SALT_BYTES} bytes, got {len(salt)}")
    return salt


def normalize_official_id(official_id: str) -> str:
    """The canonical spelling of an official id before hashing: Unicode NFKC, surrounding
    whitespace removed, letters upper-cased (so "11010519491231002x " and "11010519491231002X"
    commit to the same subject). Commands normalise; `commitment` itself hashes exactly what it
    is given, like the Solidity expression."""
    canonical = unicodedata.normalize("NFKC", official_id).strip().upper()
    if not canonical:
        raise ValueError("the official id is empty")
    return canonical


def commitment(salt: bytes, official_id: str) -> bytes:
    """`keccak256(abi.encodePacked(bytes32 salt, string officialId))`, the on-chain subject."""
    salt = parse_salt(salt)
    return keccak(salt + official_id.encode("utf-8"))


def new_subject(official_id: str) -> tuple[bytes, bytes]:
    """A fresh (salt, subject) pair for a normalised official id."""
    salt = make_salt()
    return salt, commitment(salt, normalize_official_id(official_id))
