"""Genesis builders, keys and config files of the devnet (fast: no geth needed)."""

from __future__ import annotations

import json
import stat
import tomllib
from pathlib import Path

import pytest
import rlp
from eth_account import Account
from eth_utils import to_bytes

from civic_dev.devnet.accounts import agency_aliases, devnet_roles_yaml
from civic_dev.devnet.config import DevnetConfig, project_evm_version
from civic_dev.devnet.genesis import (
    BFT_MIX_HASH,
    ChainParams,
    block_forks,
    clique_extra_data,
    clique_genesis,
    decode_clique_extra_data,
    decode_qbft_extra_data,
    genesis_evm_version,
    qbft_extra_data,
    qbft_genesis,
)
from civic_dev.devnet.keys import derive_key, write_ape_account
from civic_dev.devnet.local import LocalDevnet, load_config
from civic_dev.devnet.nodes import geth_command, geth_config
from civic_dev.devnet.toml import dumps
from civic_ledger.core.config import load_roles_file
from civic_ledger.core.paths import DEFAULT_ROLES_FILE

SIGNERS = [derive_key("unit", "signer", i).address for i in range(4)]

#: The QBFT genesis extraData from Besu's "Configure QBFT consensus" documentation.
BESU_DOC_EXTRA = (
    "0xf87aa00000000000000000000000000000000000000000000000000000000000000000f8549464a702e6263b"
    "7297a96638cac6ae65e6541f4169943923390ad55e90c237593b3b0e401f3b08a0318594aefdb9a738c9f433e5"
    "b6b212a6d62f6370c2f69294c7eeb9a4e00ce683cf93039b212648e01c6c6b78c080c0"
)


def _clique(evm_version: str = "london") -> dict:
    chain = ChainParams(7341, {SIGNERS[0]: 5}, evm_version, period=1, gas_limit=30_000_000)
    return clique_genesis(chain, SIGNERS)


# --- the project's single EVM version ------------------------------------------------------


def test_project_evm_version_is_london() -> None:
    assert project_evm_version() == "london"


def test_devnet_genesis_agrees_with_ape_config(tmp_path: Path) -> None:
    net = LocalDevnet(load_config(tmp_path / "dn"))
    genesis = net.genesis()
    assert genesis_evm_version(genesis) == project_evm_version()
    assert genesis["config"]["londonBlock"] == 0
    assert "shanghaiTime" not in genesis["config"]
    assert "terminalTotalDifficulty" not in genesis["config"]


def test_evm_version_is_read_from_ape_config(tmp_path: Path) -> None:
    (tmp_path / "ape-config.yaml").write_text("solidity:\n  evm_version: berlin\n")
    assert project_evm_version(tmp_path) == "berlin"
    genesis = _clique(project_evm_version(tmp_path))
    assert genesis_evm_version(genesis) == "berlin"
    assert "londonBlock" not in genesis["config"]


# --- Clique ----------------------------------------------------------------------------------


def test_clique_extra_data_layout() -> None:
    raw = to_bytes(hexstr=clique_extra_data(reversed(SIGNERS)))
    assert len(raw) == 32 + 20 * len(SIGNERS) + 65
    assert raw[:32] == bytes(32) and raw[-65:] == bytes(65)
    decoded = decode_clique_extra_data("0x" + raw.hex())
    assert decoded == sorted(SIGNERS, key=lambda a: bytes.fromhex(a[2:]))


def test_clique_genesis_london() -> None:
    genesis = _clique()
    config = genesis["config"]
    assert config["chainId"] == 7341
    assert config["clique"] == {"period": 1, "epoch": 30_000}
    assert {k: v for k, v in config.items() if k.endswith("Block")} == block_forks("london")
    assert decode_clique_extra_data(genesis["extraData"]) == sorted(
        SIGNERS, key=lambda a: bytes.fromhex(a[2:])
    )
    assert genesis["alloc"] == {SIGNERS[0][2:].lower(): {"balance": "0x5"}}


@pytest.mark.parametrize("fork", ["paris", "shanghai", "cancun"])
def test_clique_refuses_post_london(fork: str) -> None:
    with pytest.raises(ValueError, match="Clique"):
        _clique(fork)


# --- QBFT ------------------------------------------------------------------------------------


def test_qbft_extra_data_matches_besu_documentation() -> None:
    decoded = decode_qbft_extra_data(BESU_DOC_EXTRA)
    assert decoded["vanity"] == bytes(32)
    assert len(decoded["validators"]) == 4
    assert decoded["votes"] == [] and decoded["round"] == 0 and decoded["seals"] == []
    assert qbft_extra_data(decoded["validators"], sort=False) == BESU_DOC_EXTRA


def test_qbft_extra_data_decodes_back_with_rlp() -> None:
    items = rlp.decode(to_bytes(hexstr=qbft_extra_data(SIGNERS)))
    vanity, validators, votes, round_, seals = items
    assert vanity == bytes(32)
    assert [("0x" + v.hex()) for v in validators] == sorted(a.lower() for a in SIGNERS)
    assert votes == [] and round_ == b"" and seals == []


