"""The multi-machine network kit (fast; the geth checks run only where geth is built)."""

from __future__ import annotations

import importlib.util
import json
import os
import stat
import subprocess
import tomllib
from pathlib import Path

import pytest
import rlp
from click.testing import CliRunner
from eth_account import Account
from eth_utils import to_bytes, to_checksum_address

from civic_dev.devnet.config import REPO_ROOT, geth_binary, project_evm_version
from civic_dev.devnet.genesis import decode_clique_extra_data, genesis_evm_version
from civic_dev.netkit.kit import KitSpec, write_kit

HOSTS = ["198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"]  # RFC 5737


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory):
    spec = KitSpec(out=tmp_path_factory.mktemp("kit") / "k", validators=4, hosts=HOSTS,
                   evm_version=project_evm_version(), seed="kit-test", passphrase="pw",
                   scrypt_n=2**10)  # fmt: skip
    return write_kit(spec)


def _json(path: Path) -> dict:
    return json.loads(path.read_text())


def test_layout(kit) -> None:
    out = kit.out
    for rel in ("README.md", "network.json", "clique-geth/genesis.json", "clique-geth/RUNBOOK.md",
                "besu-qbft/genesis.json", "besu-qbft/RUNBOOK.md", "secrets/.gitignore"):  # fmt: skip
        assert (out / rel).is_file(), rel
    for i in range(1, 5):
        for rel in ("config.toml", "geth.flags", "civic-geth.service"):
            assert (out / "clique-geth" / f"node{i}" / rel).is_file()
        for rel in ("config.toml", "static-nodes.json", "civic-besu.service"):
            assert (out / "besu-qbft" / f"node{i}" / rel).is_file()


def test_secrets_are_private_and_decrypt(kit) -> None:
    secrets = kit.out / "secrets"
    for path in secrets.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path
    node = kit.nodes[0]
    keystore = next((secrets / "clique-geth" / "node1" / "keystore").iterdir())
    assert bytes(Account.decrypt(_json(keystore), "pw")) == node.clique_signer.private
    besu_key = (secrets / "besu-qbft" / "node1" / "key").read_text()
    assert besu_key == node.qbft_key.hex
    # Nothing secret outside secrets/.
    public = "".join(p.read_text() for p in kit.out.rglob("*") if p.is_file()
                     and "secrets" not in p.parts)  # fmt: skip
    assert node.qbft_key.private.hex() not in public
    assert node.clique_node_key.private.hex() not in public


def test_qbft_genesis_extra_data_decodes_back(kit) -> None:
    genesis = _json(kit.out / "besu-qbft" / "genesis.json")
    vanity, validators, votes, round_, seals = rlp.decode(to_bytes(hexstr=genesis["extraData"]))
    assert vanity == bytes(32)
    assert sorted(to_checksum_address(v) for v in validators) == sorted(
        n.qbft_key.address for n in kit.nodes
    )
    assert votes == [] and round_ == b"" and seals == []


def test_genesis_forks_follow_the_project_evm_version(kit) -> None:
    clique = _json(kit.out / "clique-geth" / "genesis.json")
    besu = _json(kit.out / "besu-qbft" / "genesis.json")
    assert genesis_evm_version(clique) == genesis_evm_version(besu) == project_evm_version()
    assert besu["config"]["londonBlock"] == 0 and "shanghaiTime" not in besu["config"]
    assert "qbft" in besu["config"] and "clique" in clique["config"]
    assert sorted(decode_clique_extra_data(clique["extraData"])) == sorted(
        n.clique_signer.address for n in kit.nodes
    )
    assert clique["alloc"] == besu["alloc"] and len(clique["alloc"]) == 1  # the operator
    assert kit.operator and kit.operator[2:].lower() in clique["alloc"]


def test_peers_and_configs(kit) -> None:
    for i, node in enumerate(kit.nodes, start=1):
        geth = tomllib.loads((kit.out / "clique-geth" / f"node{i}" / "config.toml").read_text())
        peers = geth["Node"]["P2P"]["StaticNodes"]
        assert sorted(peers) == sorted(n.geth_enode for n in kit.nodes if n is not node)
        assert all(f"@{h}:30303" in "".join(peers) for h in HOSTS if h != node.host)
        assert geth["Node"]["HTTPHost"] == ""  # signers serve no HTTP
        assert geth["Node"]["P2P"]["NoDiscovery"] is True
        besu = tomllib.loads((kit.out / "besu-qbft" / f"node{i}" / "config.toml").read_text())
        assert besu["p2p-host"] == node.host and besu["rpc-http-host"] == "127.0.0.1"
        static = _json(kit.out / "besu-qbft" / f"node{i}" / "static-nodes.json")
        assert sorted(static) == sorted(n.besu_enode for n in kit.nodes if n is not node)
        unit = (kit.out / "clique-geth" / f"node{i}" / "civic-geth.service").read_text()
        assert f"--unlock={node.clique_signer.address}" in unit and "ExecStart=" in unit
        assert "--allow-insecure-unlock" not in unit
    network = _json(kit.out / "network.json")
    assert [n["host"] for n in network["nodes"]] == HOSTS


