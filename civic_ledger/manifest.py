"""Deployment manifest: `deployments/<network>.json`, written atomically after every step.

It records what the deploy plan did on one chain (chain id + genesis hash), so a re-run can
verify instead of redo, and a crash midway can resume: every transaction is journaled as
`pending` (with its hash and nonce) *before* it is sent, and moved to `steps` once mined.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANIFEST_VERSION = 1


class ManifestError(RuntimeError):
    """The manifest does not belong to the connected chain or is damaged."""


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

    @classmethod
    def load(cls, path: Path) -> Manifest:
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise ManifestError(
                f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})"
            ) from None
        if data.get("version") != MANIFEST_VERSION:
            raise ManifestError(f"{path}: unsupported manifest version {data.get('version')!r}")
        for key in ("contracts", "steps", "pending", "roles", "compiler"):
            data.setdefault(key, {})
        return cls(path, data["network"], int(data["chain_id"]), data["genesis_hash"], data)

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

    def address_of(self, name: str) -> str:
        try:
            return self.contracts[name]["address"]
        except KeyError:
            raise ManifestError(f"{self.path}: no contract '{name}' deployed") from None


def manifest_path(network_name: str, folder: Path | None = None) -> Path:
    """`deployments/<network>.json` (the network part of Ape's `ecosystem:network:provider`)."""
    from civic_ledger.paths import DEPLOYMENTS_DIR

    return (folder or DEPLOYMENTS_DIR) / f"{network_name}.json"
