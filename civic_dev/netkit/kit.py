"""Network kit: everything needed to run the city's PoA network on several machines.

    ape run network kit --validators 4 --out DIR [--hosts h1,h2,...] [--rpc-hosts r1,...]

writes, for geth Clique and (as the alternative) Besu QBFT: genesis, per-node config, systemd
units, static peer lists and a runbook, for the validators and for the non-signing RPC nodes
that applications (deploy, gateway, demo) use; keys go to DIR/secrets/ (0600 files, 0700
folders) to be moved onto each machine and then deleted from the kit.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from civic_dev.devnet import toml
from civic_dev.devnet.config import GETH_VERSION, geth_max_peers
from civic_dev.devnet.genesis import ChainParams, clique_genesis, qbft_genesis
from civic_dev.devnet.keys import (
    KIT_SCRYPT_N,
    Key,
    derive_key,
    keystore_json,
    random_key,
    write_private,
)
from civic_dev.netkit.docs import besu_runbook, geth_runbook, kit_readme
from civic_ledger.chain.logs import LogReader

P2P_PORT = 30303
RPC_PORT = 8545
DEFAULT_KIT_CHAIN_ID = 7340
DEFAULT_KIT_PERIOD = 5
DEFAULT_PREFUND_WEI = 1_000_000 * 10**18
#: RFC 5737 documentation addresses: placeholders that are never anyone's machine.
PLACEHOLDER_HOSTS = tuple(f"192.0.2.{10 + i}" for i in range(200))
PLACEHOLDER_RPC_HOSTS = tuple(f"198.51.100.{10 + i}" for i in range(200))

#: The Besu release the kit's files are written for (QBFT, London genesis, the options below).
#: Not run in this repository's environment (Besu is on no package registry it reaches).
BESU_VERSION = "24.12.2"
#: Blocks one eth_getLogs may span on the kit's Besu nodes: the most the gateway's LogReader
#: ever asks for (its `max_span`), so it is never refused (Besu's default is 1,000).
BESU_MAX_LOGS_RANGE = next(f.default for f in dataclasses.fields(LogReader) if f.name == "max_span")
#: What applications may call on an RPC node: reads, sending signed transactions, no admin.
RPC_NODE_APIS = ("eth", "net", "web3")
#: The Ape alias the kit README imports the generated operator account as.
OPERATOR_ALIAS = "city-operator"

GETH_ETC = "/etc/civic-ledger/geth"
GETH_DATA = "/var/lib/civic-ledger/geth"
BESU_ETC = "/etc/civic-ledger/besu"
BESU_DATA = "/var/lib/civic-ledger/besu"


@dataclass
class KitHost:
    """A node of the kit: its name, its host, and the p2p keys its enodes derive from."""

    name: str
    host: str
    geth_node_key: Key
    besu_node_key: Key

    @property
    def geth_enode(self) -> str:
        return self.geth_node_key.enode(self.host, P2P_PORT)

    @property
    def besu_enode(self) -> str:
        return self.besu_node_key.enode(self.host, P2P_PORT)


@dataclass
class KitNode(KitHost):
    """A signer: a Clique signer key besides its geth node key; on Besu its node key is its
    QBFT validator key."""

    clique_signer: Key

    @property
    def clique_node_key(self) -> Key:
        return self.geth_node_key

    @property
    def qbft_key(self) -> Key:
        return self.besu_node_key


@dataclass
class KitRpcNode(KitHost):
    """A non-signing node that serves JSON-RPC to applications (deploy, gateway, demo)."""


@dataclass
class KitSpec:
    out: Path
    validators: int = 4
    chain_id: int = DEFAULT_KIT_CHAIN_ID
    period: int = DEFAULT_KIT_PERIOD
    gas_limit: int = 30_000_000
    evm_version: str = "london"
    hosts: list[str] = field(default_factory=list)
    rpc_nodes: int = 1
    rpc_hosts: list[str] = field(default_factory=list)
    prefund: dict[str, int] = field(default_factory=dict)
    seed: str | None = None  # deterministic keys: tests and rehearsals only
    passphrase: str | None = None  # default: $CIVIC_PASSPHRASE, else a random one per node
    scrypt_n: int = KIT_SCRYPT_N  # keystore cost (tests lower it)

    def __post_init__(self) -> None:
        if self.validators < 1:
            raise ValueError("at least one validator")
        if self.hosts and len(self.hosts) != self.validators:
            raise ValueError(f"{len(self.hosts)} hosts given for {self.validators} validators")
        if self.rpc_nodes < 0:
            raise ValueError("rpc_nodes must be >= 0")
        if self.rpc_hosts and len(self.rpc_hosts) != self.rpc_nodes:
            raise ValueError(f"{len(self.rpc_hosts)} RPC hosts given for {self.rpc_nodes} RPC "
                             "nodes")  # fmt: skip


@dataclass
class KitResult:
    out: Path
    nodes: list[KitNode]
    files: list[Path]
    operator: str | None  # address of the generated operator account, if one was generated
    rpc_nodes: list[KitRpcNode] = field(default_factory=list)


def _key(spec: KitSpec, purpose: str, index: int) -> Key:
    return derive_key(spec.seed, purpose, index) if spec.seed else random_key()


def _passphrase(spec: KitSpec) -> str:
    return spec.passphrase or os.environ.get("CIVIC_PASSPHRASE") or secrets.token_urlsafe(24)


def _write(path: Path, text: str, files: list[Path], mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    files.append(path)


def _write_secret(path: Path, text: str, files: list[Path]) -> None:
    for parent in reversed(path.parents):
        if "secrets" in parent.parts and not parent.exists():
            parent.mkdir(mode=0o700)
    write_private(path, text)
    files.append(path)


def geth_node_config(
    spec: KitSpec, node: KitNode, nodes: list[KitNode], rpcs: list[KitRpcNode] | None = None
) -> str:
    tables = {
        "Eth": {"NetworkId": spec.chain_id, "SyncMode": "full"},
        "Eth.Miner": {"GasCeil": spec.gas_limit},
        "Node": {
            "DataDir": GETH_DATA,
            "KeyStoreDir": f"{GETH_ETC}/keystore",
            "IPCPath": f"{GETH_DATA}/geth.ipc",
            # Signers serve no HTTP: apps use separate RPC nodes (RUNBOOK.md), admins `geth
            # attach` over IPC. geth refuses --unlock next to HTTP unless told it's insecure.
            "HTTPHost": "",
            "AuthAddr": "127.0.0.1",
            "AuthPort": 8551,
        },
        # RPC nodes dial the signers; trusted, they are let in even when peers are full.
        "Node.P2P": _geth_p2p([n for n in nodes if n is not node], trusted=rpcs or []),
    }
    return toml.dumps(
        tables, comment=f"civic-ledger Clique signer {node.name} ({node.host}), geth {GETH_VERSION}"
    )


def _geth_p2p(static: list[KitNode], trusted: list[KitRpcNode] | None = None) -> dict[str, Any]:
    """geth's P2P table of a kit node: no discovery, `static` peers dialled, `trusted` let in."""
    table: dict[str, Any] = {
        "MaxPeers": geth_max_peers(len(static) + len(trusted or ())),
        "NoDiscovery": True,
        "BootstrapNodes": [],
        "BootstrapNodesV5": [],
        "StaticNodes": [n.geth_enode for n in static],
    }
    if trusted is not None:
        table["TrustedNodes"] = [r.geth_enode for r in trusted]
    table["ListenAddr"] = f":{P2P_PORT}"
    return table