def test_kit_refuses_a_non_empty_folder(kit) -> None:
    with pytest.raises(FileExistsError):
        write_kit(KitSpec(out=kit.out, seed="x", scrypt_n=2**10))


def test_hosts_must_match_validators(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="hosts"):
        KitSpec(out=tmp_path, validators=3, hosts=["a", "b"])


def test_random_keys_by_default(tmp_path: Path) -> None:
    a = write_kit(KitSpec(out=tmp_path / "a", validators=1, prefund={"0x" + "11" * 20: 1},
                          scrypt_n=2**10))  # fmt: skip
    b = write_kit(KitSpec(out=tmp_path / "b", validators=1, prefund={"0x" + "11" * 20: 1},
                          scrypt_n=2**10))  # fmt: skip
    assert a.nodes[0].clique_signer != b.nodes[0].clique_signer
    assert a.operator is None and not (tmp_path / "a" / "secrets" / "operator").exists()


def test_cli_writes_a_kit(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "network_script", REPO_ROOT / "scripts" / "network.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = CliRunner().invoke(
        module.cli,
        ["kit", "--validators", "3", "--out", str(tmp_path / "kit"), "--dev-seed", "cli",
         "--prefund", "0x" + "22" * 20 + "=5", "--scrypt-n", "1024"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    genesis = _json(tmp_path / "kit" / "clique-geth" / "genesis.json")
    assert genesis["alloc"] == {"22" * 20: {"balance": hex(5 * 10**18)}}
    assert len(decode_clique_extra_data(genesis["extraData"])) == 3


def _localised(text: str, root: Path) -> str:
    return text.replace("/var/lib/civic-ledger", str(root / "var")).replace(
        "/etc/civic-ledger", str(root / "etc")
    )


@pytest.mark.skipif(geth_binary() is None, reason="geth not built (tools/build-geth.sh)")
def test_geth_accepts_the_kit(kit, tmp_path: Path) -> None:
    geth = str(geth_binary())
    datadir = tmp_path / "data"
    init = subprocess.run([geth, "--datadir", str(datadir), "init",
                           str(kit.out / "clique-geth" / "genesis.json")],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert init.returncode == 0, init.stderr
    config = tmp_path / "config.toml"
    config.write_text(_localised((kit.out / "clique-geth" / "node1" / "config.toml").read_text(),
                                 tmp_path))  # fmt: skip
    dump = subprocess.run([geth, "--config", str(config), "dumpconfig"], capture_output=True,
                          text=True, check=False, cwd=tmp_path)  # fmt: skip
    assert dump.returncode == 0, dump.stderr
    parsed = tomllib.loads(dump.stdout)
    assert parsed["Eth"]["NetworkId"] == 7340
    assert len(parsed["Node"]["P2P"]["StaticNodes"]) == 3


def test_rpc_nodes_serve_applications_and_hold_no_signer(kit) -> None:
    from civic_dev.netkit.kit import BESU_MAX_LOGS_RANGE, BESU_VERSION
    from civic_ledger.chain.logs import LogReader

    assert [r.name for r in kit.rpc_nodes] == ["rpc1"]
    rpc = kit.rpc_nodes[0]
    geth = tomllib.loads((kit.out / "clique-geth" / "rpc1" / "config.toml").read_text())
    assert geth["Node"]["HTTPHost"] == "0.0.0.0" and geth["Node"]["HTTPPort"] == 8545
    assert geth["Node"]["HTTPModules"] == ["eth", "net", "web3"]
    assert rpc.host in geth["Node"]["HTTPVirtualHosts"]
    assert sorted(geth["Node"]["P2P"]["StaticNodes"]) == sorted(n.geth_enode for n in kit.nodes)
    unit = (kit.out / "clique-geth" / "rpc1" / "civic-geth-rpc.service").read_text()
    flags = (kit.out / "clique-geth" / "rpc1" / "geth.flags").read_text()
    for text in (unit, flags):
        assert "--mine" not in text and "--unlock" not in text and "--password" not in text
    for i in range(1, 5):  # the signers let the RPC node in even when their peers are full
        signer = tomllib.loads((kit.out / "clique-geth" / f"node{i}" / "config.toml").read_text())
        assert signer["Node"]["P2P"]["TrustedNodes"] == [rpc.geth_enode]
        p2p = signer["Node"]["P2P"]
        assert p2p["MaxPeers"] // 3 >= len(p2p["StaticNodes"]) + 1  # a dial slot per static peer
    assert (kit.out / "secrets" / "clique-geth" / "rpc1" / "nodekey").read_text() == (
        rpc.geth_node_key.private.hex()
    )

    besu = tomllib.loads((kit.out / "besu-qbft" / "rpc1" / "config.toml").read_text())
    assert besu["rpc-http-host"] == "0.0.0.0" and besu["rpc-http-api"] == ["ETH", "NET", "WEB3"]
    assert rpc.host in besu["host-allowlist"]
    # sized for the gateway: the widest eth_getLogs its LogReader ever sends is accepted
    assert besu["rpc-max-logs-range"] == BESU_MAX_LOGS_RANGE == LogReader(client=None).max_span
    validator = tomllib.loads((kit.out / "besu-qbft" / "node1" / "config.toml").read_text())
    assert validator["rpc-max-logs-range"] == BESU_MAX_LOGS_RANGE
    assert sorted(_json(kit.out / "besu-qbft" / "rpc1" / "static-nodes.json")) == sorted(
        n.besu_enode for n in kit.nodes
    )
    network = _json(kit.out / "network.json")
    assert network["besu_version"] == BESU_VERSION
    assert network["rpc_nodes"][0]["url"] == f"http://{rpc.host}:8545"
    runbook = (kit.out / "besu-qbft" / "RUNBOOK.md").read_text()
    assert (
        f"besu/v{BESU_VERSION}" in runbook
        and f"rpc-max-logs-range={BESU_MAX_LOGS_RANGE}" in runbook
    )
    assert (
        f"Besu {BESU_VERSION}"
        in (kit.out / "besu-qbft" / "node1" / "civic-besu.service").read_text()
    )


def test_the_runbook_starts_the_first_blocks_signer_then_all_others_together(kit) -> None:
    from civic_dev.netkit.docs import block_one_signer

    runbook = (kit.out / "clique-geth" / "RUNBOOK.md").read_text()
    first = block_one_signer(kit.nodes)
    ordered = sorted(n.clique_signer.address.lower() for n in kit.nodes)
    assert first.clique_signer.address.lower() == ordered[1]  # geth's in-turn rule for block 1
    assert f"Start **{first.name}** ({first.host}) alone" in runbook
    others = " ".join(n.host for n in kit.nodes if n is not first)
    assert f"for h in {others}; do ssh root@$h systemctl start civic-geth & done; wait" in runbook
    assert "systemctl enable --now civic-geth\n" not in runbook  # enabled, started in order
    assert "debug.setHead" in runbook  # the remedy for two heads of equal weight


def _import_step(readme: str) -> str:
    from civic_dev.netkit.docs import IMPORT_STEP_MARK

    after = readme.split(IMPORT_STEP_MARK, 1)[1]
    block = after.split("```sh\n", 1)[1].split("```", 1)[0]
    return block


def test_the_readme_imports_the_operator_key_into_ape(kit, tmp_path: Path) -> None:
    """Runs the README's import commands as written, in the kit folder, into an empty Ape data
    folder: Ape then lists the operator account, and it unlocks with the kit's passphrase."""
    from ape_accounts.accounts import KeyfileAccount
    from eth_account.messages import encode_defunct

    from civic_dev.netkit.kit import OPERATOR_ALIAS

    commands = _import_step((kit.out / "README.md").read_text())
    assert "ape accounts list" in commands and kit.operator in commands
    data = tmp_path / "ape-data"
    env = dict(os.environ, APE_DATA_FOLDER=str(data))
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", commands], cwd=kit.out, env=env,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert OPERATOR_ALIAS in done.stdout and kit.operator in done.stdout, done.stdout
    keyfile = data / "accounts" / f"{OPERATOR_ALIAS}.json"
    assert stat.S_IMODE(keyfile.stat().st_mode) == 0o600
    account = KeyfileAccount(keyfile_path=keyfile)
    assert account.address == kit.operator
    passphrase = (kit.out / "secrets" / "operator" / "password").read_text().strip()
    account.set_autosign(True, passphrase=passphrase)  # unlocks: a wrong passphrase raises
    signature = account.sign_message(encode_defunct(text="civic-ledger kit"))
    assert account.check_signature(encode_defunct(text="civic-ledger kit"), signature)


@pytest.mark.skipif(geth_binary() is None, reason="geth not built (tools/build-geth.sh)")
def test_geth_accepts_the_rpc_node_config(kit, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(_localised((kit.out / "clique-geth" / "rpc1" / "config.toml").read_text(),
                                 tmp_path))  # fmt: skip
    dump = subprocess.run([str(geth_binary()), "--config", str(config), "dumpconfig"],
                          capture_output=True, text=True, check=False, cwd=tmp_path)  # fmt: skip
    assert dump.returncode == 0, dump.stderr
    parsed = tomllib.loads(dump.stdout)
    assert parsed["Node"]["HTTPModules"] == ["eth", "net", "web3"]
    assert len(parsed["Node"]["P2P"]["StaticNodes"]) == 4
