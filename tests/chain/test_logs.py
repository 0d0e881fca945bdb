"""The log reader against nodes that limit a log query the ways real ones do."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civic_ledger.chain.client import ChainClient
from civic_ledger.chain.logs import LogReader
from civic_ledger.core.exceptions import RpcError


class LimitedNode(ChainClient):
    """One log per block; refuses ranges over `limit` blocks (Besu's message) or answers with
    more than `max_logs` logs (geth-style result cap), optionally suggesting a range."""

    def __init__(self, limit: int = 10**9, max_logs: int = 10**9, suggest: bool = False) -> None:
        self.limit, self.max_logs, self.suggest = limit, max_logs, suggest
        self.queries: list[tuple[int, int]] = []

    def call(self, method: str, *params: Any) -> Any:
        assert method == "eth_getLogs"
        first, last = int(params[0]["fromBlock"], 16), int(params[0]["toBlock"], 16)
        self.queries.append((first, last))
        if last - first + 1 > self.limit:
            raise RpcError(method, "Requested range exceeds maximum RPC range limit", -32005)
        if last - first + 1 > self.max_logs:
            hint = (
                f" this block range should work: [{hex(first)}, {hex(first + self.max_logs - 1)}]"
            )
            raise RpcError(
                method,
                "query returned more than 10000 results." + (hint if self.suggest else ""),
                -32005,
            )
        return [{"blockNumber": hex(n)} for n in range(first, last + 1)]


def blocks(logs: list[dict[str, Any]]) -> list[int]:
    return [int(log["blockNumber"], 16) for log in logs]


@settings(max_examples=60, deadline=None)
@given(
    first=st.integers(0, 3_000),
    length=st.integers(0, 6_000),
    limit=st.integers(1, 3_000),
    span=st.integers(1, 5_000),
    suggest=st.booleans(),
    wanted=st.none() | st.integers(1, 500),
)
def test_every_block_is_read_exactly_once_in_order(first, length, limit, span, suggest, wanted):
    node = LimitedNode(max_logs=limit, suggest=suggest) if suggest else LimitedNode(limit=limit)
    reader = LogReader(node, span=span, max_span=max(span, 10_000), max_logs=wanted)
    assert blocks(reader.read(["0x" + "00" * 20], None, first, first + length - 1)) == list(
        range(first, first + length)
    )


class DenseNode(ChainClient):
    """`density` logs in every block, no limits."""

    def __init__(self, density: int) -> None:
        self.density = density

    def call(self, method: str, *params: Any) -> Any:
        first, last = int(params[0]["fromBlock"], 16), int(params[0]["toBlock"], 16)
        return [
            {"blockNumber": hex(n)} for n in range(first, last + 1) for _ in range(self.density)
        ]


@pytest.mark.parametrize("density", [1, 7, 50, 400])
def test_chunks_keep_near_the_logs_wanted(density):
    """The indexer's reader: after the first answer, chunks hold at most `max_logs` logs (bar
    a block denser than that on its own) and, on a chain dense enough, at least half of it."""
    reader = LogReader(DenseNode(density), span=100, max_span=10_000, max_logs=1_000)
    sizes = [len(logs) for _, _, logs in reader.chunks([], None, 0, 19_999)]
    assert sum(sizes) == 20_000 * density
    later = sizes[1:-1]
    assert all(size <= 1_000 for size in later)
    if density * 2 >= 1_000 // 100:  # dense enough that the span settles, not grows to max
        assert all(size >= 500 - density for size in later)


def test_a_range_limited_node_is_learned_once_then_respected():
    node = LimitedNode(limit=1_000)
    reader = LogReader(node, span=5_000, max_span=5_000)
    reader.read([], None, 0, 99_999)
    refused = [q for q in node.queries if q[1] - q[0] + 1 > 1_000]
    assert reader.shrinks == len(refused)
    # after the first refusals the reader stays at or under the limit, bar one probe per growth
    assert len(refused) <= 1 + len(node.queries) // 4
    assert len(node.queries) < 100_000 / 1_000 * 1.5


def test_the_suggested_range_is_taken_at_once():
    node = LimitedNode(max_logs=700, suggest=True)
    reader = LogReader(node, span=5_000, max_span=5_000)
    reader.read([], None, 0, 699)
    assert node.queries == [(0, 699)]
    reader.read([], None, 1_000, 7_999)
    assert node.queries[1:3] == [(1_000, 5_999), (1_000, 1_699)]


def test_other_errors_and_one_block_refusals_name_the_blocks():
    class Down(ChainClient):
        def call(self, method: str, *params: Any) -> Any:
            raise RpcError(method, "no answer from http://node: connection refused")

    with pytest.raises(RpcError, match=r"blocks 5\.\.14: no answer"):
        LogReader(Down(), span=10).read([], None, 5, 30)
    with pytest.raises(RpcError, match=r"blocks 7\.\.7: Requested range exceeds"):
        LogReader(LimitedNode(limit=0), span=4).read([], None, 7, 9)


def test_bad_spans_are_refused():
    with pytest.raises(ValueError, match="need 1 <= span <= max"):
        LogReader(LimitedNode(), span=0)


def test_a_deployments_reads_start_at_its_manifests_first_block(tmp_path):
    from civic_ledger.chain.manifest import Manifest

    manifest = Manifest.new(tmp_path / "m.json", "local", 1337, "0x" + "11" * 32)
    assert manifest.first_block == 0  # nothing recorded: from the genesis
    manifest.contracts.update(
        {"AccessManager": {"block": 41}, "IdentityRegistry": {"block": 43}, "Odd": {}}
    )
    assert manifest.first_block == 41
    node = LimitedNode(limit=1_000)
    reader = LogReader(node, start=manifest.first_block)
    assert blocks(reader.read([], None, 0, 60)) == list(range(41, 61))
    assert node.queries[0][0] == 41


def test_logs_are_plain_values_in_chain_order():
    class Node(ChainClient):
        def call(self, method: str, *params: Any) -> Any:
            if method == "eth_blockNumber":
                return "0x9"
            log = {"address": "0x" + "ab" * 20, "topics": ["0x" + "01" * 32],
                   "data": "0x0102", "transactionHash": "0x" + "cd" * 32}  # fmt: skip
            return [{**log, "blockNumber": "0x5", "logIndex": "0x1"},
                    {**log, "blockNumber": "0x5", "logIndex": "0x0"}]  # fmt: skip

    first, second = LogReader(Node()).logs([], None)
    assert (first.block, first.log_index, second.log_index) == (5, 0, 1)
    assert first.topics == (b"\x01" * 32,) and first.data == b"\x01\x02"
    assert first.tx_hash == "0x" + "cd" * 32
