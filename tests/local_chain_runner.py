"""Operator commands (`ape run ...`) against a private local chain on a free port, for the tests
that drive the local chain the way an operator does (tests/test_local_chain.py, the web3-only
client's scenario)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LocalChainRun:
    """`ape run` with the local chain's port and state folder under `folder`."""

    folder: Path
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def network(self) -> str:
        return f"ethereum:city-local:{self.url}"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ, "CIVIC_CHAIN_PORT": str(self.port),
            "CIVIC_CHAIN_DIR": str(self.folder / "chain"), "COLUMNS": "200",
            "APE_DATA_FOLDER": str(ROOT / ".ape-data"),
        }  # fmt: skip

    def run(self, *args: str, ok: bool | None = True, timeout: float = 600) -> str:
        """`ape run ARGS`; asserts it succeeded (ok=False: failed; None: either); its output."""
        done = subprocess.run(
            [str(Path(sys.executable).with_name("ape")), "run", *args], cwd=ROOT, env=self.env,
            capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        output = done.stdout + done.stderr
        assert ok is None or (done.returncode == 0) == ok, output[-3000:]
        return output
