"""A local chain that stays up between commands (`ape run chain up|down|status|fund`).

Ape's `ethereum:local:foundry` starts anvil for one command and stops it afterwards, so a
deployment vanishes with the command that made it. This one is an anvil the project starts in
the background and keeps:

- state in `.chain/state.json` (anvil `--state`, dumped every 10 s and on SIGTERM), so it
  survives `down` / `up`; `down --clean` deletes it;
- a fixed port, 18545 (not 8545, where other tools' nodes live), and a pid file; `up` refuses
  to attach to a process on that port that is not the chain it started (checked by pid and by
  the chain id 7340 it answers);
- the Ape network `ethereum:city-local:node` (ape-config.yaml), with Ape's test accounts
  (`TEST::N`, the test mnemonic) funded, for `ape run deploy` and `ape run admin`.

It is a single-sequencer development chain: anvil's cheat RPCs are open to anyone, so it is
never a production node (the devnet and the network kit are the PoA chains).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from civic_dev.bench.anvil import MNEMONIC, anvil_binary
from civic_ledger.chain.client import HttpClient
from civic_ledger.core.exceptions import CivicError, RpcError
from civic_ledger.core.paths import ROOT

NETWORK = "city-local"
APE_NETWORK = f"ethereum:{NETWORK}:node"
CHAIN_ID = 7340
# Overridable for tests that must not touch a developer's running chain.
PORT = int(os.environ.get("CIVIC_CHAIN_PORT", "18545"))
URL = f"http://127.0.0.1:{PORT}"
FOLDER = Path(os.environ.get("CIVIC_CHAIN_DIR") or ROOT / ".chain")
STATE = FOLDER / "state.json"
PID_FILE = FOLDER / "anvil.pid"
GENESIS_FILE = FOLDER / "genesis"  # this chain's genesis hash, written at the first `up`
LOG = FOLDER / "anvil.log"
ACCOUNTS = 20
BALANCE_ETHER = 10_000


class ChainError(CivicError):
    """The local chain cannot be started, stopped or used as asked."""


@dataclass(frozen=True)
class Status:
    running: bool
    pid: int | None
    url: str
    chain_id: int | None = None
    head: int | None = None
    genesis: str | None = None
    state_file: Path = STATE
    manifests: tuple[tuple[Path, bool, str], ...] = ()  # (path, matches, why not)


def _pid() -> int | None:
    try:
        pid = int(PID_FILE.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists() and b"anvil" not in cmdline.read_bytes():
        return None  # the pid was reused by another program
    return pid


def _answers() -> int | None:
    client = HttpClient(URL, timeout=1.0)
    try:
        return client.chain_id()
    except RpcError:
        return None
    finally:
        client.close()


def up(timeout: float = 30.0) -> Status:
    """Start the chain (idempotent: a running one is left alone)."""
    pid = _pid()
    answering = _answers()
    if pid is not None:
        if answering != CHAIN_ID:
            raise ChainError(
                f"the chain's anvil (pid {pid}) does not answer on {URL} as chain {CHAIN_ID}: "
                "run `ape run chain down` and up again"
            )
        return status()
    if answering is not None:
        raise ChainError(
            f"something else answers on {URL} (chain id {answering}): this command does not "
            "attach to a node it did not start; stop it or free the port"
        )
    FOLDER.mkdir(parents=True, exist_ok=True)
    command = [
        anvil_binary(),
        "--host", "127.0.0.1",
        "--port", str(PORT),
        "--chain-id", str(CHAIN_ID),
        "--mnemonic", MNEMONIC,
        "--accounts", str(ACCOUNTS),
        "--balance", str(BALANCE_ETHER),
        "--hardfork", "london",
        "--state", str(STATE),
        "--state-interval", "10",
    ]  # fmt: skip
    with LOG.open("ab") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    PID_FILE.write_text(f"{process.pid}\n")
    deadline = time.monotonic() + timeout
    while _answers() != CHAIN_ID:
        if process.poll() is not None:
            PID_FILE.unlink(missing_ok=True)
            raise ChainError(f"anvil exited with code {process.returncode}: see {LOG}")
        if time.monotonic() > deadline:
            raise ChainError(f"anvil did not answer on {URL} within {timeout:.0f} s: see {LOG}")
        time.sleep(0.1)
    if not GENESIS_FILE.exists():
        client = HttpClient(URL, timeout=5.0)
        try:
            GENESIS_FILE.write_text(client.chain_ref().genesis + "\n")
        finally:
            client.close()
    return status()


def down(clean: bool = False, timeout: float = 20.0) -> bool:
    """Stop the chain (its state is dumped on SIGTERM); `clean` also deletes the state and
    retires the manifests written for it. True if a chain was running."""
    pid = _pid()
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _pid() is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        if _pid() is not None:
            os.kill(pid, signal.SIGKILL)
    PID_FILE.unlink(missing_ok=True)
    if clean:
        genesis = _genesis()
        shutil.rmtree(FOLDER, ignore_errors=True)
        retired = ROOT / ".cache" / "retired-manifests"
        for manifest in _manifests():
            if genesis and _field(manifest, "genesis_hash") == genesis:
                retired.mkdir(parents=True, exist_ok=True)
                manifest.rename(retired / f"{manifest.stem}.{int(time.time())}.json")
    return pid is not None


def _genesis() -> str | None:
    try:
        return GENESIS_FILE.read_text().strip().lower().removeprefix("0x")
    except OSError:
        return None


def _field(path: Path, key: str) -> str:
    try:
        return str(json.loads(path.read_text()).get(key, "")).lower().removeprefix("0x")
    except (OSError, ValueError, AttributeError):
        return ""


def _manifests() -> list[Path]:
    """Deployment manifests written for a chain with this chain's id (any file name)."""
    from civic_ledger.core.paths import DEPLOYMENTS_DIR

    return [
        p for p in sorted(DEPLOYMENTS_DIR.glob("*.json")) if _field(p, "chain_id") == str(CHAIN_ID)
    ]


