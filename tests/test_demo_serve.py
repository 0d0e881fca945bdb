"""`bin/demo --serve`: after the demo, the gateway serves the demo's chain, indexed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from civic_dev.bench.anvil import free_port, stop

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_demo_serves_the_gateway_with_its_data(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "APE_DATA_FOLDER": os.environ.get("APE_DATA_FOLDER", str(ROOT / ".ape-data")),
    }
    log = tmp_path / "demo.log"
    with log.open("w") as out:
        demo = subprocess.Popen(
            [str(Path(sys.executable).with_name("ape")), "run", "demo", "--serve", "--port",
             str(port)], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 900
        while "Portal and API" not in log.read_text() and time.monotonic() < deadline:
            assert demo.poll() is None, log.read_text()[-3000:]
            time.sleep(2)
        text = log.read_text()
        assert f"http://127.0.0.1:{port}/" in text, text[-3000:]
        # the land registry's three access receipts, checked against the anchored root
        assert "the land registry published 3 access receipts to the gateway" in text, text[-3000:]
        indexed = int(re.search(r"indexed ([\d,]+) events", text).group(1).replace(",", ""))
        status = requests.get(f"http://127.0.0.1:{port}/api/v1/status", timeout=10).json()
        assert status["events"] == indexed > 200 and status["lag_blocks"] == 0
        rounds = requests.get(f"http://127.0.0.1:{port}/api/v1/fund/rounds", timeout=10).json()
        assert rounds["rounds"], rounds
    finally:
        stop(demo, timeout=20)