def geth_rpc_config(spec: KitSpec, rpc: KitRpcNode, nodes: list[KitNode]) -> str:
    """A non-signing geth: follows the signers, serves eth/net/web3 over HTTP to applications
    (behind the operator's TLS proxy and firewall), never unlocks a key."""
    tables = {
        "Eth": {"NetworkId": spec.chain_id, "SyncMode": "full"},
        "Node": {
            "DataDir": GETH_DATA,
            "IPCPath": f"{GETH_DATA}/geth.ipc",
            "HTTPHost": "0.0.0.0",
            "HTTPPort": RPC_PORT,
            "HTTPModules": list(RPC_NODE_APIS),
            "HTTPVirtualHosts": sorted({"localhost", rpc.host}),
            "HTTPCors": [],
            "AuthAddr": "127.0.0.1",
            "AuthPort": 8551,
        },
        "Node.P2P": _geth_p2p(nodes),
    }
    return toml.dumps(
        tables, comment=f"civic-ledger Clique RPC node {rpc.name} ({rpc.host}), geth {GETH_VERSION}"
    )


def geth_rpc_flags() -> list[str]:
    """Command-line flags of every kit geth (an RPC node needs no others)."""
    return [f"--config={GETH_ETC}/config.toml", f"--nodekey={GETH_ETC}/nodekey", "--nat=none"]


