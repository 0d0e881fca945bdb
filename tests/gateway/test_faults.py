"""The indexer under faults, on a private anvil whose chain the tests reorganise (evm_snapshot /
evm_revert, then other transactions at the same heights), behind a JSON-RPC proxy that goes
away or limits log ranges. After every fault the index must equal a fresh re-index of the same
chain (`compare.dump`), and `status()` must say what happened.

The suite is deployed once per module with the deploy plan; each test starts from that chain
(snapshot before, revert after) and makes its own events with the identity client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from civic_dev.bench.anvil import AnvilSettings, running_anvil
from civic_dev.bench.city import City, record_input
from civic_ledger.chain.client import HttpClient
from civic_ledger.chain.logs import LogReader
from civic_ledger.chain.manifest import Manifest
from civic_ledger.core.config import load_roles_file
from civic_ledger.core.exceptions import GatewayError, RpcError
from civic_ledger.core.paths import DEFAULT_ROLES_FILE
from civic_ledger.gateway import schema
from civic_ledger.gateway.db import connect
from civic_ledger.gateway.indexer import Contracts, Indexer, status
from civic_ledger.identity import client as identities
from civic_ledger.identity.enums import Kind, Status
from civic_ledger.identity.registrations import Registration

from .compare import differences, dump, fresh_index
from .rpc_proxy import RpcProxy


@dataclass
class AnvilCity:
    """The suite on a private anvil: its RPC, manifest, IdentityRegistry and identity office."""

    url: str
    rpc: HttpClient
    manifest: Manifest
    identity: Any
    office: Any
    bench: City  # the benchmark's helpers: a records schema, issuance
    made: int = 0

    def register(self, count: int) -> list[bytes]:
        """`count` new identities, one transaction (one block) each; their subjects."""
        subjects = []
        for _ in range(count):
            self.made += 1
            wallet = "0x" + f"{0xC1C1 * 1_000_003 + self.made:040x}"
            registration = Registration.new(f"FAULT-{self.made:06d}", wallet, Kind.PERSON)
            identities.register(self.identity, registration, sender=self.office)
            subjects.append(registration.subject)
        return subjects

    def suspend(self, subject: bytes) -> None:
        identities.set_status(self.identity, subject, Status.SUSPENDED,
                              identities.encode_reason("fault test"), sender=self.office)  # fmt: skip

    def indexer(self, database: str, client: Any = None, **options: Any) -> Indexer:
        return Indexer.for_manifest(connect(database), client or self.rpc, self.manifest,
                                    **options)  # fmt: skip


@pytest.fixture(scope="module")
def anvil_city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilCity]:
    from ape import accounts, networks, project

    from civic_ledger.deploy import DeployPlan

    roles = load_roles_file(DEFAULT_ROLES_FILE)
    with running_anvil(AnvilSettings()) as node:
        rpc = HttpClient(node.url)
        rpc.call("evm_setAutomine", True)  # a block per transaction, none in between
        with networks.parse_network_choice(f"ethereum:local:{node.url}"):
            path = tmp_path_factory.mktemp("anvil-deployment") / "local.json"
            plan = DeployPlan.connected(sender=accounts.test_accounts[0], roles=roles,
                                        manifest_path=path)  # fmt: skip
            plan.run()
            agency = {a.name: accounts.test_accounts[a.account.test_account]
                      for a in roles.agencies}  # fmt: skip
            contracts = {name: getattr(project, name).at(entry["address"])
                         for name, entry in plan.manifest.contracts.items()}  # fmt: skip
            yield AnvilCity(node.url, rpc, Manifest.load(path), contracts["IdentityRegistry"],
                            agency["identity_office"], City(contracts, agency))  # fmt: skip


@pytest.fixture(autouse=True)
def deployed_chain(anvil_city: AnvilCity) -> Iterator[None]:
    """Every test starts from the chain as deployed."""
    snapshot = anvil_city.rpc.call("evm_snapshot")
    yield
    anvil_city.rpc.call("evm_revert", snapshot)


def assert_equals_fresh(indexer: Indexer, new_database: Callable[[], str], city: AnvilCity,
                        **options: Any) -> None:  # fmt: skip
    fresh = fresh_index(new_database(), city.rpc, city.manifest,
                        last=indexer.cursor()["block"], **options)  # fmt: skip
    assert differences(dump(indexer.engine), dump(fresh.engine)) == []


def identities_count(indexer: Indexer) -> int:
    with indexer.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(schema.identities)).scalar()


# ----------------------------------------------------------------------------- forks


@pytest.mark.parametrize("replacement", [4, 1], ids=["longer", "shorter"])
def test_a_fork_is_rolled_back_to_the_shared_block(anvil_city, database, new_database,
                                                   replacement):  # fmt: skip
    """Blocks indexed, then replaced by other blocks at the same heights (a longer or a
    shorter branch): the index is rolled back to the last shared block and follows the new
    branch, equal to a fresh index of it."""
    city = anvil_city
    kept = city.register(3)
    fork = city.rpc.block_number()
    snapshot = city.rpc.call("evm_snapshot")
    city.register(2)
    city.suspend(kept[0])  # an update: rolled back to the row as it was
    indexer = city.indexer(database)
    indexer.step()
    assert identities_count(indexer) == 5
    replaced = indexer.cursor()["block"]

    assert city.rpc.call("evm_revert", snapshot)
    city.register(replacement)
    result = indexer.step()

    assert result.rolled_back_to == fork and result.last == city.rpc.block_number()
    assert identities_count(indexer) == 3 + replacement
    assert_equals_fresh(indexer, new_database, city)
    state = status(indexer.engine)
    assert state["reorgs"] == 1 and state["node_error"] is None
    assert f"replaced blocks after {fork} ({replaced - fork} deep" in state["last_reorg"]
    assert state["last_reorg"].endswith("rolled back")


def test_a_fork_deeper_than_the_undo_window_reindexes_from_the_first_block(
    anvil_city, database, new_database
):
    city = anvil_city
    city.register(2)
    snapshot = city.rpc.call("evm_snapshot")
    city.register(3)
    indexer = city.indexer(database, undo_window=2)
    indexer.step()

    assert city.rpc.call("evm_revert", snapshot)
    city.register(4)
    result = indexer.step()

    assert result.rolled_back_to == indexer.contracts.first_block - 1
    assert identities_count(indexer) == 6
    assert_equals_fresh(indexer, new_database, city, undo_window=2)
    state = status(indexer.engine)
    assert state["reorgs"] == 1
    assert (
        "re-indexing from the first block (deeper than the 2-block undo window)"
        in (state["last_reorg"])
    )


def test_a_fork_past_pruned_undo_records_reindexes_from_the_first_block(
    anvil_city, database, new_database
):
    """Stored blocks are the blocks with events (and chunk ends), so the last shared one can
    be older than the undo window even when few stored blocks differ: the writes of the
    blocks after it whose undo records were pruned cannot be taken back, so the index is
    rebuilt instead of rolled back half-way."""
    city = anvil_city
    city.register(1)
    snapshot = city.rpc.call("evm_snapshot")
    for _ in range(4):
        city.rpc.call("evm_mine")
    city.register(1)  # its undo record is pruned: more than 2 blocks below the head
    for _ in range(4):
        city.rpc.call("evm_mine")
    indexer = city.indexer(database, undo_window=2)
    indexer.step()

    assert city.rpc.call("evm_revert", snapshot)
    city.register(2)
    for _ in range(8):
        city.rpc.call("evm_mine")
    result = indexer.step()

    assert result.rolled_back_to == indexer.contracts.first_block - 1
    assert_equals_fresh(indexer, new_database, city, undo_window=2)
    assert "deeper than the 2-block undo window" in status(indexer.engine)["last_reorg"]


# ----------------------------------------------------------------------------- the node


def test_a_node_that_goes_away_mid_index_loses_nothing_and_resumes(
    anvil_city, database, new_database
):
    """The node answers the second log query and then stops answering: the step raises, a
    chunk whose logs were read but not its headers is not written (the index equals a fresh
    one up to the cursor), status() shows the failure and the last indexed block; back, it
    resumes."""
    city = anvil_city
    city.register(6)
    head = city.rpc.block_number()
    with RpcProxy(city.url) as proxy:
        client = HttpClient(proxy.url, timeout=10)
        indexer = city.indexer(database, client, reader=LogReader(client, span=8, max_span=8))
        first = indexer.contracts.first_block
        assert head - first > 16, "the deployment should span more than two log chunks"
        proxy.fail_after("eth_getLogs", 2)
        with pytest.raises(RpcError):
            indexer.step()
        assert proxy.failed > 0
        cursor = indexer.cursor()["block"]
        # Whole chunks only (the logs are read ahead of the writes, so how many of the chunks
        # read before the node went away were written depends on timing).
        assert first - 1 <= cursor < head and (cursor - first + 1) % 8 == 0
        state = status(indexer.engine)
        assert state["indexed_block"] == cursor and state["head"] == head
        assert "no answer from" in (state["node_error"] or "")
        assert_equals_fresh(indexer, new_database, city)

        proxy.restore()
        result = indexer.step()
    assert result.last == head and status(indexer.engine)["node_error"] is None
    assert identities_count(indexer) == 6
    assert_equals_fresh(indexer, new_database, city)


def test_a_node_refusing_part_of_a_batch_is_a_node_error(anvil_city, database, new_database):
    """A batch answered with an error for one of its items (a loaded node's timeout) is the
    node failing, like any other: the step raises RpcError (what `follow` retries), status()
    says so, and the next step completes the index."""
    city = anvil_city
    city.register(3)
    with RpcProxy(city.url) as proxy:
        client = HttpClient(proxy.url, timeout=10)
        indexer = city.indexer(database, client)
        proxy.refuse_in_batches("eth_getBlockByNumber", 1)
        with pytest.raises(RpcError, match="request timed out"):
            indexer.step()
        assert "request timed out" in (status(indexer.engine)["node_error"] or "")
        assert indexer.cursor()["block"] == indexer.contracts.first_block - 1
        indexer.step()
    assert status(indexer.engine)["node_error"] is None
    assert_equals_fresh(indexer, new_database, city)


def test_a_chunk_that_fails_while_it_is_written_leaves_nothing(anvil_city, database):
    """A projection write failing half-way through a chunk takes the whole chunk back."""
    city = anvil_city
    city.register(3)
    indexer = city.indexer(database)
    before = dump(indexer.engine)
    seen = []
    original = indexer.handlers[("IdentityRegistry", "IdentityRegistered")]

    def failing(store: Any, event: Any) -> None:
        original(store, event)
        seen.append(event)
        if len(seen) == 2:
            raise RuntimeError("disk full")

    indexer.handlers[("IdentityRegistry", "IdentityRegistered")] = failing
    with pytest.raises(RuntimeError, match="disk full"):
        indexer.step()
    assert dump(indexer.engine) == before


def test_a_node_limiting_log_ranges_still_gives_the_whole_index(anvil_city, database,
                                                                new_database):  # fmt: skip
    city = anvil_city
    city.register(3)
    with RpcProxy(city.url, max_range=7) as proxy:
        client = HttpClient(proxy.url, timeout=10)
        indexer = city.indexer(database, client)
        indexer.step()
        assert proxy.refused > 0 and indexer.reader.shrinks > 0
    assert indexer.cursor()["block"] == city.rpc.block_number()
    assert_equals_fresh(indexer, new_database, city)


# ----------------------------------------------------------------------------- the database


def test_a_record_that_never_expires_is_indexed(anvil_city, database):
    """An issuer may give a non-adverse record any future expiry, up to uint64's maximum (the
    registry's own "never"): more than a signed 64-bit column holds (SQLite INTEGER,
    PostgreSQL BIGINT). The index keeps it as the largest time it can hold; the event's exact
    arguments stay in `events`."""
    city = anvil_city
    subject = city.register(1)[0]
    schema_id = city.bench.register_schema()
    _, record_id = city.bench.issue(record_input(schema_id, subject, "forever", 2**64 - 1))
    indexer = city.indexer(database)
    indexer.step()
    assert indexer.cursor()["block"] == city.rpc.block_number()
    with indexer.engine.connect() as conn:
        row = conn.execute(select(schema.records).where(
            schema.records.c.record_id == "0x" + record_id.hex())).mappings().one()  # fmt: skip
        args = conn.execute(select(schema.events.c.args)
                            .where(schema.events.c.event == "RecordIssued")).scalar_one()  # fmt: skip
    assert row["expires_at"] == 2**63 - 1
    assert str(2**64 - 1) in args


def test_a_database_of_another_chain_is_refused(anvil_city, database):
    """The same chain id, another genesis (every dev chain is 1337): the database is refused,
    naming the chain it indexes."""
    city = anvil_city
    indexer = city.indexer(database)
    indexer.step()
    ours = city.rpc.chain_ref()
    with running_anvil(AnvilSettings()) as other:
        client = HttpClient(other.url)
        theirs = client.chain_ref()
        assert theirs.chain_id == ours.chain_id and theirs.genesis != ours.genesis
        stranger = Indexer(connect(database), client, Contracts.from_manifest(city.manifest))
        with pytest.raises(GatewayError, match="another genesis") as refused:
            stranger.prepare(theirs, "any deployment")
    assert ours.genesis[:18] in str(refused.value)
    assert status(indexer.engine)["indexed_block"] == city.rpc.block_number()


def test_the_proxy_forwards_what_it_does_not_refuse(anvil_city):
    with RpcProxy(anvil_city.url, max_range=2) as proxy:
        client = HttpClient(proxy.url)
        assert client.block_number() == anvil_city.rpc.block_number()
        with pytest.raises(RpcError, match="maximum RPC range limit"):
            client.call("eth_getLogs", {"fromBlock": "0x0", "toBlock": "0x5"})
        assert isinstance(client.call("eth_getLogs", {"fromBlock": "0x0", "toBlock": "0x1"}), list)


# ----------------------------------------------------------------------- the database server


@pytest.mark.postgres
def test_a_database_restart_costs_no_request_and_no_step(anvil_city, postgres_server, tmp_path):
    """The server drops every connection (what a restart or a failover does to the pool): the
    API's next answers and the indexer's next step reconnect instead of failing."""
    from fastapi.testclient import TestClient

    from civic_ledger.gateway.api import create_app
    from civic_ledger.gateway.web import ApiSettings

    name = postgres_server.create_database()
    indexer = anvil_city.indexer(postgres_server.url(name))
    indexer.step()
    app = create_app(indexer.engine, documents=tmp_path / "documents",
                     settings=ApiSettings(rate=10_000.0, burst=10_000))  # fmt: skip
    paths = ["/api/v1/verify/0x" + "42" * 32 + "?document=0x" + "42" * 32,
             "/api/v1/status", "/api/v1/fund/rounds"]  # fmt: skip
    with TestClient(app, raise_server_exceptions=False) as api:
        before = [api.get(path) for path in paths]
        assert [r.status_code for r in before] == [200, 200, 200]
        postgres_server.admin_sql(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        )
        after = [api.get(path) for path in paths]
        assert [r.status_code for r in after] == [200, 200, 200], [r.text for r in after]
        assert after[0].json()["status"] == "unknown"
    anvil_city.register(1)
    postgres_server.admin_sql(
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    )
    indexer.follow(steps=2, interval=0.1)  # the first step meets the dropped connection
    assert status(indexer.engine)["lag_blocks"] == 0
