"""Helpers of the partition tests (`test_partitions.py`): a transfer workload through the RPC
node, the gateway's indexer following the RPC node, and the figures each test reports.

The figures of every test run are printed (one `partition figures:` line per test) and
appended to `.cache/test-results/partitions.jsonl` (bin/test --slow prints the table
`figures_table()` renders at the end: pytest captures the lines of passing tests).
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from civic_dev.devnet import clique
from civic_dev.devnet.bench import canonical_transactions, sign_transfer, wait_nonces
from civic_dev.devnet.keys import Key, derive_key
from civic_dev.devnet.local import LocalDevnet
from civic_ledger.chain.client import HttpClient
from civic_ledger.core.exceptions import RpcError
from civic_ledger.gateway.db import connect
from civic_ledger.gateway.indexer import Contracts, Indexer, status

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / ".cache" / "test-results" / "partitions.jsonl"  # bin/test prints it


@dataclass
class Sent:
    tx_hash: str
    nonce: int
    raw: str
    tries: int = 1


class Workload(threading.Thread):
    """One agency account sends a transfer every `interval` s through `url` (the RPC node):
    explicit nonces, each transaction signed once; a send that fails is retried with the same
    signed bytes (never re-signed) until the node takes it, and each failure is kept."""

    def __init__(self, net: LocalDevnet, key: Key, url: str, interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.client = HttpClient(url, timeout=2.0)
        self.key = key
        self.chain_id = net.cfg.chain_id
        self.to = derive_key(net.cfg.seed, "partition-sink", 0).address
        self.interval = interval
        self.start_nonce = self.client.nonce(key.address, "pending")
        self.sent: list[Sent] = []
        self.errors: list[tuple[float, str]] = []  # (monotonic time, message)
        self.fatal: BaseException | None = None
        self._halt = threading.Event()

    def run(self) -> None:
        nonce = self.start_nonce
        try:
            while not self._halt.is_set():
                raw, tx_hash = sign_transfer(self.key, chain_id=self.chain_id, nonce=nonce,
                                             to=self.to, value=10**12 + nonce)  # fmt: skip
                sent = Sent(tx_hash, nonce, raw, tries=0)
                self._deliver(sent)
                self.sent.append(sent)
                nonce += 1
                self._halt.wait(self.interval)
        except BaseException as exc:  # reported by the test
            self.fatal = exc

    def _deliver(self, sent: Sent) -> None:
        """Until the node takes it: the same signed bytes each time ("already known" after an
        answer that was lost on the way is success, as in `chain/settle.py`)."""
        halted_at: float | None = None
        while True:
            sent.tries += 1
            try:
                self.client.send_raw(bytes.fromhex(sent.raw[2:]), rebroadcast=True)
                return
            except RpcError as exc:
                self.errors.append((time.monotonic(), str(exc)))
            if self._halt.is_set():
                halted_at = halted_at or time.monotonic()
                if time.monotonic() - halted_at > 30:
                    raise RuntimeError(f"the RPC node never took {sent.tx_hash}")
            time.sleep(0.5)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=20)

    def rebroadcast_unmined(self, rpc: HttpClient) -> int:
        """Send every transaction not mined yet again, as the same signed bytes; return how
        many were sent."""
        mined = rpc.nonce(self.key.address)
        again = [s for s in self.sent if s.nonce >= mined]
        for sent in again:
            self.client.send_raw(bytes.fromhex(sent.raw[2:]), rebroadcast=True)
        return len(again)


def wait_mined_once(workload: Workload, rpc: HttpClient, first_block: int,
                    timeout: float = 60) -> int:  # fmt: skip
    """Wait until every sent transaction is mined; return how many were lost (sent, never
    mined). Fails if one is mined twice or its nonce slot holds another transaction."""
    expected = {workload.key.address: workload.start_nonce + len(workload.sent)}
    with contextlib.suppress(Exception):  # counted below: the lost are those not in the chain
        wait_nonces(rpc, expected, timeout=timeout)
    head = rpc.block_number()
    hashes = {s.tx_hash for s in workload.sent}
    counts = Counter(h for _, h in canonical_transactions(rpc, first_block, head) if h in hashes)
    assert max(counts.values(), default=1) == 1, "a transaction was mined twice"
    return len(hashes - set(counts))


class Follower(threading.Thread):
    """The gateway's indexer stepping along the RPC node every `interval` s, as
    `ape run gateway index --follow` does: a node error is noted and retried. The deployment it
    follows is empty (no contract: no events), which leaves what a partition can do to it - the
    blocks under its cursor replaced - and how deep that went (`max_depth`)."""

    def __init__(self, url: str, database: Path, interval: float = 0.3) -> None:
        super().__init__(daemon=True)
        client = HttpClient(url, timeout=2.0)
        head = client.block_number()
        contracts = Contracts({}, ["0x000000000000000000000000000000000000dEaD"], head)
        self.indexer = Indexer(connect(str(database)), client, contracts)
        self.indexer.prepare(client.chain_ref(), "partition-test")
        self.interval = interval
        self.node_errors = 0
        self.max_depth = 0
        self.fatal: BaseException | None = None
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                before = self.indexer.cursor()["block"]
                result = self.indexer.step()
                if result.rolled_back_to is not None:
                    self.max_depth = max(self.max_depth, before - result.rolled_back_to)
            except RpcError:
                self.node_errors += 1
            except BaseException as exc:  # reported by the test
                self.fatal = exc
                return
            self._halt.wait(self.interval)

    def caught_up(self, block: int, timeout: float = 30) -> None:
        """Wait until the indexer's cursor is at `block` (so the block under it is stored and
        a later fork finds its ancestor there)."""
        clique.wait_until(lambda: self.indexer.cursor()["block"] >= block, timeout,
                          f"the indexer to reach block {block}")  # fmt: skip

    def stop(self) -> dict:
        self._halt.set()
        self.join(timeout=20)
        assert self.fatal is None, self.fatal
        state = status(self.indexer.engine)
        noted = re.findall(r"\((\d+) deep", state["last_reorg"] or "")
        return {"reorgs": state["reorgs"], "max_depth": max([self.max_depth, *map(int, noted)]),
                "node_errors": self.node_errors, "last_reorg": state["last_reorg"]}  # fmt: skip


def chain_of(rpc: HttpClient, first: int) -> dict[int, str]:
    """{number: hash} of the blocks `first`..head as this node sees them now."""
    head = rpc.block_number()
    if head < first:
        return {}
    blocks = rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in range(first, head + 1)])
    return {int(b["number"], 16): b["hash"] for b in blocks if isinstance(b, dict)}


def orphaned(branches: list[dict[int, str]], canonical: HttpClient) -> int:
    """How many distinct blocks of `branches` (recorded on each side before the heal) are not
    on the canonical chain now: the blocks the partition cost."""
    seen = {(n, h) for branch in branches for n, h in branch.items()}
    if not seen:
        return 0
    now = chain_of(canonical, min(n for n, _ in seen))
    return sum(1 for n, h in seen if now.get(n) != h)


def wait_one_head(rpcs: list[HttpClient], beyond: int, timeout: float) -> tuple[float, int]:
    """Wait until every node holds the same head and it is past block `beyond` (sealing has
    resumed on one chain); return (seconds, head)."""
    head = 0

    def agreed() -> bool:
        nonlocal head
        blocks = [r.block() for r in rpcs]
        head = int(blocks[0]["number"], 16)
        return len({b["hash"] for b in blocks}) == 1 and head > beyond

    took = clique.wait_until(agreed, timeout, f"one head past block {beyond}", interval=0.2)
    return took, head


def pause_sealing(rpcs: list[HttpClient], tries: int = 5) -> int:
    """Stop every signer sealing with all nodes on one head; return that head (two signers
    racing for one height can leave the nodes apart: then sealing resumes and stops again)."""

    def agreed() -> bool:
        return len({r.block("latest")["hash"] for r in rpcs}) == 1

    for _ in range(tries):
        for rpc in rpcs:
            rpc.call("miner_start")
        clique.wait_until(agreed, 30, "every node on the same head", interval=0.1)
        for rpc in rpcs:
            rpc.call("miner_stop")
        time.sleep(2)  # a block being sealed lands everywhere
        if agreed():
            return rpcs[0].block_number()
    raise AssertionError(f"the nodes never agreed on a head with sealing stopped ({tries} tries)")


def wait_advancing(rpc: HttpClient, blocks: int, timeout: float) -> float:
    start = rpc.block_number()
    return clique.wait_until(lambda: rpc.block_number() >= start + blocks, timeout,
                             f"{blocks} new blocks on {rpc.url}")  # fmt: skip


@dataclass
class Figures:
    scenario: str
    partition_seconds: float
    sealed_during: dict[str, int]  # blocks each side sealed while cut off
    blocks_lost: int  # sealed during the partition, not on the final chain
    recover_seconds: float  # heal -> one head again, sealing
    txs_sent: int
    txs_lost: int
    client_errors: int  # sends the RPC node did not take (retried with the same bytes)
    indexer_reorgs: int
    indexer_reorg_depth: int
    indexer_node_errors: int
    notes: str = ""
    extra: dict = field(default_factory=dict)

    def line(self) -> str:
        sides = ", ".join(f"{k} {v}" for k, v in self.sealed_during.items())
        return (f"partition figures: {self.scenario}: cut {self.partition_seconds:.0f} s "
                f"(sealed: {sides}); blocks lost {self.blocks_lost}; recovered in "
                f"{self.recover_seconds:.1f} s; txs lost {self.txs_lost} of {self.txs_sent} "
                f"({self.client_errors} client errors); indexer reorgs {self.indexer_reorgs}, "
                f"depth {self.indexer_reorg_depth}, node errors {self.indexer_node_errors}"
                + (f"; {self.notes}" if self.notes else ""))  # fmt: skip

    def report(self) -> None:
        print("\n" + self.line())
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        with RESULTS.open("a") as out:
            out.write(json.dumps({"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                  **asdict(self)}) + "\n")  # fmt: skip


def figures_table(path: Path = RESULTS) -> str:
    """The latest figures of each scenario as a Markdown table."""
    latest: dict[str, dict] = {}
    for line in path.read_text().splitlines():
        row = json.loads(line)
        latest[row["scenario"]] = row
    out = ["| scenario | cut (s) | sealed while cut | blocks lost | recovery (s) | txs lost "
           "| client errors | indexer reorgs / depth |", "| --- | ---: | --- | ---: | ---: | ---: "
           "| ---: | --- |"]  # fmt: skip
    for r in latest.values():
        sides = ", ".join(f"{k}: {v}" for k, v in r["sealed_during"].items())
        scenario = r["scenario"].replace("|", "\\|")  # a pipe would end the cell
        out.append(f"| {scenario} | {r['partition_seconds']:.0f} | {sides} | "
                   f"{r['blocks_lost']} | {r['recover_seconds']:.1f} | {r['txs_lost']}/"
                   f"{r['txs_sent']} | {r['client_errors']} | {r['indexer_reorgs']} / "
                   f"{r['indexer_reorg_depth']} |")  # fmt: skip
    return "\n".join(out)


if __name__ == "__main__":
    import sys

    print(figures_table(Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS))