def geth_flags(node: KitNode) -> list[str]:
    """A signer's flags: besides every geth's, those geth's TOML cannot hold (mining and
    account unlock)."""
    signer = node.clique_signer.address
    return [
        *geth_rpc_flags(),
        "--mine",
        f"--miner.etherbase={signer}",
        f"--unlock={signer}",
        f"--password={GETH_ETC}/password",
    ]


def _geth_unit(what: str, service: str, flags: list[str], after: str = "") -> str:
    """A geth node's systemd unit: geth started with `flags` (one a line), then `after`."""
    start = " \\\n    ".join(["ExecStart=/usr/local/bin/geth", *flags])
    return _unit(what, service, f"geth {GETH_VERSION}", f"{start}\n{after}", GETH_DATA)


def geth_rpc_unit(rpc: KitRpcNode) -> str:
    return _geth_unit(
        f"civic-ledger Clique RPC node {rpc.name}", "civic-geth-rpc", geth_rpc_flags()
    )


def geth_unit(node: KitNode) -> str:
    return _geth_unit(
        f"civic-ledger Clique signer {node.name}", "civic-geth", geth_flags(node),
        "# geth writes its state to disk on SIGTERM; give it time.\n",
    )  # fmt: skip


def _besu_config(
    host: KitHost, what: str, http_host: str, apis: list[str], allowed_hosts: list[str]
) -> str:
    """A Besu node's config.toml: the kit's genesis, key and static peers, no discovery, full
    sync, HTTP JSON-RPC on `http_host` with `apis` for `allowed_hosts`."""
    items = {
        "data-path": BESU_DATA,
        "genesis-file": f"{BESU_ETC}/genesis.json",
        "node-private-key-file": f"{BESU_ETC}/key",
        "static-nodes-file": f"{BESU_ETC}/static-nodes.json",
        "discovery-enabled": False,
        "p2p-host": host.host,
        "p2p-port": P2P_PORT,
        "sync-mode": "FULL",
        "rpc-http-enabled": True,
        "rpc-http-host": http_host,
        "rpc-http-port": RPC_PORT,
        "rpc-http-api": apis,
        "host-allowlist": allowed_hosts,
        "rpc-max-logs-range": BESU_MAX_LOGS_RANGE,
    }
    comment = f"civic-ledger QBFT {what} {host.name} ({host.host}), Besu {BESU_VERSION}"
    return toml.dumps({"": items}, comment=comment)


def besu_node_config(spec: KitSpec, node: KitNode) -> str:
    """A validator: JSON-RPC on loopback only, with the QBFT and txpool APIs for its operator."""
    apis = ["ETH", "NET", "WEB3", "QBFT", "TXPOOL"]
    return _besu_config(node, "validator", "127.0.0.1", apis, ["localhost", "127.0.0.1"])


