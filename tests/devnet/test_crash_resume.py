"""Crash-resume on a real persistent chain (needs geth 1.13.15: tools/build-geth.sh).

A private single-signer geth Clique devnet in a temp folder (its own seed, keystores, Ape data
folder and free ports; never `.devnet/` or 8645). The real commands run as subprocesses, as an
operator runs them, and get killed with SIGKILL midway:

* `ape run deploy`: the node is killed while a deploy transaction is journaled as pending, then
  (after a restart of the node) the deploy script itself is killed; the third run completes.
  Every step is in the manifest, the deployer's nonce equals the number of transactions the
  manifest records (nothing sent twice), and the output and manifest say what was resumed.
* `ape run admin titles import`: the script is killed mid-import (batches in flight), re-run;
  then a second file with the node killed mid-import, re-run. Every parcel is registered
  exactly once (one `ParcelRegistered` event each, every registrar transaction succeeded),
  and the output and journal say how many parcels were resumed and how many sent fresh.

The node keeps archive state (`NoPruning`): a lone Clique signer with geth's default
`gcmode=full` holds recent state in memory only, so a SIGKILL rewinds its chain to the last
flushed state (blocks are re-sealed differently): that is a reorg, not a crash to resume from.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from eth_abi import decode, encode
from eth_utils import keccak

from civic_dev.devnet import clique
from civic_dev.devnet.accounts import DEPLOYER_ALIAS, alias_for
from civic_dev.devnet.local import LocalDevnet
from civic_dev.devnet.nodes import NodeSpec, running_pid
from civic_ledger.bulk.parcels import read_parcels_csv
from civic_ledger.bulk.sample import sample_owners, write_sample_csv
from civic_ledger.chain.client import HttpClient
from civic_ledger.chain.journal import Journal
from civic_ledger.spec import all_contracts

from .conftest import devnet_config, require_geth

pytestmark = [pytest.mark.slow, pytest.mark.devnet]

ROOT = Path(__file__).resolve().parents[2]
SEED = "civic-ledger-crash-test"
PASSPHRASE = "crash-test-only"
IDENTITY_OFFICE = alias_for("identity_office")
REGISTRAR = alias_for("land_registry")
PARCELS = 200
OWNERS = 12
BATCH = 10
WINDOW = 4
PARCEL_REGISTERED = (
    "0x" + keccak(text="ParcelRegistered(uint256,address,bytes32,bytes32,uint128,uint32)").hex()
)


@dataclass
class Chain:
    """The private devnet plus what the commands need to run on it."""

    net: LocalDevnet
    root: Path
    data_folder: Path
    manifest: Path
    faults: list[str] = field(default_factory=list)

    @property
    def node(self) -> NodeSpec:
        return self.net.nodes[0]

    @property
    def rpc(self) -> HttpClient:
        return HttpClient(self.node.url, timeout=10)

    @property
    def network(self) -> str:
        # Ape's `ecosystem:network:URI` form: the city-devnet network, on this node's port.
        return f"ethereum:city-devnet:{self.node.url}"

    def address(self, alias: str) -> str:
        return self.net.agencies[alias].address

    def nonce(self, alias: str) -> int:
        return self.nonce_of(self.address(alias))

    def nonce_of(self, address: str) -> int:
        return int(self.rpc.call("eth_getTransactionCount", address, "latest"), 16)

    def kill_node(self) -> None:
        pid = running_pid(self.node)
        assert pid is not None, "the node is not running"
        os.kill(pid, signal.SIGKILL)
        clique.wait_until(lambda: running_pid(self.node) is None, 10, "the killed node to exit")

    def start_node(self) -> None:
        self.net.start(self.node, mine=False)
        start_sealing(self.rpc)


def start_sealing(rpc: HttpClient, timeout: float = 30) -> None:
    """`miner_start` until blocks come. geth serves JSON-RPC before `--unlock` has unlocked the
    signer, and a lone signer whose first sealing attempt failed ("authentication needed")
    waits for work that never comes: stop and start again until the head moves."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        head = rpc.block_number()
        rpc.call("miner_start")
        moved = time.monotonic() + 2.5
        while time.monotonic() < moved:
            if rpc.block_number() > head:
                return
            time.sleep(0.1)
        rpc.call("miner_stop")
    raise AssertionError(f"the node at {rpc.url} does not seal blocks")


