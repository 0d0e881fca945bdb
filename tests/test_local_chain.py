"""The README's integrator path (issue #14): `ape run chain up`, deploy, administer in separate
commands, stop and start again with the state kept, `status` naming the matching manifest,
funding a third-party wallet, `down --clean`. On its own port and folder, so a developer's
running chain is never touched."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_chain_up_deploy_administer_restart_down(tmp_path: Path) -> None:
    port = free_port()
    env = dict(os.environ)
    env.update(
        CIVIC_CHAIN_PORT=str(port), CIVIC_CHAIN_DIR=str(tmp_path / "chain"), COLUMNS="200",
        APE_DATA_FOLDER=str(ROOT / ".ape-data"),
    )  # fmt: skip
    ape = str(Path(sys.executable).with_name("ape"))
    network = f"ethereum:city-local:http://127.0.0.1:{port}"
    manifest = tmp_path / "city-local.json"

    def run(*args: str, ok: bool = True) -> str:
        done = subprocess.run(
            [ape, "run", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        output = done.stdout + done.stderr
        assert (done.returncode == 0) == ok, output[-3000:]
        return output

    try:
        assert "up http://127.0.0.1:" in run("chain", "up")
        assert "chain 7340" in run("chain", "up")  # idempotent
        run("deploy", "--network", network, "--manifest", str(manifest))
        salts = tmp_path / "salts.csv"
        out = run(
            "admin", "identity", "register", "--network", network, "--manifest", str(manifest),
            "--account", "TEST::1", "--official-id", "CHAIN-TEST-1", "--kind", "enterprise",
            "--controller", "0x" + "42" * 20, "--salts-out", str(salts),
        )  # fmt: skip
        subject = re.search(r"^subject (0x[0-9a-f]{64})", out, re.M).group(1)
        run("chain", "down")
        run("chain", "up")
        shown = run(
            "admin", "identity", "show", subject, "--network", network, "--manifest", str(manifest)
        )
        assert "active" in shown.lower()
        status = run("chain", "status")
        assert "running" in status
        third_party = "0x" + "77" * 20
        run("chain", "fund", third_party, "3")
        run("chain", "fund", "0xnot-an-address", "1", ok=False)
    finally:
        run("chain", "down", "--clean", ok=True)
    assert "not running" in run("chain", "status", ok=False)