def besu_rpc_config(spec: KitSpec, rpc: KitRpcNode) -> str:
    """A non-validating Besu serving applications: HTTP on every interface (the firewall and
    TLS proxy decide who reaches it), reads and raw sends only, and a log range the gateway's
    LogReader never exceeds."""
    apis = [a.upper() for a in RPC_NODE_APIS]
    return _besu_config(rpc, "RPC node", "0.0.0.0", apis, sorted({"localhost", rpc.host}))


def besu_unit(node: KitNode | KitRpcNode) -> str:
    role = "validator" if isinstance(node, KitNode) else "RPC node"
    return _unit(
        f"civic-ledger QBFT {role} {node.name}",
        "civic-besu",
        f"Hyperledger Besu {BESU_VERSION}",
        f"""Environment=BESU_OPTS=-Xmx4g
ExecStart=/opt/besu/bin/besu --config-file={BESU_ETC}/config.toml
""",
        BESU_DATA,
    )


def _unit(what: str, service: str, software: str, start: str, data_dir: str) -> str:
    """A node's systemd unit: `start` (its ExecStart lines) between what every node shares —
    the civic-ledger user, a graceful stop, restarts and the sandbox around `data_dir`."""
    return f"""# {what}: /etc/systemd/system/{service}.service
[Unit]
Description={what} ({software})
Wants=network-online.target
After=network-online.target

[Service]
User=civic-ledger
Group=civic-ledger
{start}KillSignal=SIGTERM
TimeoutStopSec=180
Restart=on-failure
RestartSec=5
LimitNOFILE=65536
NoNewPrivileges=true
ProtectSystem=strict
ProtectHome=true
PrivateTmp=true
ReadWritePaths={data_dir}

[Install]
WantedBy=multi-user.target
"""


_Host = TypeVar("_Host", bound=KitHost)


def _kit_hosts(
    spec: KitSpec, kind: type[_Host], prefix: str, addresses: Sequence[str], **key_purposes: str
) -> list[_Host]:
    """One host of `kind` per address, named `prefix`1, 2, ...; each key field (`geth_node_key`,
    `besu_node_key`, a signer's `clique_signer`) gets a key derived for its purpose (random
    without a seed)."""
    return [
        kind(
            name=f"{prefix}{i + 1}",
            host=address,
            **{key: _key(spec, purpose, i) for key, purpose in key_purposes.items()},
        )
        for i, address in enumerate(addresses)
    ]


def _write_besu_host(
    out: Path, host: KitHost, config: str, peers: list[str], files: list[Path]
) -> None:
    """A Besu host's folder (its config, static peers and systemd unit) and its node key."""
    folder = out / "besu-qbft" / host.name
    _write(folder / "config.toml", config, files)
    _write(folder / "static-nodes.json", json.dumps(peers, indent=2) + "\n", files)
    _write(folder / "civic-besu.service", besu_unit(host), files)
    _write_secret(out / "secrets" / "besu-qbft" / host.name / "key", host.besu_node_key.hex, files)