def test_qbft_genesis_london() -> None:
    chain = ChainParams(7340, {}, project_evm_version(), period=5, gas_limit=30_000_000)
    genesis = qbft_genesis(chain, SIGNERS)
    config = genesis["config"]
    assert config["londonBlock"] == 0
    assert not any(key.endswith("Time") for key in config)
    assert config["qbft"]["blockperiodseconds"] == 5
    assert config["qbft"]["requesttimeoutseconds"] >= 2 * 5
    assert genesis["mixHash"] == BFT_MIX_HASH
    assert genesis_evm_version(genesis) == project_evm_version()


def test_qbft_genesis_post_merge_forks_are_times() -> None:
    genesis = qbft_genesis(ChainParams(1, {}, "cancun", period=2, gas_limit=30_000_000), SIGNERS)
    assert genesis["config"]["shanghaiTime"] == 0 and genesis["config"]["cancunTime"] == 0
    assert genesis_evm_version(genesis) == "cancun"


# --- keys and files --------------------------------------------------------------------------


def test_derived_keys_are_deterministic_and_distinct() -> None:
    a, b = derive_key("s", "signer", 0), derive_key("s", "signer", 0)
    assert a == b
    others = {derive_key("s", p, i).address for p in ("signer", "node", "agency") for i in range(5)}
    assert len(others) == 15
    assert derive_key("s", "node", 0).enode("127.0.0.1", 1).startswith("enode://")
    assert len(derive_key("s", "node", 0).node_id) == 128


def test_agency_accounts_follow_the_roles_file(tmp_path: Path) -> None:
    aliases = agency_aliases()
    assert aliases[:2] == ("civic-deployer", "civic-treasury")
    assert "civic-identity-office" in aliases and len(set(aliases)) == len(aliases)
    text = devnet_roles_yaml()
    assert text is not None
    path = tmp_path / "roles.city-devnet.yaml"
    path.write_text(text)
    devnet, local = load_roles_file(path), load_roles_file(DEFAULT_ROLES_FILE)
    assert [(a.name, a.roles) for a in devnet.agencies] == [
        (a.name, a.roles) for a in local.agencies
    ]
    assert {a.account.alias for a in devnet.agencies} <= set(aliases)
    assert devnet.treasury.alias == "civic-treasury"


def test_ape_keystore_written_without_prompts(tmp_path: Path) -> None:
    key, other = derive_key("s", "agency", 0), derive_key("s", "agency", 1)
    assert write_ape_account(tmp_path, "civic-x", key, "pw", scrypt_n=2**10) == "created"
    path = tmp_path / "accounts" / "civic-x.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert bytes(Account.decrypt(json.loads(path.read_text()), "pw")) == key.private
    assert write_ape_account(tmp_path, "civic-x", key, "pw", scrypt_n=2**10) == "exists"
    assert write_ape_account(tmp_path, "civic-x", other, "pw", scrypt_n=2**10) == "conflict"
    assert bytes(Account.decrypt(json.loads(path.read_text()), "pw")) == key.private


def test_toml_writer_round_trips() -> None:
    tables = {"": {"a": 1}, "Node.P2P": {"NoDiscovery": True, "StaticNodes": ['x"y', "z"]}}
    assert tomllib.loads(dumps(tables, comment="c")) == {
        "a": 1, "Node": {"P2P": {"NoDiscovery": True, "StaticNodes": ['x"y', "z"]}}
    }  # fmt: skip


def test_node_config_is_loopback_only_with_static_peers(tmp_path: Path) -> None:
    cfg = DevnetConfig(root=tmp_path, nodes=4, http_port=9100, p2p_port=9200, authrpc_port=9300)
    net = LocalDevnet(cfg)
    config = tomllib.loads(geth_config(cfg, net.nodes[1], net.nodes))
    p2p = config["Node"]["P2P"]
    assert p2p["NoDiscovery"] is True and p2p["BootstrapNodes"] == []
    assert p2p["ListenAddr"] == "127.0.0.1:9201"
    assert sorted(p2p["StaticNodes"]) == sorted(n.enode for n in net.nodes if n.index != 1)
    # geth dials at most MaxPeers // 3 peers, static ones included: one slot per static peer,
    # or a link lost in a partition may never be dialled again
    assert p2p["MaxPeers"] // 3 >= len(p2p["StaticNodes"]) + 1
    assert config["Node"]["HTTPHost"] == "127.0.0.1" and config["Node"]["HTTPPort"] == 9101
    assert config["Eth"]["NetworkId"] == cfg.chain_id
    command = geth_command(Path("/bin/geth"), net.nodes[1])
    assert command[command.index("--miner.etherbase") + 1] == net.nodes[1].signer.address
    assert "--nodiscover" in command and "personal" not in ",".join(command)
