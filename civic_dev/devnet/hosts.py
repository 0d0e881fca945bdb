"""The devnet's nodes as separate hosts: one Linux network namespace per node, joined by veth
pairs to one bridge, addresses from the benchmark range 198.18.0.0/15 (RFC 2544: never routed,
never anyone's machine).

    subnet 198.18.<k>.0/24 (k = the devnet's `subnet` index, 0 for `ape run devnet up --hosts`)
    bridge  cvb<k>                 198.18.<k>.1   the machine's side: it reaches every node
    node i  netns civic<k>-node<i>  198.18.<k>.<10+i>   host side of its veth: cv<k>n<i>
    rpc     netns civic<k>-rpc      198.18.<k>.200       host side of its veth: cv<k>r

Nothing is routed beyond the bridge (the namespaces have no default route), so the nodes reach
only each other and the machine. Creating and deleting these needs root (CAP_NET_ADMIN).

Every object is recorded in `<devnet root>/hosts.json` *before* it is created, so `delete`
removes all of them after a crash too; deleting is idempotent (objects already gone are
skipped) and only ever touches the names in that record.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from civic_dev.devnet.config import DevnetError

#: The benchmark range (RFC 2544); subnet index k is 198.18.0.0 + 256 k, k in 0..511.
BENCHMARK_RANGE = ipaddress.ip_network("198.18.0.0/15")
MAX_SUBNET = 511
RPC_HOST_OCTET = 200
FIRST_NODE_OCTET = 10
RECORD = "hosts.json"


@dataclass(frozen=True)
class Host:
    """One node's namespace: its name, the veth ends (host side, inside) and its address."""

    name: str  # the node's name: node0.., rpc
    netns: str
    veth: str  # host side, enslaved to the bridge: `ip link set <veth> down` cuts the host off
    inner: str  # the namespace's side
    address: str


@dataclass(frozen=True)
class HostPlan:
    """Names and addresses of one devnet's hosts (pure data: nothing is created here)."""

    subnet: int
    bridge: str
    gateway: str  # the bridge's address: the machine's side
    prefix: int
    hosts: tuple[Host, ...]

    def host(self, name: str) -> Host:
        for host in self.hosts:
            if host.name == name:
                return host
        raise DevnetError(f"no host named {name!r} (known: {[h.name for h in self.hosts]})")


def subnet_network(subnet: int) -> ipaddress.IPv4Network:
    if not 0 <= subnet <= MAX_SUBNET:
        raise DevnetError(f"subnet index {subnet} is outside 0..{MAX_SUBNET} (198.18.0.0/15)")
    base = int(BENCHMARK_RANGE.network_address) + 256 * subnet
    return ipaddress.ip_network((base, 24))


def plan_hosts(subnet: int, nodes: int, rpc: bool = True) -> HostPlan:
    """The plan for `nodes` signer hosts (node0..) and, with `rpc`, the RPC node's host."""
    net = subnet_network(subnet)
    if nodes + FIRST_NODE_OCTET >= RPC_HOST_OCTET:
        raise DevnetError(f"{nodes} nodes do not fit the /24 host plan")
    k = subnet

    def host(name: str, short: str, octet: int) -> Host:
        return Host(name, f"civic{k}-{name}", f"cv{k}{short}", f"cv{k}{short}i",
                    str(net.network_address + octet))  # fmt: skip

    hosts = [host(f"node{i}", f"n{i}", FIRST_NODE_OCTET + i) for i in range(nodes)]
    if rpc:
        hosts.append(host("rpc", "r", RPC_HOST_OCTET))
    return HostPlan(subnet, f"cvb{k}", str(net.network_address + 1), net.prefixlen, tuple(hosts))


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise DevnetError(f"`ip {' '.join(args)}` failed: {done.stderr.strip()}")
    return done


def require_netadmin() -> None:
    """Namespaces need root and iproute2: say so plainly instead of failing half-way."""
    if shutil.which("ip") is None:
        raise DevnetError("`--hosts` needs iproute2's `ip` command (apt-get install iproute2)")
    if os.geteuid() != 0:
        raise DevnetError("`--hosts` creates network namespaces: run it as root")


def netns_exists(name: str) -> bool:
    return Path("/run/netns", name).exists()


def link_exists(name: str) -> bool:
    return Path("/sys/class/net", name).exists()


def _record_path(root: Path) -> Path:
    return root / RECORD


def read_record(root: Path) -> dict[str, list[str]]:
    path = _record_path(root)
    if not path.exists():
        return {"netns": [], "links": []}
    data = json.loads(path.read_text())
    return {"netns": list(data.get("netns", [])), "links": list(data.get("links", []))}


def _note(root: Path, kind: str, name: str) -> None:
    """Record `name` before creating it (so a crash between the two still gets it deleted)."""
    record = read_record(root)
    if name not in record[kind]:
        record[kind].append(name)
        path = _record_path(root)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=2) + "\n")
        tmp.replace(path)


def create_hosts(plan: HostPlan, root: Path) -> None:
    """Create the bridge, every namespace and veth pair of `plan` (what exists is kept)."""
    require_netadmin()
    root.mkdir(parents=True, exist_ok=True)
    if not link_exists(plan.bridge):
        _note(root, "links", plan.bridge)
        _ip("link", "add", plan.bridge, "type", "bridge")
        _ip("addr", "add", f"{plan.gateway}/{plan.prefix}", "dev", plan.bridge)
    _ip("link", "set", plan.bridge, "up")
    for host in plan.hosts:
        if not netns_exists(host.netns):
            _note(root, "netns", host.netns)
            _ip("netns", "add", host.netns)
        _ip("-n", host.netns, "link", "set", "lo", "up")
        if not link_exists(host.veth):
            _note(root, "links", host.veth)
            _ip("link", "add", host.veth, "type", "veth", "peer", "name", host.inner,
                "netns", host.netns)  # fmt: skip
            _ip("-n", host.netns, "addr", "add", f"{host.address}/{plan.prefix}", "dev", host.inner)
        _ip("-n", host.netns, "link", "set", host.inner, "up")
        _ip("link", "set", host.veth, "master", plan.bridge, "up")


def delete_hosts(root: Path) -> list[str]:
    """Delete every namespace and link recorded under `root` that still exists (idempotent);
    returns what was deleted. Processes still running inside a namespace must be stopped first
    (deleting a namespace does not end them)."""
    record = read_record(root)
    if not record["netns"] and not record["links"]:
        _record_path(root).unlink(missing_ok=True)
        return []
    require_netadmin()
    deleted = []
    for name in record["netns"]:
        if netns_exists(name):
            _ip("netns", "del", name)  # takes the namespace's end of its veth pair with it
            deleted.append(name)
    for name in reversed(record["links"]):  # veths first, the bridge last
        if link_exists(name):
            _ip("link", "del", name)
            deleted.append(name)
    _record_path(root).unlink(missing_ok=True)
    return deleted


def netns_prefix(netns: str | None) -> list[str]:
    """The command prefix that runs a program inside `netns` (nothing for the machine's own)."""
    return ["ip", "netns", "exec", netns] if netns else []
