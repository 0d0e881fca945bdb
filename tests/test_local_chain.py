"""The README's integrator path (issue #14): `ape run chain up`, deploy, administer in separate
commands, stop and start again with the state kept, `status` naming the matching manifest,
funding a third-party wallet, `down --clean`. On its own port and folder, so a developer's
running chain is never touched."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from local_chain_runner import LocalChainRun

pytestmark = pytest.mark.slow


def test_chain_up_deploy_administer_restart_down(tmp_path: Path) -> None:
    chain = LocalChainRun(tmp_path)
    network = chain.network
    manifest = tmp_path / "city-local.json"
    run = chain.run

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
