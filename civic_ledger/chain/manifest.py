"""Deployment manifest: `deployments/<network>.json`, written atomically after every step, and
the one opener every command uses (`open_manifest`): right file, right chain (chain id AND
genesis hash), contracts still there.

It records what the deploy plan did on one chain, so a re-run can verify instead of redo, and a
crash midway can resume: every transaction is journaled as `pending` (with its hash and nonce)
*before* it is sent, and moved to `steps` once mined.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from civic_ledger.chain.client import ChainRef
from civic_ledger.core.encoding import ADDRESS
from civic_ledger.core.exceptions import ChainMismatch, ManifestError

MANIFEST_VERSION = 1
_HASH = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")


@dataclass
class Manifest:
    path: Path
    network: str
    chain_id: int
    genesis_hash: str
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def new(cls, path: Path, network: str, chain_id: int, genesis_hash: str) -> Manifest:
        data = {
            "version": MANIFEST_VERSION,
            "network": network,
            "chain_id": chain_id,
            "genesis_hash": genesis_hash,
            "compiler": {},
            "deployer": None,
            "contracts": {},
            "steps": {},
            "pending": {},
            "roles": {},
        }
        return cls(path, network, chain_id, genesis_hash, data)

    def has_genesis(self, genesis_hash: bytes | str) -> bool:
        """Whether `genesis_hash` (bytes, or hex with or without 0x) is the recorded one."""
        given = genesis_hash.hex() if isinstance(genesis_hash, bytes | bytearray) else genesis_hash
        return _bare_hex(given) == _bare_hex(self.genesis_hash)

    @classmethod
    def load(cls, path: Path) -> Manifest:
        """Read and check a manifest; every defect is a ManifestError naming the file."""
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ManifestError(f"{path}: not a manifest (not UTF-8 text)") from None
        except OSError as exc:
            raise ManifestError(f"{path}: cannot read the manifest ({exc.strerror})") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ManifestError(
                f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})"
            ) from None
        except RecursionError:
            raise ManifestError(f"{path}: not valid JSON (nested too deeply)") from None
        if not isinstance(data, dict):
            raise ManifestError(f"{path}: not a manifest (a JSON object is expected)")
        if data.get("version") != MANIFEST_VERSION:
            raise ManifestError(f"{path}: unsupported manifest version {data.get('version')!r}")
        for key in ("contracts", "steps", "pending", "roles", "compiler"):
            data.setdefault(key, {})
            if not isinstance(data[key], dict):
                raise ManifestError(f"{path}: '{key}' must be a JSON object")
        network, chain_id, genesis = (data.get(k) for k in ("network", "chain_id", "genesis_hash"))
        if not isinstance(network, str) or not network:
            raise ManifestError(f"{path}: 'network' is missing or not a name")
        if isinstance(chain_id, str) and chain_id.strip().isdigit():
            chain_id = int(chain_id)
        if isinstance(chain_id, bool) or not isinstance(chain_id, int) or chain_id <= 0:
            raise ManifestError(f"{path}: 'chain_id' must be a positive whole number")
        if not isinstance(genesis, str) or not _HASH.match(genesis):
            raise ManifestError(f"{path}: 'genesis_hash' must be a 32-byte hex hash")
        return cls(path, network, chain_id, genesis, data)

    def save(self) -> None:
        """Write atomically: a crash never leaves a half-written manifest."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        with os.fdopen(fd, "w") as handle:
            json.dump(self.data, handle, indent=2, sort_keys=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)

    # -- typed accessors -------------------------------------------------------------------

    @property
    def contracts(self) -> dict[str, dict[str, Any]]:
        return self.data["contracts"]

    @property
    def steps(self) -> dict[str, dict[str, Any]]:
        return self.data["steps"]

    @property
    def pending(self) -> dict[str, dict[str, Any]]:
        return self.data["pending"]

    @property
    def first_block(self) -> int:
        """The block of the deployment's first contract (where its logs start), 0 when the
        manifest records none: reads of the suite's events need not look earlier."""
        blocks = [
            e["block"] for e in self.contracts.values()
            if isinstance(e, dict) and isinstance(e.get("block"), int) and e["block"] >= 0
        ]  # fmt: skip
        return min(blocks, default=0)

    def address_of(self, name: str) -> str:
        entry = self.contracts.get(name)
        if entry is None:
            raise ManifestError(f"{self.path}: no contract '{name}' deployed")
        address = entry.get("address") if isinstance(entry, dict) else None
        if not isinstance(address, str) or not ADDRESS.match(address):
            raise ManifestError(f"{self.path}: contract '{name}' has no valid address")
        return address


def check_chain(manifest: Manifest, chain: ChainRef) -> None:
    """Raise ChainMismatch (one sentence naming both chains) unless `manifest` was written for
    `chain`: the chain id alone is not enough (every dev chain is 1337 or 31337)."""
    if manifest.chain_id != chain.chain_id:
        raise ChainMismatch(
            f"{manifest.path} is for chain {manifest.chain_id}, but the connected chain is "
            f"{chain.chain_id}: pick the right --network (or --manifest)"
        )
    if not manifest.has_genesis(chain.genesis):
        raise ChainMismatch(
            f"{manifest.path} is for another chain with id {manifest.chain_id} (genesis block "
            f"{_bare_hex(manifest.genesis_hash)[:8]}…, connected: {_bare_hex(chain.genesis)[:8]}…): "
            "pick the right --network or --manifest"
        )


def first_contract_alive(manifest: Manifest, code_at: Any) -> bool:
    """Whether the manifest's first contract still has code (`code_at(address) -> bytes`); a
    dev chain restarted from the same genesis keeps its id and genesis but not its state."""
    for entry in manifest.contracts.values():
        return bool(code_at(entry["address"]))
    return True


def open_manifest(path: Path, chain: ChainRef, code_at: Any | None = None) -> Manifest:
    """The manifest at `path`, checked against the connected `chain` (and, given `code_at`,
    that its contracts are still there). Every refusal is one sentence saying what to do."""
    if not path.exists():
        raise ManifestError(
            f"no deployment manifest at {path}: run `ape run deploy --network ...` first"
        )
    manifest = Manifest.load(path)
    check_chain(manifest, chain)
    if code_at is not None and not first_contract_alive(manifest, code_at):
        name = next(iter(manifest.contracts))
        raise ManifestError(
            f"{path}: no {name} contract at {manifest.contracts[name]['address']} on the "
            "connected chain (the chain was reset or the manifest is stale): deploy again "
            "with `ape run deploy`"
        )
    return manifest


def manifest_path(network_name: str, folder: Path | None = None) -> Path:
    """`deployments/<network>.json` (the network part of Ape's `ecosystem:network:provider`)."""
    from civic_ledger.core.paths import DEPLOYMENTS_DIR

    return (folder or DEPLOYMENTS_DIR) / f"{network_name}.json"


def _bare_hex(text: str) -> str:
    return str(text).lower().removeprefix("0x")
