"""A private anvil for the benchmark: free port (never 8545, which ape-foundry and other
engineers use), fixed block gas limit and block time, London rules, no state left behind."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from civic_ledger.core.paths import ROOT

ANVIL_BIN = ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
MNEMONIC = "test test test test test test test test test test test junk"
CHAIN_ID = 1337  # what Ape assumes for ethereum:local:<url> (it signs with this id)


@dataclass(frozen=True)
class AnvilSettings:
    """How the private anvil runs: block time (s), block gas limit, hardfork, test accounts."""

    block_time: int = 1
    gas_limit: int = 30_000_000
    hardfork: str = "london"
    accounts: int = 20


@dataclass(frozen=True)
class AnvilNode:
    """A running anvil: its RPC url, process id, settings and `anvil --version`."""

    url: str
    pid: int
    settings: AnvilSettings
    version: str


def free_port() -> int:
    """A free TCP port on 127.0.0.1 other than 8545."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port != 8545:
            return port


def stop(proc: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    """Ask a child process to end (SIGTERM); kill it if it has not within `timeout` s."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def anvil_binary() -> str:
    found = shutil.which("anvil")
    if found:
        return found
    if ANVIL_BIN.exists():
        return str(ANVIL_BIN)
    raise FileNotFoundError("anvil not found: run bin/setup (npm @foundry-rs/anvil-linux-amd64)")


def _wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"anvil exited with code {proc.returncode} before answering")
        try:
            body = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
            if requests.post(url, json=body, timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"anvil did not answer on {url} within {timeout:.0f}s")


@contextmanager
def running_anvil(settings: AnvilSettings = AnvilSettings(), log: Path | None = None) -> Iterator[AnvilNode]:  # fmt: skip
    """Start anvil on a free port, yield it, stop it (only this process) on exit."""
    binary = anvil_binary()
    port = free_port()
    command = [
        binary,
        "--host", "127.0.0.1",
        "--port", str(port),
        "--chain-id", str(CHAIN_ID),
        "--mnemonic", MNEMONIC,
        "--accounts", str(settings.accounts),
        "--block-time", str(settings.block_time),
        "--gas-limit", str(settings.gas_limit),
        "--hardfork", settings.hardfork,
        # No state folder left in ~/.foundry; the last states stay in memory so gas
        # measurements can be traced (debug_traceTransaction).
        "--prune-history", "64",
        # EIP-1559 raises the base fee 12.5 % per full block: from 0 it stays negligible for
        # the few hundred full blocks of a bulk import (a permissioned chain charges no fees).
        "--base-fee", "0",
    ]  # fmt: skip
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
    sink = log.open("wb") if log else subprocess.DEVNULL
    proc = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc)
        yield AnvilNode(url=url, pid=proc.pid, settings=settings, version=version.splitlines()[0])
    finally:
        stop(proc)
        if log:
            sink.close()  # type: ignore[union-attr]
