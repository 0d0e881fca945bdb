"""Where the devnet lives and how it is shaped: paths, ports, chain id, the project's EVM fork.

Everything here is plain data; nothing starts a process or touches the network.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from civic_ledger.core.exceptions import CivicError

REPO_ROOT = Path(__file__).resolve().parents[2]

#: go-ethereum release that the devnet runs: the last one that seals Clique blocks.
GETH_VERSION = "1.13.15"

#: geth dials at most MaxPeers / 3 peers (its DialRatio), static peers included: a node whose
#: dial slots are all taken never dials a static peer it lost in a cut, and when that peer's
#: slots are taken too the link stays down for good (seen: a 5-node devnet with MaxPeers 8,
#: 2 dial slots for 4 static peers, kept a node at 3 peers for minutes after a heal).
GETH_DIAL_RATIO = 3


def geth_max_peers(static_peers: int) -> int:
    """geth's MaxPeers for a node with `static_peers`: a dial slot for every static peer (and
    geth's default floor of 25 for the inbound ones)."""
    return max(25, GETH_DIAL_RATIO * (static_peers + 1))


#: Chain id of the city's private devnet (`city-devnet` in ape-config.yaml).
DEVNET_CHAIN_ID = 7341
DEVNET_NETWORK_NAME = "city-devnet"

#: Dev-only defaults. The seed makes every devnet key reproducible (and therefore public):
#: never fund these keys on a chain that matters.
DEFAULT_SEED = "civic-ledger-devnet"
DEFAULT_PASSPHRASE = "civic-devnet-only"
PASSPHRASE_ENV = "CIVIC_PASSPHRASE"
SEED_ENV = "CIVIC_DEVNET_SEED"

DEFAULT_NODES = 4
DEFAULT_PERIOD = 1  # seconds between Clique blocks
DEFAULT_GAS_LIMIT = 30_000_000
DEFAULT_HTTP_PORT = 8645  # node i serves JSON-RPC on DEFAULT_HTTP_PORT + i
DEFAULT_P2P_PORT = 30403
DEFAULT_AUTHRPC_PORT = 8751
#: In `--hosts` mode every node has its own address, so all use the standard ports.
HOSTS_HTTP_PORT = 8545
HOSTS_P2P_PORT = 30303
HOSTS_AUTHRPC_PORT = 8551
#: Prefunded balance of each agency account and each signer (wei).
AGENCY_BALANCE = 1_000_000 * 10**18
SIGNER_BALANCE = 1_000 * 10**18

#: EVM forks in activation order (the names solc and ape-config.yaml use).
FORK_ORDER: tuple[str, ...] = (
    "homestead",
    "tangerineWhistle",
    "spuriousDragon",
    "byzantium",
    "constantinople",
    "petersburg",
    "istanbul",
    "berlin",
    "london",
    "paris",
    "shanghai",
    "cancun",
    "prague",
)


class DevnetError(CivicError):
    """A devnet operation failed in a way the operator has to act on."""


def passphrase() -> str:
    """Keystore passphrase for devnet accounts: $CIVIC_PASSPHRASE, else the documented dev value."""
    return os.environ.get(PASSPHRASE_ENV) or DEFAULT_PASSPHRASE


def seed() -> str:
    """Seed for the deterministic devnet keys: $CIVIC_DEVNET_SEED, else the documented default."""
    return os.environ.get(SEED_ENV) or DEFAULT_SEED


def project_evm_version(root: Path = REPO_ROOT) -> str:
    """The project's single EVM fork, read from `solidity: evm_version:` in ape-config.yaml."""
    path = root / "ape-config.yaml"
    if not path.is_file():
        raise DevnetError(f"{path} not found: cannot read solidity.evm_version")
    data = yaml.safe_load(path.read_text()) or {}
    version = (data.get("solidity") or {}).get("evm_version")
    if not version:
        raise DevnetError(f"{path} sets no solidity.evm_version")
    version = str(version)
    if version not in FORK_ORDER:
        raise DevnetError(f"unknown evm_version {version!r} in {path}; known: {FORK_ORDER}")
    return version


def fork_at_least(evm_version: str, fork: str) -> bool:
    return FORK_ORDER.index(evm_version) >= FORK_ORDER.index(fork)


def geth_binary() -> Path | None:
    """The geth to run: $GETH_BIN, the cached build in .cache/bin, or `geth` on PATH."""
    explicit = os.environ.get("GETH_BIN")
    if explicit:
        return Path(explicit) if Path(explicit).is_file() else None
    cached = REPO_ROOT / ".cache" / "bin" / "geth"
    if cached.is_file() and os.access(cached, os.X_OK):
        return cached
    found = shutil.which("geth")
    return Path(found) if found else None


def file_in(folder: str, name: str) -> Any:
    """A read-only property: the path `name` inside the folder (a Path) held by the object's
    attribute `folder`."""
    return property(lambda self: getattr(self, folder) / name, doc=f"{folder} / {name!r}")


@dataclass(frozen=True)
class DevnetConfig:
    """Shape of one local devnet. Node i uses ports base + i; `root` holds all its state."""

    root: Path = field(default_factory=lambda: REPO_ROOT / ".devnet")
    nodes: int = DEFAULT_NODES
    chain_id: int = DEVNET_CHAIN_ID
    period: int = DEFAULT_PERIOD
    gas_limit: int = DEFAULT_GAS_LIMIT
    http_port: int = DEFAULT_HTTP_PORT
    p2p_port: int = DEFAULT_P2P_PORT
    authrpc_port: int = DEFAULT_AUTHRPC_PORT
    seed: str = DEFAULT_SEED
    evm_version: str = "london"
    #: Each node in its own network namespace (`civic_dev.devnet.hosts`), plus an RPC node.
    hosts: bool = False
    #: Which 198.18.<k>.0/24 the hosts use (k = subnet; tests pick one of their own).
    subnet: int = 0

    def __post_init__(self) -> None:
        if self.nodes < 1:
            raise ValueError("a devnet needs at least one node")
        if self.period < 1:
            raise ValueError("block period must be >= 1 s (period 0 seals only on demand)")

    def node_dir(self, index: int) -> Path:
        return self.root / f"node{index}"

    genesis_path = file_in("root", "genesis.json")
    manifest_path = file_in("root", "devnet.json")