def write_kit(spec: KitSpec) -> KitResult:
    """Write the kit under `spec.out` (must be empty or absent). Returns what was written."""
    out = spec.out
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty: choose a new --out folder")
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    nodes = _kit_hosts(
        spec, KitNode, "node", spec.hosts or PLACEHOLDER_HOSTS[: spec.validators],
        geth_node_key="kit-clique-node", besu_node_key="kit-qbft-validator",
        clique_signer="kit-clique-signer",
    )  # fmt: skip
    rpcs = _kit_hosts(
        spec, KitRpcNode, "rpc", spec.rpc_hosts or PLACEHOLDER_RPC_HOSTS[: spec.rpc_nodes],
        geth_node_key="kit-clique-rpc-node", besu_node_key="kit-qbft-rpc-node",
    )  # fmt: skip

    # Funded accounts: the ones given, else one generated operator account (key in secrets/).
    prefund = dict(spec.prefund)
    operator: Key | None = None
    secrets_dir = out / "secrets"
    _write_secret(secrets_dir / ".gitignore", "*\n", files)
    if not prefund:
        operator = _key(spec, "kit-operator", 0)
        prefund[operator.address] = DEFAULT_PREFUND_WEI
        pw = _passphrase(spec)
        _write_secret(secrets_dir / "operator" / "password", pw + "\n", files)
        _write_secret(
            secrets_dir / "operator" / f"{operator.address}.json",
            json.dumps(keystore_json(operator, pw, spec.scrypt_n)),
            files,
        )

    chain = ChainParams(spec.chain_id, prefund, spec.evm_version, spec.period, spec.gas_limit)
    clique = clique_genesis(chain, [n.clique_signer.address for n in nodes])
    qbft = qbft_genesis(chain, [n.qbft_key.address for n in nodes])

    # geth Clique
    geth_dir = out / "clique-geth"
    _write(geth_dir / "genesis.json", json.dumps(clique, indent=2) + "\n", files)
    for node in nodes:
        _write(geth_dir / node.name / "config.toml", geth_node_config(spec, node, nodes, rpcs),
               files)  # fmt: skip
        _write(geth_dir / node.name / "geth.flags", "\n".join(geth_flags(node)) + "\n", files)
        _write(geth_dir / node.name / "civic-geth.service", geth_unit(node), files)
        sdir = secrets_dir / "clique-geth" / node.name
        pw = _passphrase(spec)
        _write_secret(sdir / "nodekey", node.clique_node_key.private.hex(), files)
        _write_secret(sdir / "password", pw + "\n", files)
        _write_secret(
            sdir / "keystore" / f"UTC--civic--{node.clique_signer.address[2:].lower()}",
            json.dumps(keystore_json(node.clique_signer, pw, spec.scrypt_n)),
            files,
        )
    for rpc in rpcs:
        _write(geth_dir / rpc.name / "config.toml", geth_rpc_config(spec, rpc, nodes), files)
        _write(geth_dir / rpc.name / "geth.flags", "\n".join(geth_rpc_flags()) + "\n", files)
        _write(geth_dir / rpc.name / "civic-geth-rpc.service", geth_rpc_unit(rpc), files)
        _write_secret(secrets_dir / "clique-geth" / rpc.name / "nodekey",
                      rpc.geth_node_key.private.hex(), files)  # fmt: skip
    _write(geth_dir / "RUNBOOK.md", geth_runbook(spec, nodes, rpcs), files)

    # Besu QBFT
    besu_dir = out / "besu-qbft"
    _write(besu_dir / "genesis.json", json.dumps(qbft, indent=2) + "\n", files)
    for node in nodes:
        peers = [n.besu_enode for n in nodes if n is not node]
        _write_besu_host(out, node, besu_node_config(spec, node), peers, files)
    for rpc in rpcs:
        _write_besu_host(out, rpc, besu_rpc_config(spec, rpc), [n.besu_enode for n in nodes],
                         files)  # fmt: skip
    _write(besu_dir / "RUNBOOK.md", besu_runbook(spec, nodes, rpcs), files)

    network = {
        "chain_id": spec.chain_id,
        "evm_version": spec.evm_version,
        "period": spec.period,
        "prefunded": sorted(prefund),
        "nodes": [
            {
                "name": n.name,
                "host": n.host,
                "clique_signer": n.clique_signer.address,
                "geth_enode": n.geth_enode,
                "qbft_validator": n.qbft_key.address,
                "besu_enode": n.besu_enode,
            }
            for n in nodes
        ],
        "rpc_nodes": [
            {
                "name": r.name,
                "host": r.host,
                "url": f"http://{r.host}:{RPC_PORT}",
                "geth_enode": r.geth_enode,
                "besu_enode": r.besu_enode,
            }
            for r in rpcs
        ],
        "besu_version": BESU_VERSION,
        "geth_version": GETH_VERSION,
    }
    _write(out / "network.json", json.dumps(network, indent=2) + "\n", files)
    _write(out / "README.md", kit_readme(spec, nodes, operator.address if operator else None,
                                         rpcs), files)  # fmt: skip
    return KitResult(out, nodes, files, operator.address if operator else None, rpcs)
