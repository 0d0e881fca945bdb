"""Keys for the devnet and the network kit.

Devnet keys are derived deterministically from a seed (so a fresh clone gets the same signer
set, node ids and agency addresses), which makes them public: they are for the local devnet
only. The network kit uses fresh random keys instead (`random_key`).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from eth_keys import keys as eth_keys
from eth_utils import keccak, to_checksum_address

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

#: scrypt cost for devnet keystores (dev keys from a public seed: no point in slow unlocking).
DEVNET_SCRYPT_N = 2**14
#: scrypt cost for the network kit's keystores (geth's standard cost).
KIT_SCRYPT_N = 2**18


@dataclass(frozen=True)
class Key:
    """A secp256k1 key with its Ethereum address and devp2p node id."""

    private: bytes

    def __post_init__(self) -> None:
        if len(self.private) != 32 or not 0 < int.from_bytes(self.private, "big") < SECP256K1_N:
            raise ValueError("not a valid secp256k1 private key")

    @property
    def hex(self) -> str:
        return "0x" + self.private.hex()

    @property
    def address(self) -> str:
        return to_checksum_address(eth_keys.PrivateKey(self.private).public_key.to_address())

    @property
    def node_id(self) -> str:
        """The uncompressed public key without its 0x04 prefix (128 hex chars), as in enode URLs."""
        return eth_keys.PrivateKey(self.private).public_key.to_bytes().hex()

    def enode(self, host: str, port: int) -> str:
        return f"enode://{self.node_id}@{host}:{port}"


def derive_key(seed: str, purpose: str, index: int) -> Key:
    """Deterministic key number `index` for `purpose` ("signer", "node", "agency", ...)."""
    material = f"civic-ledger/{seed}/{purpose}/{index}".encode()
    while True:
        digest = keccak(material)
        if 0 < int.from_bytes(digest, "big") < SECP256K1_N:
            return Key(digest)
        material = digest  # astronomically unlikely; keeps the function total


def random_key() -> Key:
    while True:
        candidate = secrets.token_bytes(32)
        if 0 < int.from_bytes(candidate, "big") < SECP256K1_N:
            return Key(candidate)


def keystore_json(key: Key, passphrase: str, scrypt_n: int) -> dict:
    """Web3 Secret Storage (v3) JSON, readable by geth, Ape and eth_account."""
    return Account.encrypt(key.private, passphrase, kdf="scrypt", iterations=scrypt_n)


def write_private(path: Path, text: str) -> None:
    """Write a secret file readable by its owner only (created 0600, never world-readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


def write_geth_keystore(keystore_dir: Path, key: Key, passphrase: str, scrypt_n: int) -> Path:
    """Put `key` into a geth keystore folder (geth reads every file there)."""
    path = keystore_dir / f"UTC--civic--{key.address[2:].lower()}"
    if not path.exists():
        write_private(path, json.dumps(keystore_json(key, passphrase, scrypt_n)))
    return path


def write_ape_account(
    data_folder: Path, alias: str, key: Key, passphrase: str, scrypt_n: int = DEVNET_SCRYPT_N
) -> str:
    """Create `<data_folder>/accounts/<alias>.json` without prompts.

    Returns "created", "exists" (same address already there) or "conflict" (the alias holds
    another address: left untouched, since it may be a real wallet)."""
    path = data_folder / "accounts" / f"{alias}.json"
    if path.exists():
        try:
            existing = json.loads(path.read_text()).get("address", "")
        except ValueError:
            return "conflict"
        return (
            "exists"
            if existing.lower().removeprefix("0x") == key.address[2:].lower()
            else ("conflict")
        )
    write_private(path, json.dumps(keystore_json(key, passphrase, scrypt_n)))
    return "created"
