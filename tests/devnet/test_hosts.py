"""The devnet's hosts (`up --hosts`): the address plan, cleanup after a crash, and the
warnings of `devnet status` (fast; the namespace test needs root)."""

from __future__ import annotations

import ipaddress
import os
import shutil
from pathlib import Path

import pytest

from civic_dev.devnet.config import DevnetConfig, DevnetError
from civic_dev.devnet.hosts import (
    BENCHMARK_RANGE,
    create_hosts,
    delete_hosts,
    link_exists,
    netns_exists,
    plan_hosts,
    read_record,
)
from civic_dev.devnet.keys import derive_key
from civic_dev.devnet.local import LocalDevnet, NodeStatus, status_warnings
from civic_dev.devnet.nodes import geth_command, geth_config


def test_the_plan_uses_the_benchmark_range_and_short_names() -> None:
    plan = plan_hosts(301, 4)
    addresses = [ipaddress.ip_address(h.address) for h in plan.hosts]
    assert all(a in BENCHMARK_RANGE for a in addresses)
    assert str(ipaddress.ip_network(f"{plan.gateway}/24", strict=False)) == "198.19.45.0/24"
    assert [h.name for h in plan.hosts] == ["node0", "node1", "node2", "node3", "rpc"]
    assert len({h.address for h in plan.hosts} | {plan.gateway}) == 6
    for name in [plan.bridge, *(h.veth for h in plan.hosts), *(h.inner for h in plan.hosts)]:
        assert len(name) <= 15  # IFNAMSIZ
    with pytest.raises(DevnetError, match="outside"):
        plan_hosts(512, 4)


def test_hosts_mode_puts_every_node_on_its_own_address(tmp_path: Path) -> None:
    cfg = DevnetConfig(root=tmp_path, nodes=4, seed="hosts-unit", hosts=True, subnet=302)
    net = LocalDevnet(cfg)
    assert net.rpc_node is not None and net.rpc_url == "http://198.19.46.200:8545"
    assert [n.netns for n in net.all_nodes] == [h.netns for h in net.plan.hosts]
    signer_cmd = geth_command(Path("/bin/geth"), net.nodes[1], mine=False)
    assert signer_cmd[:4] == ["ip", "netns", "exec", "civic302-node1"]
    assert signer_cmd[signer_cmd.index("--http.addr") + 1] == "198.19.46.11"
    rpc_cmd = geth_command(Path("/bin/geth"), net.rpc_node)
    assert "--unlock" not in rpc_cmd and "--mine" not in rpc_cmd
    assert rpc_cmd[rpc_cmd.index("--http.api") + 1] == "eth,net,web3,txpool,clique"
    config = geth_config(cfg, net.rpc_node, net.all_nodes)
    assert 'ListenAddr = "198.19.46.200:30303"' in config
    assert config.count("enode://") == 4  # every signer, not itself
    manifest = net.manifest()
    assert manifest["rpc_url"] == net.rpc_url and manifest["hosts"]["subnet"] == 302


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("ip"), reason="needs root and ip")
def test_down_deletes_what_a_crashed_up_created(tmp_path: Path) -> None:
    """`create_hosts` records each object before creating it; a later `down` (another process:
    a new LocalDevnet) deletes all of them, and running it again is a no-op."""
    subnet = next(k for k in range(400, 512) if not link_exists(f"cvb{k}"))
    cfg = DevnetConfig(root=tmp_path, nodes=2, seed="hosts-crash", hosts=True, subnet=subnet)
    plan = LocalDevnet(cfg).plan
    names = [plan.bridge, *(h.veth for h in plan.hosts)]
    try:
        create_hosts(plan, tmp_path)  # ... and the process "crashes" here
        assert all(netns_exists(h.netns) for h in plan.hosts)
        assert all(link_exists(n) for n in names)
        assert set(read_record(tmp_path)["netns"]) == {h.netns for h in plan.hosts}
        assert LocalDevnet(cfg).down() == []  # no geth ran
        assert not any(netns_exists(h.netns) for h in plan.hosts)
        assert not any(link_exists(n) for n in names)
        assert not (tmp_path / "hosts.json").exists()
        assert delete_hosts(tmp_path) == []
    finally:
        delete_hosts(tmp_path)


def _row(name: str, signer: str, head: int | None, pid: int | None = 1,
         signers: tuple[str, ...] = ()) -> NodeStatus:  # fmt: skip
    return NodeStatus(name, f"http://x/{name}", pid, head=head, head_hash="0x" if head else None,
                      peers=3, signers=list(signers), signer=signer)  # fmt: skip


def test_status_warns_of_a_signer_without_a_node_and_of_nodes_behind() -> None:
    a, b, c, d = (derive_key("warn", "s", i).address for i in range(4))
    stranger = derive_key("warn", "voted-in", 0).address
    voted = (a, b, c, d, stranger)
    rows = [_row("node0", a, 100, signers=voted), _row("node1", b, 100, signers=voted),
            _row("node2", c, 90, signers=voted), _row("node3", d, None, pid=None),
            _row("rpc", "", 99, signers=voted)]  # fmt: skip
    warnings = status_warnings(rows)
    assert any(stranger in w and "no node of this devnet holds its key" in w for w in warnings)
    assert any(d in w and "node3 is not running" in w for w in warnings)
    assert any(w.startswith("node2 is 10 blocks behind") for w in warnings)
    assert not any(w.startswith(("rpc ", "node0 ", "node1 ")) for w in warnings)
    healthy = [_row(f"node{i}", s, 100, signers=(a, b)) for i, s in enumerate((a, b))]
    assert status_warnings(healthy) == []
