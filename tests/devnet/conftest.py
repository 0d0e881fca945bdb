"""Fixtures for the devnet tests: a private 4-signer geth Clique network in a temp folder."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from civic_dev.devnet.config import DevnetConfig, geth_binary, project_evm_version
from civic_dev.devnet.local import LocalDevnet

FAULT_SEED = "civic-ledger-fault-test"
PASSPHRASE = "fault-test-only"


def require_geth() -> Path:
    """The geth binary; skipped without one on a developer machine, a failure under CI."""
    geth = geth_binary()
    if geth is not None:
        return geth
    reason = "geth 1.13.15 not found (.cache/bin/geth, $GETH_BIN or PATH): run tools/build-geth.sh"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} -- CI must build it (bin/setup)", pytrace=False)
    pytest.skip(reason)


def _ports_free(ports: list[int]) -> bool:
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def free_port_bases(nodes: int) -> tuple[int, int, int]:
    """Three port ranges (http, p2p, authrpc) of `nodes` free ports each, away from the
    default devnet's ports so a running `ape run devnet up` and the tests never clash."""
    for base in range(20_000, 29_000, 97):
        bases = (base, base + 30, base + 60)
        if _ports_free([b + i for b in bases for i in range(nodes)]):
            return bases
    raise RuntimeError("no free local ports for the test devnet")


def devnet_config(root: Path, nodes: int, seed: str) -> DevnetConfig:
    """A test devnet of `nodes` signers under `root`: 1 s blocks, free ports, `seed`'s keys."""
    http, p2p, auth = free_port_bases(nodes)
    return DevnetConfig(
        root=root, nodes=nodes, period=1, http_port=http, p2p_port=p2p, authrpc_port=auth,
        seed=seed, evm_version=project_evm_version(),
    )  # fmt: skip


@pytest.fixture(scope="module")
def devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDevnet]:
    geth = require_geth()
    cfg = devnet_config(tmp_path_factory.mktemp("devnet"), 4, FAULT_SEED)
    net = LocalDevnet(cfg, geth)
    try:
        report = net.up(PASSPHRASE, timeout=90)
        net.up_report = report  # type: ignore[attr-defined]
        yield net
    finally:
        net.down()
