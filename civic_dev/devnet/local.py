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
from civic_dev.devnet.genesis import ChainParams, clique_genesis
from civic_dev.devnet.hosts import HostPlan, create_hosts, delete_hosts, plan_hosts
from civic_dev.devnet.keys import Key, derive_key, write_ape_account
from civic_dev.devnet.nodes import (
    NodeSpec,
    finish_init,
    host_node_specs,
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
    """N geth Clique signers on 127.0.0.1, all state under `cfg.root` (default `.devnet/`).

    With `cfg.hosts` every signer runs in its own network namespace (`hosts`) and a non-signing
    RPC node (`rpc_node`, HTTP open to the machine, never sealing) joins them: the node that
    deploy, the gateway and the demo talk to (`rpc_url`)."""

    def __init__(self, cfg: DevnetConfig, geth: Path | None = None) -> None:
        self.cfg = cfg
        self.geth = geth
        seed = cfg.seed
        self.signer_keys = [derive_key(seed, "signer", i) for i in range(cfg.nodes)]
        self.node_keys = [derive_key(seed, "node", i) for i in range(cfg.nodes)]
        self.agencies: dict[str, Key] = {
            alias: derive_key(seed, f"agency:{alias}", 0) for alias in agency_aliases()
        }
        self.plan: HostPlan | None = None
        self.deleted_hosts: list[str] = []  # what the last `down` deleted
        self.rpc_node: NodeSpec | None = None
        if cfg.hosts:
            self.plan = plan_hosts(cfg.subnet, cfg.nodes, rpc=True)
            rpc_key = derive_key(seed, "rpc-node", 0)
            self.nodes, self.rpc_node = host_node_specs(
                cfg, self.plan, self.signer_keys, self.node_keys, rpc_key
            )
        else:
            self.nodes = node_specs(cfg, self.signer_keys, self.node_keys)

    @property
    def all_nodes(self) -> list[NodeSpec]:
        """The signer nodes, then the RPC node if there is one."""
        return self.nodes + ([self.rpc_node] if self.rpc_node else [])

    @property
    def rpc_url(self) -> str:
        """Where applications connect: the RPC node if there is one, else signer node 0."""
        return (self.rpc_node or self.nodes[0]).url

    # --- files -----------------------------------------------------------------------------

    @property
    def roles_file(self) -> Path:
        """Roles file for `ape run deploy --roles` on this devnet (see devnet.accounts)."""
        return self.cfg.root / "roles.city-devnet.yaml"

    def genesis(self) -> dict[str, Any]:
        balances = {k.address: AGENCY_BALANCE for k in self.agencies.values()}
        balances.update({k.address: SIGNER_BALANCE for k in self.signer_keys})
        cfg = self.cfg
        chain = ChainParams(cfg.chain_id, balances, cfg.evm_version, cfg.period, cfg.gas_limit)
        return clique_genesis(chain, [k.address for k in self.signer_keys])

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
                    "signer": n.signer_address,
                    "enode": n.enode,
                    "p2p_port": n.p2p_port,
                    "authrpc_port": n.authrpc_port,
                }
                for n in self.nodes
            ],
            "hosts": None
            if self.plan is None
            else {
                "subnet": self.cfg.subnet,
                "bridge": self.plan.bridge,
                "machine_address": self.plan.gateway,
                "netns": {h.name: h.netns for h in self.plan.hosts},
            },
            "rpc": None
            if self.rpc_node is None
            else {"name": "rpc", "url": self.rpc_node.url, "enode": self.rpc_node.enode},
            # What applications use: `--network ethereum:city-devnet:<rpc_url>`.
            "rpc_url": self.rpc_url,
            "agencies": {alias: key.address for alias, key in self.agencies.items()},
        }

    def _check_existing(self) -> None:
        path = self.cfg.manifest_path
        if not path.exists():
            return
        old = json.loads(path.read_text())
        new = self.manifest()
        for key in ("chain_id", "period", "evm_version", "seed", "nodes", "agencies", "hosts"):
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
            (node, prepare_node(self.geth, self.cfg, node, self.all_nodes, passphrase))
            for node in self.all_nodes
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
        return [n for n in self.all_nodes if running_pid(n) is not None]

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
            if mine and node.signing:
                rpc.call("miner_start")

    def stop(self, node: NodeSpec) -> bool:
        return stop_node(node)

    def up(self, passphrase: str, timeout: float = 120.0) -> UpReport:
        """Prepare, start every node that is not running, wait for full peering, then start
        sealing - the signer in turn for the next block first, the others once every node holds
        that block - and wait until each signer has taken its turn (sealed a block of the
        canonical chain).

        The order matters. Signers that come up one by one seal the first blocks out of turn
        and fork. Signers that all begin at once on an old head (genesis, or a resumed chain)
        all seal the next block at once - its timestamp is already due, so nobody waits - and
        out-of-turn blocks of equal weight can stall the chain for good (each signer holds its
        own block; geth syncs only from a heavier peer: see the partition tests). The in-turn
        block first gives every node the same, heavier head to build on."""
        begin = time.monotonic()
        self.prepare(passphrase)
        if self.plan is not None:
            create_hosts(self.plan, self.cfg.root)
        idle = [n for n in self.all_nodes if running_pid(n) is None]
        already = [n.name for n in self.all_nodes if n not in idle]
        self.start_many(idle, mine=False)
        self.wait_peers(timeout=timeout)
        since = self.rpc(0).block_number() + 1
        self.start_sealing(since, timeout)
        rotation = clique.wait_for_rotation(
            self.rpc(0), clique.signers(self.rpc(0)), timeout=timeout, since=since
        )
        if self.rpc_node is not None and rotation:  # applications' node: caught up too
            rpc, last = HttpClient(self.rpc_node.url, timeout=5.0), rotation[-1].number
            clique.wait_until(lambda: rpc.block_number() >= last, timeout,
                              f"the RPC node to reach block {last}")  # fmt: skip
        return UpReport([n.name for n in idle], already, time.monotonic() - begin, rotation)

    def start_sealing(self, block: int, timeout: float = 60.0) -> None:
        """`miner_start` on one signer that may seal `block` - the one in turn unless it sealed
        too recently - and, once every signer holds `block`, on the others (on all at once when
        no node of this devnet may seal it)."""
        rpc = self.rpc(0)
        signer_set = clique.signers(rpc)
        limit = len(signer_set) // 2 + 1  # Clique: one block in `limit` per signer
        recent = {b.signer for b in clique.sealed(rpc, range(max(1, block - limit + 1), block))}
        in_turn = signer_set[block % len(signer_set)]
        allowed = [a for a in [in_turn, *signer_set] if a not in recent]
        first = [n for n in self.nodes if allowed and n.signer_address == allowed[0]]
        if first:
            # geth 1.13 discards propagated blocks until it counts as synced: after a completed
            # sync or once it has mined. A node that never mined would drop `block` and, its
            # peers' known weight unchanged, never sync it. Start and stop the others' miners
            # (they are out of turn: Clique delays them by up to N/2+1 x 0.5 s), then let the
            # chosen signer seal alone.
            for node in self.nodes:
                if node not in first:
                    rpc = HttpClient(node.url, timeout=5.0)
                    rpc.call("miner_start")
                    rpc.call("miner_stop")
        for node in first:
            HttpClient(node.url, timeout=5.0).call("miner_start")
        if first:
            # Signers only: a node that never mined (the RPC node) discards propagated blocks
            # until a sync cycle, and starts one only from a peer that claims more weight than
            # its own head - a block after `block` (`up` waits for it to catch up later).
            rpcs = [HttpClient(n.url, timeout=5.0) for n in self.nodes]
            clique.wait_until(lambda: all(r.block_number() >= block for r in rpcs), timeout,
                              f"every signer to hold block {block}")  # fmt: skip
        for node in self.nodes:
            if node not in first:
                HttpClient(node.url, timeout=5.0).call("miner_start")

    def wait_peers(self, timeout: float = 60.0, nodes: list[NodeSpec] | None = None) -> None:
        nodes = nodes or self.all_nodes
        want = len(self.all_nodes) - 1

        def ready(node: NodeSpec) -> bool:
            rpc = HttpClient(node.url, timeout=5.0)
            if not node.signing:  # the RPC node serves no admin API: the count must do
                return int(rpc.call("net_peerCount"), 16) >= want
            # A peer counts once its eth handshake is done (before that, a block sealed and
            # broadcast is not sent to it, and geth does not sync it later on its own).
            peers = rpc.call("admin_peers")
            return len(peers) >= want and all(
                isinstance((p.get("protocols") or {}).get("eth"), dict) for p in peers
            )

        clique.wait_until(lambda: all(ready(n) for n in nodes), timeout,
                          f"every node to have {want} peers")  # fmt: skip

    def down(self, clean: bool = False) -> list[str]:
        """Stop every node, then delete the namespaces and links `hosts.json` records (also
        those of a crashed `up`). Returns the nodes stopped."""
        stopped = [n.name for n in self.all_nodes if stop_node(n)]
        self.deleted_hosts = delete_hosts(self.cfg.root) if self.cfg.root.exists() else []
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
        for node in self.all_nodes:
            row = NodeStatus(node.name, node.url, running_pid(node), signer=node.signer_address)
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
                row.sealed_recent = sum(1 for b in blocks if b.signer == node.signer_address)
            except RpcError as exc:
                row.error = str(exc)
        return rows

    def signer_nodes(self, current: list[str]) -> list[HttpClient]:
        """RPC clients of the running nodes whose signer is in `current`."""
        return [
            HttpClient(n.url, timeout=5.0)
            for n in self.nodes
            if n.signer_address in current and running_pid(n) is not None
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


def status_warnings(rows: list[NodeStatus], behind: int = 3) -> list[str]:
    """What an operator must act on in `status` rows: a voted-in signer that no running node
    seals for (the chain stalls once fewer than N/2+1 signers seal), and a running node more
    than `behind` blocks behind the highest head (cut off, or not syncing)."""
    live = [r for r in rows if r.pid is not None and r.error is None and r.head is not None]
    out: list[str] = []
    if not live:
        return ["no node answers: is the devnet up?"] if rows else []
    top = max(live, key=lambda r: r.head or 0)
    signer_set = top.signers
    sealing = {r.signer for r in live if r.signer}
    stopped = {r.signer: r.name for r in rows if r.signer and r.pid is None}
    for address in signer_set:
        if address in sealing:
            continue
        where = (f"its node {stopped[address]} is not running" if address in stopped
                 else "no node of this devnet holds its key")  # fmt: skip
        out.append(f"signer {address} is voted in but {where}: {len(signer_set)} signers need "
                   f"{len(signer_set) // 2 + 1} sealing to keep the chain moving")  # fmt: skip
    for row in live:
        lag = (top.head or 0) - (row.head or 0)
        if lag > behind:
            out.append(f"{row.name} is {lag} blocks behind the head ({top.head} on {top.name}; "
                       f"{row.peers} peer(s))")  # fmt: skip
    return out


def load_config(
    root: Path | None = None,
    *,
    nodes: int | None = None,
    period: int | None = None,
    seed: str | None = None,
    evm_version: str | None = None,
    hosts: bool | None = None,
    subnet: int | None = None,
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
        hosts=bool(recorded.get("hosts")) if hosts is None else hosts,
        subnet=subnet if subnet is not None else (recorded.get("hosts") or {}).get("subnet", 0),
    )