def status() -> Status:
    pid = _pid()
    chain_id = _answers() if pid is not None else None
    if pid is None or chain_id != CHAIN_ID:
        return Status(
            False, pid, URL, manifests=tuple((m, False, "chain not running") for m in _manifests())
        )
    client = HttpClient(URL, timeout=5.0)
    try:
        ref = client.chain_ref()
        head = client.block_number()
        manifests = []
        for path in _manifests():
            manifests.append((path, *_matches(path, ref.chain_id, ref.genesis, client)))
    finally:
        client.close()
    return Status(True, pid, URL, ref.chain_id, head, ref.genesis, STATE, tuple(manifests))


def _matches(path: Path, chain_id: int, genesis: str, client: HttpClient) -> tuple[bool, str]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        return False, f"unreadable ({exc})"
    if data.get("chain_id") != chain_id:
        return False, f"chain {data.get('chain_id')}"
    if str(data.get("genesis_hash", "")).lower().removeprefix("0x") != genesis.lower().removeprefix(
        "0x"
    ):
        return False, "another chain with the same id (genesis differs)"
    contracts = data.get("contracts") or {}
    first = next(iter(contracts.values()), None)
    if first and not client.code(first["address"]):
        return False, "its contracts are gone (state reset)"
    return True, f"{len(contracts)} contracts"


def fund(address: str, wei: int) -> Any:
    """Send `wei` from the test mnemonic's first account to `address`; returns the outcome."""
    from eth_account import Account

    from civic_dev.funding import send_gas_money

    if not status().running:
        raise ChainError("the local chain is not running: `ape run chain up` first")
    Account.enable_unaudited_hdwallet_features()
    key = Account.from_mnemonic(MNEMONIC, account_path="m/44'/60'/0'/0/0").key.hex()
    return send_gas_money(URL, key, CHAIN_ID, address, wei, FOLDER / "fund.jsonl", "chain-fund")