@pytest.fixture(scope="module")
def chain(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Chain]:
    geth = require_geth()
    root = tmp_path_factory.mktemp("crash-devnet")
    cfg = devnet_config(root / "devnet", 1, SEED)
    net = LocalDevnet(cfg, geth)
    net.prepare(PASSPHRASE)
    config = net.nodes[0].config_file
    config.write_text(config.read_text().replace("[Eth]\n", "[Eth]\nNoPruning = true\n", 1))
    data_folder = root / "ape-data"
    net.write_ape_accounts(data_folder, PASSPHRASE)
    state = Chain(net, root, data_folder, root / "deployments" / "city-devnet.json")
    try:
        state.start_node()
        yield state
    finally:
        net.down()
        line = f"crash-resume: {len(state.faults)} faults survived ({', '.join(state.faults)})"
        capture = request.config.pluginmanager.getplugin("capturemanager")
        with capture.global_and_fixture_disabled():
            print(f"\n{line}")


# ------------------------------------------------------------------ subprocesses


@dataclass
class Run:
    """One `ape run ...` subprocess, output in a file (readable while it runs)."""

    process: subprocess.Popen[bytes]
    log: Path

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the command (its whole process group)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"timed out after {timeout} s:\n{self.output[-3000:]}") from None

    def finish(self, timeout: float = 240) -> str:
        """Wait for a run that must succeed; its output."""
        code = self.wait(timeout)
        assert code == 0, f"exit {code}:\n{self.output[-3000:]}"
        return self.output


def ape(chain: Chain, name: str, *args: str) -> Run:
    env = dict(os.environ)
    env.update(
        APE_DATA_FOLDER=str(chain.data_folder),
        CIVIC_PASSPHRASE=PASSPHRASE,
        COLUMNS="200",  # rich: one line per message
    )
    log = chain.root / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("ape")), "run", *args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Run(process, log)


def deploy(chain: Chain, name: str) -> Run:
    return ape(
        chain, name, "deploy", "--network", chain.network, "--account", DEPLOYER_ALIAS,
        "--roles", str(chain.net.roles_file), "--manifest", str(chain.manifest),
    )  # fmt: skip


