"""The local Clique devnet as a whole: prepare, up, down, status, signer votes."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from civic_dev.devnet import clique
from civic_dev.devnet.accounts import agency_aliases, devnet_roles_yaml
from civic_dev.devnet.config import (
    AGENCY_BALANCE,
    GETH_VERSION,
    SIGNER_BALANCE,
    DevnetConfig,
    DevnetError,
)
from civic_dev.devnet.genesis import clique_genesis
from civic_dev.devnet.keys import Key, derive_key, write_ape_account
from civic_dev.devnet.nodes import (
    NodeSpec,
    finish_init,
    log_tail,
    node_specs,
    prepare_node,
    running_pid,
    start_node,
    stop_node,
)
from civic_ledger.chain.client import HttpClient
from civic_ledger.core.exceptions import RpcError


@dataclass
class NodeStatus:
    name: str
    url: str
    pid: int | None
    head: int | None = None
    head_hash: str | None = None
    peers: int | None = None
    signers: list[str] = field(default_factory=list)
    signer: str = ""
    sealed_recent: int | None = None
    error: str | None = None


@dataclass
class UpReport:
    started: list[str]
    already_running: list[str]
    seconds: float
    rotation: list[clique.Sealed]


class LocalDevnet:
    """N geth Clique signers on 127.0.0.1, all state under `cfg.root` (default `.devnet/`)."""

    def __init__(self, cfg: DevnetConfig, geth: Path | None = None) -> None:
        self.cfg = cfg
        self.geth = geth
        seed = cfg.seed
        self.signer_keys = [derive_key(seed, "signer", i) for i in range(cfg.nodes)]
        self.node_keys = [derive_key(seed, "node", i) for i in range(cfg.nodes)]
        self.agencies: dict[str, Key] = {
            alias: derive_key(seed, f"agency:{alias}", 0) for alias in agency_aliases()
        }
        self.nodes: list[NodeSpec] = node_specs(cfg, self.signer_keys, self.node_keys)

    # --- files -----------------------------------------------------------------------------

    @property
    def roles_file(self) -> Path:
        """Roles file for `ape run deploy --roles` on this devnet (see devnet.accounts)."""
        return self.cfg.root / "roles.city-devnet.yaml"

    def genesis(self) -> dict[str, Any]:
        balances = {k.address: AGENCY_BALANCE for k in self.agencies.values()}
        balances.update({k.address: SIGNER_BALANCE for k in self.signer_keys})
        return clique_genesis(
            chain_id=self.cfg.chain_id,
            signers=[k.address for k in self.signer_keys],
            balances=balances,
            evm_version=self.cfg.evm_version,
            period=self.cfg.period,
            gas_limit=self.cfg.gas_limit,
        )

    def manifest(self) -> dict[str, Any]:
        return {
            "geth": GETH_VERSION,
            "chain_id": self.cfg.chain_id,
            "period": self.cfg.period,
            "evm_version": self.cfg.evm_version,
            "seed": self.cfg.seed,
            "nodes": [
                {
                    "name": n.name,
                    "url": n.url,
                    "signer": n.signer.address,
                    "enode": n.enode,
                    "p2p_port": n.p2p_port,
                    "authrpc_port": n.authrpc_port,
                }
                for n in self.nodes
            ],
            "agencies": {alias: key.address for alias, key in self.agencies.items()},
        }

    def _check_existing(self) -> None:
        path = self.cfg.manifest_path
        if not path.exists():
            return
        old = json.loads(path.read_text())
        new = self.manifest()
        for key in ("chain_id", "period", "evm_version", "seed", "nodes", "agencies"):
            if old.get(key) != new[key]:
                raise DevnetError(
                    f"{self.cfg.root} holds a devnet with a different {key!r} setting; "
                    "stop it and start afresh (`down --clean`, or `up --fresh`)"
                )

    def prepare(self, passphrase: str) -> None:
        """Write genesis, keys and configs and init every data dir (idempotent)."""
        if self.geth is None:
            raise DevnetError("no geth binary: run tools/build-geth.sh")
        self._check_existing()
        self.cfg.root.mkdir(parents=True, exist_ok=True)
        self.cfg.genesis_path.write_text(json.dumps(self.genesis(), indent=2) + "\n")
        inits = [
            (node, prepare_node(self.geth, self.cfg, node, self.nodes, passphrase))
            for node in self.nodes
        ]
        for node, process in inits:
            if process is not None:
                finish_init(node, process)
        self.cfg.manifest_path.write_text(json.dumps(self.manifest(), indent=2) + "\n")
        roles = devnet_roles_yaml()
        if roles is not None:
            self.roles_file.write_text(roles)

    def write_ape_accounts(self, data_folder: Path, passphrase: str) -> dict[str, str]:
        """Keystores for the agency accounts in Ape's data folder: {alias: outcome}."""
        return {
            alias: write_ape_account(data_folder, alias, key, passphrase)
            for alias, key in self.agencies.items()
        }

    # --- processes -------------------------------------------------------------------------

    def rpc(self, index: int = 0, timeout: float = 5.0) -> HttpClient:
        return HttpClient(self.nodes[index].url, timeout=timeout)

    def running(self) -> list[NodeSpec]:
        return [n for n in self.nodes if running_pid(n) is not None]

    def start(self, node: NodeSpec, timeout: float = 60.0, mine: bool = True) -> None:
        """Start one node and wait for its JSON-RPC. With `mine` it seals as soon as it can
        (`miner_start`): right for a node (re)joining a running devnet."""
        self.start_many([node], timeout=timeout, mine=mine)

    def start_many(self, nodes: list[NodeSpec], timeout: float = 60.0, mine: bool = True) -> None:
        """Launch the nodes' geth processes together, then wait for each one's JSON-RPC."""
        if self.geth is None:
            raise DevnetError("no geth binary: run tools/build-geth.sh")
        for node in nodes:
            start_node(self.geth, node, mine=False)
        for node in nodes:
            rpc = HttpClient(node.url, timeout=5.0)
            relaunched: list[NodeSpec] = []

            def ready(
                node: NodeSpec = node, rpc: HttpClient = rpc, again: list = relaunched
            ) -> bool:
                if running_pid(node) is None:
                    if again:  # it exited twice: a real failure, with geth's own last words
                        raise DevnetError(f"{node.name} exited during start:\n{log_tail(node)}")
                    # geth 1.13 has been seen to panic once while unlocking its keystore on a
                    # loaded machine: relaunch it once (same datadir, nothing was sealed yet)
                    again.append(node)
                    start_node(self.geth, node, mine=False)
                    return False
                return rpc.alive()

            clique.wait_until(ready, timeout, f"{node.name} JSON-RPC at {node.url}", interval=0.1)
            if mine:
                rpc.call("miner_start")

    def stop(self, node: NodeSpec) -> bool:
        return stop_node(node)

    def up(self, passphrase: str, timeout: float = 120.0) -> UpReport:
        """Prepare, start every node that is not running, wait for full peering, then let all
        signers begin sealing together and wait until each one has taken its turn (sealed a
        block of the canonical chain).

        Starting the sealers together matters: signers that come up one by one seal the first
        blocks out of turn and fork, which takes geth's 10 s sync cycle to repair."""
        begin = time.monotonic()
        self.prepare(passphrase)
        idle = [n for n in self.nodes if running_pid(n) is None]
        already = [n.name for n in self.nodes if n not in idle]
        self.start_many(idle, mine=False)
        self.wait_peers(timeout=timeout)
        since = self.rpc(0).block_number() + 1
        for node in self.nodes:
            HttpClient(node.url, timeout=5.0).call("miner_start")
        rotation = clique.wait_for_rotation(
            self.rpc(0), clique.signers(self.rpc(0)), timeout=timeout, since=since
        )
        return UpReport([n.name for n in idle], already, time.monotonic() - begin, rotation)

    def wait_peers(self, timeout: float = 60.0, nodes: list[NodeSpec] | None = None) -> None:
        nodes = nodes or self.nodes
        want = len(self.nodes) - 1

        def connected() -> bool:
            return all(
                int(HttpClient(n.url, timeout=5.0).call("net_peerCount"), 16) >= want for n in nodes
            )

        clique.wait_until(connected, timeout, f"every node to have {want} peers")

    def down(self, clean: bool = False) -> list[str]:
        stopped = [n.name for n in self.nodes if stop_node(n)]
        if clean and self.cfg.root.exists():
            if not self.cfg.manifest_path.exists() and any(self.cfg.root.iterdir()):
                raise DevnetError(f"{self.cfg.root} has no devnet.json: refusing to delete it")
            shutil.rmtree(self.cfg.root)
        return stopped

    @staticmethod
    def retire_deploy_manifest(manifest: Path, archive_dir: Path) -> Path | None:
        """Move the deploy manifest of a deleted devnet chain out of the way (into
        `archive_dir`, timestamped), so the next `ape run deploy` starts anew instead of
        refusing a manifest whose contracts no longer exist. Returns the new path, or None."""
        if not manifest.exists():
            return None
        archive_dir.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        target = archive_dir / f"{manifest.stem}-{stamp}{manifest.suffix}"
        shutil.move(str(manifest), target)
        return target

    # --- observation -----------------------------------------------------------------------

    def status(self, recent: int = 20) -> list[NodeStatus]:
        rows = []
        for node in self.nodes:
            row = NodeStatus(node.name, node.url, running_pid(node), signer=node.signer.address)
            rows.append(row)
            if row.pid is None:
                continue
            rpc = HttpClient(node.url, timeout=3)
            try:
                head = rpc.block()
                row.head = int(head["number"], 16)
                row.head_hash = head["hash"]
                row.peers = int(rpc.call("net_peerCount"), 16)
                row.signers = clique.signers(rpc)
                first = max(1, row.head - recent + 1)
                blocks = clique.sealed(rpc, range(first, row.head + 1))
                row.sealed_recent = sum(1 for b in blocks if b.signer == node.signer.address)
            except RpcError as exc:
                row.error = str(exc)
        return rows

    def signer_nodes(self, current: list[str]) -> list[HttpClient]:
        """RPC clients of the running nodes whose signer is in `current`."""
        return [
            HttpClient(n.url, timeout=5.0)
            for n in self.nodes
            if n.signer.address in current and running_pid(n) is not None
        ]

    def vote(self, address: str, authorize: bool, timeout: float = 90.0) -> tuple[list[str], float]:
        running = self.running()
        if not running:
            raise DevnetError("the devnet is not running")
        current = clique.signers(HttpClient(running[0].url, timeout=5.0))
        rpcs = self.signer_nodes(current)
        if not rpcs:
            raise DevnetError("none of the current signers runs on this devnet")
        return clique.vote(rpcs, current, address, authorize, timeout=timeout)


def load_config(
    root: Path | None = None,
    *,
    nodes: int | None = None,
    period: int | None = None,
    seed: str | None = None,
    evm_version: str | None = None,
) -> DevnetConfig:
    """The devnet's config: explicit arguments, else what `root/devnet.json` recorded, else the
    defaults. The EVM fork defaults to the project's `solidity.evm_version`."""
    from civic_dev.devnet.config import project_evm_version
    from civic_dev.devnet.config import seed as default_seed

    base = DevnetConfig() if root is None else DevnetConfig(root=root)
    recorded: dict[str, Any] = {}
    if base.manifest_path.exists():
        recorded = json.loads(base.manifest_path.read_text())
    return DevnetConfig(
        root=base.root,
        nodes=nodes or len(recorded.get("nodes", [])) or base.nodes,
        period=period or recorded.get("period") or base.period,
        chain_id=recorded.get("chain_id", base.chain_id),
        seed=seed or recorded.get("seed") or default_seed(),
        evm_version=evm_version or project_evm_version(),
    )
