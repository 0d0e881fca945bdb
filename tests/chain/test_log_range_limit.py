"""Issue #17: the CLI's event reads work on a node that limits a log query's block range (Besu:
`--rpc-max-logs-range`). The suite is deployed on a private anvil behind a proxy that refuses
any `eth_getLogs` over `LIMIT` blocks with Besu's error; records are issued far more than
`LIMIT` blocks apart. Every command reads through the one log reader (`chain/logs.LogReader`),
which learns the limit from the refusals and then stays within it. (17-32 s: one
deployment on anvil, shared by the module, hence `slow`.)"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fixtures.rpc_proxy import RangeLimitedProxy
from shared_fixtures import invoke_command

from civic_ledger.chain.client import HttpClient
from civic_ledger.cli import access as access_cli
from civic_ledger.cli import identity as identity_cli
from civic_ledger.cli import records as records_cli
from civic_ledger.cli import report as report_cli
from civic_ledger.cli import titles as titles_cli
from civic_ledger.cli.common import Suite
from civic_ledger.core.config import load_roles_file
from civic_ledger.core.paths import DEFAULT_ROLES_FILE
from civic_ledger.identity import client as id_client
from civic_ledger.identity import records as rec_client
from civic_ledger.property import titles as title_client

pytestmark = pytest.mark.slow

LIMIT = 3  # blocks per log query the node accepts
GAP = 12  # empty blocks mined between the acts (> LIMIT: no single small query sees two)


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """The suite on anvil behind a range-limiting proxy, Ape connected through the proxy; a
    person with two records and a parcel, each act `GAP` blocks after the previous one."""
    from ape import accounts, networks

    from civic_dev.bench.anvil import AnvilSettings, running_anvil
    from civic_ledger.deploy import DeployPlan

    roles = load_roles_file(DEFAULT_ROLES_FILE)
    with running_anvil(AnvilSettings(block_time=1)) as node, RangeLimitedProxy(node.url) as proxy:
        rpc = HttpClient(node.url)
        rpc.call("evm_setAutomine", True)
        first = rpc.block_number()
        with networks.parse_network_choice(f"ethereum:local:{proxy.url}"):
            manifest = tmp_path_factory.mktemp("limited") / "local.json"
            plan = DeployPlan.connected(
                sender=accounts.test_accounts[0], roles=roles, manifest_path=manifest
            )
            plan.run()
            suite = Suite.from_manifest(plan.manifest)
            agency = {
                a.name: accounts.test_accounts[a.account.test_account] for a in roles.agencies
            }
            tag = os.urandom(3).hex()
            person = id_client.Registration.new(f"LIM-{tag}", "0x" + os.urandom(20).hex(), "person")
            id_client.register(suite["IdentityRegistry"], person, sender=agency["identity_office"])
            registry = suite["RecordRegistry"]
            schema = rec_client.register_schema(
                registry, name=f"lim-{tag}", field_layout="uint16 year",
                issuer_role="TAX_RECORD_ISSUER", revocable=True, adverse=False,
                default_validity=0, sender=agency["data_bureau"],
            )  # fmt: skip
            records = []
            for year in (2025, 2026):
                rpc.call("anvil_mine", hex(GAP))
                data = rec_client.encode_data("uint16 year", {"year": year})
                request = rec_client.RecordRequest(schema, person.subject, data=data)
                records.append(rec_client.issue(registry, request, sender=agency["tax_bureau"]))
            rpc.call("anvil_mine", hex(GAP))
            code = f"LIM-{tag}"
            title_client.register(
                suite["TitleRegistry"], person.subject, code, b"\x21" * 32, 120, 2,
                sender=agency["land_registry"],
            )  # fmt: skip
            rpc.call("anvil_mine", hex(GAP))
            proxy.max_range = LIMIT
            yield SimpleNamespace(
                proxy=proxy, suite=suite, subject="0x" + person.subject.hex(), code=code,
                records=["0x" + bytes(r).hex() for r in records], bureau=agency["tax_bureau"],
                first=first, latest=rpc.block_number(),
            )  # fmt: skip


def run(limited: SimpleNamespace, group: Any, name: str, *args: str) -> str:
    """The command's output; it succeeded, its log queries stayed within the limit (after the
    reader learned it from at least one refusal)."""
    limited.proxy.reset()
    result = invoke_command(group.commands[name], limited.suite, *args)
    assert result.exit_code == 0, result.text
    assert limited.proxy.refused, "the reader never met the limit: the test proves nothing"
    assert max(limited.proxy.answered_spans) <= LIMIT
    return result.text


def test_the_chain_is_longer_than_a_log_query_may_span(limited: SimpleNamespace) -> None:
    assert limited.latest - limited.first > 10 * LIMIT


def test_records_show_a_record(limited: SimpleNamespace) -> None:
    out = run(limited, records_cli.records, "show", limited.records[1])
    assert "year" in out and "2026" in out


def test_records_show_a_subjects_records(limited: SimpleNamespace) -> None:
    out = run(limited, records_cli.records, "show", limited.subject)
    assert "records 1-2 of 2" in out
    assert all(r[:14] in out for r in limited.records)  # the table wraps whole ids


def test_identity_show_counts_the_subjects_records(limited: SimpleNamespace) -> None:
    out = run(limited, identity_cli.identity, "show", limited.subject)
    assert "records 2" in out


def test_report_events(limited: SimpleNamespace, tmp_path: Path) -> None:
    out = tmp_path / "events.csv"
    run(limited, report_cli.report, "events", "RecordIssued,ParcelRegistered", "--out", str(out))
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["event"] for r in rows] == ["RecordIssued", "RecordIssued", "ParcelRegistered"]
    assert [r["recordId"] for r in rows[:2]] == limited.records


def test_access_members(limited: SimpleNamespace) -> None:
    out = run(limited, access_cli.access, "members", "TAX_RECORD_ISSUER")
    assert limited.bureau.address in out


def test_titles_history_reads_no_logs(limited: SimpleNamespace) -> None:
    """The chain of title is contract state (`chainOfTitle`), not events: it works on a
    limiting node without a single log query."""
    limited.proxy.reset()
    result = invoke_command(titles_cli.titles.commands["history"], limited.suite, limited.code)
    assert result.exit_code == 0, result.text
    assert "registration" in result.text.lower()
    assert limited.proxy.queries == []


def test_access_pending(limited: SimpleNamespace) -> None:
    """Scheduled upgrades and operations come from the manager's `OperationScheduled` logs."""
    out = run(limited, access_cli.access, "pending")
    assert "no upgrade is scheduled" in out and "no other operation is scheduled" in out