def wait_for(run: Run, condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
    """Poll `condition` while `run` is still going (fail if it ends first)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if run.process.poll() is not None:
            raise AssertionError(f"finished before {what}:\n{run.output[-3000:]}")
        if time.monotonic() > deadline:
            run.kill()
            raise AssertionError(f"timed out waiting for {what}:\n{run.output[-3000:]}")
        time.sleep(0.05)


# ------------------------------------------------------------------ deploy


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())  # written atomically (os.replace)
    except FileNotFoundError:
        return {}


def mined_txs(manifest: dict[str, Any]) -> set[str]:
    return {step["tx_hash"] for step in manifest.get("steps", {}).values()}


def txs_by_sender(chain: Chain, txs: set[str]) -> dict[str, int]:
    """How many of `txs` each account sent; every one must have succeeded."""
    counts: dict[str, int] = {}
    for tx in txs:
        receipt = chain.rpc.call("eth_getTransactionReceipt", tx)
        assert receipt["status"] == "0x1", tx
        counts[receipt["from"].lower()] = counts.get(receipt["from"].lower(), 0) + 1
    return counts


def test_deploy_survives_a_killed_node_and_a_killed_script(chain: Chain) -> None:
    planned = {spec.name for spec in all_contracts()}

    # 1. Kill -9 the node while a transaction is journaled as pending, a few steps in.
    first = deploy(chain, "deploy-1")
    wait_for(
        first,
        lambda: len(mined_txs(m := read_manifest(chain.manifest))) >= 3 and bool(m["pending"]),
        "three deploy transactions and a pending one",
    )
    chain.kill_node()
    first.wait(timeout=90)  # the script fails without its node (or hangs: then it is killed)
    assert first.process.returncode != 0
    at_node_kill = read_manifest(chain.manifest)
    assert 0 < len(at_node_kill["contracts"]) < len(planned)
    chain.start_node()

    # 2. Kill -9 the deploy script itself, a few transactions later.
    second = deploy(chain, "deploy-2")
    wait_for(
        second,
        lambda: (
            len(mined_txs(m := read_manifest(chain.manifest))) >= len(mined_txs(at_node_kill)) + 4
            and bool(m["pending"])
        ),
        "four more deploy transactions and a pending one",
    )
    second.kill()
    at_script_kill = read_manifest(chain.manifest)
    assert at_script_kill["runs"][-1]["status"] == "running"  # killed: never finished

    # 3. The third run completes.
    output = deploy(chain, "deploy-3").finish()
    final = read_manifest(chain.manifest)

    # Complete: every contract, no pending transaction, every run accounted for.
    assert set(final["contracts"]) == planned
    assert final["pending"] == {}
    # The first run failed when its node went away; the second was killed (never recorded
    # its end), the third completed.
    assert [r["status"] for r in final["runs"]] == ["failed", "interrupted", "complete"]
    assert final["runs"][0]["error"]
    # Nothing sent twice: each signer (the deployer; the records administrator for the
    # catalogue) sent exactly the transactions the manifest records.
    txs = mined_txs(final)
    sent_by = txs_by_sender(chain, txs)
    assert chain.address(DEPLOYER_ALIAS).lower() in sent_by
    for sender, count in sent_by.items():
        assert chain.nonce_of(sender) == count, sender

    # The output and the manifest say what each re-run resumed: the steps recorded before
    # the kill, and each transaction journaled as pending either adopted (the node had it
    # and mined it) or dropped and re-sent (it never reached the node).
    for run, at_kill, record in (
        (second, at_node_kill, final["runs"][1]),
        (None, at_script_kill, final["runs"][2]),
    ):
        log = run.output if run else output
        assert re.search(r"resumed the run started \S+ (failed|interrupted)", log), log
        assert f"{len(at_kill['steps'])} step(s) recorded" in log
        pending = sorted(s for e in at_kill["pending"].values() for s in e["items"])
        assert record["resumed"]["pending"] == pending
        mined = sorted(
            s
            for e in at_kill["pending"].values()
            if chain.rpc.call("eth_getTransactionReceipt", e["tx_hash"])
            for s in e["items"]
        )
        assert record["adopted"] == mined
        assert sorted(record["adopted"] + record["dropped"]) == pending
        if record["adopted"]:
            assert re.search(r"^\s*adopted ", log, re.MULTILINE), log
    assert "resumed an interrupted run" in output
    chain.faults += ["deploy: node killed", "deploy: script killed"]

    # A further run finds everything done.
    again = deploy(chain, "deploy-4").finish()
    assert "nothing to do" in again
    assert {sender: chain.nonce_of(sender) for sender in sent_by} == sent_by


# ------------------------------------------------------------------ bulk import


def ensure_deployed(chain: Chain) -> dict[str, Any]:
    manifest = read_manifest(chain.manifest)
    if not manifest.get("runs") or manifest["runs"][-1]["status"] != "complete":
        deploy(chain, "deploy-for-import").finish()
        manifest = read_manifest(chain.manifest)
    return manifest


def import_run(chain: Chain, name: str, csv_path: Path, journal: Path) -> Run:
    return ape(
        chain, name, "admin", "titles", "import", str(csv_path), "--network", chain.network,
        "--manifest", str(chain.manifest), "--account", REGISTRAR, "--journal", str(journal),
        "--batch-size", str(BATCH), "--window", str(WINDOW),
    )  # fmt: skip


def journal_records(path: Path) -> list[dict[str, Any]]:
    records = []
    for line in path.read_text().splitlines() if path.exists() else []:
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a torn last line
    return records


def confirmed_count(path: Path) -> int:
    return sum(1 for r in journal_records(path) if r["type"] == "confirmed")


def registrations(chain: Chain, titles: str) -> Counter[int]:
    """parcel id -> ParcelRegistered events for it."""
    logs = chain.rpc.call(
        "eth_getLogs",
        {"fromBlock": "0x0", "toBlock": "latest", "address": titles, "topics": [PARCEL_REGISTERED]},
    )
    return Counter(int(log["topics"][1], 16) for log in logs)


def data_hashes(chain: Chain, titles: str, ids: list[int]) -> list[bytes]:
    data = keccak(text="dataHashesOf(uint256[])")[:4] + encode(["uint256[]"], [ids])
    result = chain.rpc.call("eth_call", {"to": titles, "data": "0x" + data.hex()}, "latest")
    return list(decode(["bytes32[]"], bytes.fromhex(result[2:]))[0])


def resume_line(output: str) -> dict[str, int]:
    match = re.search(
        r"resumed an interrupted import: ([\d,]+) parcels confirmed before, ([\d,]+) "
        r"recovered from (\d+) batch\(es\) in flight, ([\d,]+) of never-mined batches "
        r"re-checked; sent fresh ([\d,]+)",
        output,
    )
    assert match, output
    keys = ("confirmed_before", "recovered", "batches", "dropped", "fresh")
    return {k: int(v.replace(",", "")) for k, v in zip(keys, match.groups(), strict=True)}


def test_bulk_import_survives_a_killed_script_and_a_killed_node(chain: Chain) -> None:
    manifest = ensure_deployed(chain)
    titles = manifest["contracts"]["TitleRegistry"]["address"]
    first_csv = chain.root / "parcels-a.csv"
    owners = ape(
        chain, "owners", "admin", "titles", "sample-csv", "--network", chain.network,
        "--manifest", str(chain.manifest), "--count", str(PARCELS), "--owners", str(OWNERS),
        "--out", str(first_csv), "--register-owners", "--account", IDENTITY_OFFICE,
    )  # fmt: skip
    assert "registered" in owners.finish()
    second_csv = chain.root / "parcels-b.csv"
    write_sample_csv(second_csv, PARCELS, sample_owners(OWNERS), seed=11, prefix="BK")
    registrar_nonce = chain.nonce(REGISTRAR)

    def interrupted_import(csv_path: Path, label: str, kill: Callable[[Run], None]) -> None:
        journal = chain.root / f"{csv_path.stem}.jsonl"
        run = import_run(chain, f"{label}-1", csv_path, journal)
        wait_for(
            run,
            lambda: confirmed_count(journal) >= 4 and bool(Journal(journal).unresolved),
            "four confirmed batches and more in flight",
        )
        kill(run)
        state = Journal(journal)
        confirmed = len(state.confirmed)
        in_flight = sorted(b.batch for b in state.unresolved)
        assert 0 < confirmed < PARCELS and in_flight
        if label == "node-kill":
            chain.start_node()

        output = import_run(chain, f"{label}-2", csv_path, journal).finish()
        # What was resumed and what was sent fresh, in the output...
        figures = resume_line(output)
        assert figures["confirmed_before"] == confirmed
        assert figures["batches"] == len(in_flight)
        assert figures["recovered"] + figures["dropped"] == sum(
            len(b.keys) for b in state.unresolved
        )
        assert confirmed + figures["recovered"] + figures["fresh"] == PARCELS, output
        # ... and in the journal.
        records = journal_records(journal)
        resume = next(r for r in records if r["type"] == "resume")
        assert resume["confirmed_before"] == confirmed
        assert sorted(resume["recovered_batches"] + resume["dropped_batches"]) == in_flight
        assert records[-1]["type"] == "finished"
        assert records[-1]["imported"] == figures["fresh"]
        assert [r["type"] for r in records].count("finished") == 1  # the first run never did
        # Every parcel confirmed exactly once in the journal.
        sent = {r["batch"]: r["keys"] for r in records if r["type"] == "sent"}
        confirmed_keys = [
            k
            for r in records
            if r["type"] == "confirmed"
            for k in r.get("keys") or sent[r["batch"]]
        ]
        rows, bad = read_parcels_csv(csv_path)
        assert not bad and len(rows) == PARCELS
        assert sorted(confirmed_keys) == sorted(r.code for r in rows)

        # On chain: every row registered, with its data, by exactly one event.
        ids = [r.parcel_id for r in rows]
        assert data_hashes(chain, titles, ids) == [r.data_hash for r in rows]
        events = registrations(chain, titles)
        assert all(events[i] == 1 for i in ids)
        chain.faults.append(f"import: {label}")

    def kill_script(run: Run) -> None:
        run.kill()

    def kill_node(run: Run) -> None:
        chain.kill_node()
        run.wait(timeout=90)  # fails without its node (or hangs: then it is killed)

    interrupted_import(first_csv, "script-kill", kill_script)
    interrupted_import(second_csv, "node-kill", kill_node)

    # No duplicate-revert (nor any other): every registrar transaction succeeded, and their
    # number is the number of batches the journals confirm.
    head = chain.rpc.block_number()
    registrar = chain.address(REGISTRAR).lower()
    statuses = []
    for number in range(1, head + 1):
        for receipt in chain.rpc.call("eth_getBlockReceipts", hex(number)) or []:
            if receipt["from"].lower() == registrar:
                statuses.append(receipt["status"])
    batches = sum(confirmed_count(chain.root / f"{p.stem}.jsonl") for p in (first_csv, second_csv))
    assert statuses == ["0x1"] * batches
    assert chain.nonce(REGISTRAR) - registrar_nonce == batches
    assert sum(registrations(chain, titles).values()) == 2 * PARCELS


# ------------------------------------------------------------------ upgrade (issue #20)


def test_upgrade_on_the_devnet_waits_for_the_notice_then_runs(chain: Chain) -> None:
    """On the PoA chain, after the deploy above: `ape run deploy --upgrade` schedules, waits for
    the notice period, executes on the next run; the proxy then runs the new version."""
    upgrade = ("--upgrade", "CityToken=CityTokenV2")
    first = ape(
        chain, "upgrade-1", "deploy", "--network", chain.network, "--account", DEPLOYER_ALIAS,
        "--roles", str(chain.net.roles_file), "--manifest", str(chain.manifest), *upgrade,
    ).finish()  # fmt: skip
    assert "waiting" in first and "scheduled" in first, first[-2000:]
    [record] = read_manifest(chain.manifest)["upgrades"]
    assert record["status"] == "scheduled"
    token = read_manifest(chain.manifest)["contracts"]["CityToken"]["address"]

    def version() -> str:
        raw = chain.rpc.call("eth_call", {"to": token, "data": "0x54fd4d50"}, "latest")
        return decode(["string"], bytes.fromhex(raw[2:]))[0]

    assert version() == "1.0.0"
    clique.wait_until(
        lambda: int(chain.rpc.block("latest")["timestamp"], 16) >= record["ready_at"],
        record["ready_at"] - time.time() + 60,
        "the notice period to pass",
    )
    second = ape(
        chain, "upgrade-2", "deploy", "--network", chain.network, "--account", DEPLOYER_ALIAS,
        "--roles", str(chain.net.roles_file), "--manifest", str(chain.manifest), *upgrade,
    ).finish()  # fmt: skip
    assert version() == "2.0.0", second[-2000:]
    [done] = read_manifest(chain.manifest)["upgrades"]
    assert done["status"] == "executed" and done["executed_tx"]
