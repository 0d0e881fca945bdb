"""The indexer over the demo city: every event decoded, projections equal to the contracts'
own views, resumable, idempotent."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from civic_ledger.gateway import schema
from civic_ledger.gateway.indexer import status


def count(indexer: Any, table: Any) -> int:
    with indexer.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def rows(indexer: Any, table: Any) -> list[dict[str, Any]]:
    with indexer.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(table)).mappings()]


def test_every_event_of_the_suite_is_indexed(indexed, client, city):
    logs = client.call("eth_getLogs", {"address": indexed.contracts.addresses,
                                       "fromBlock": hex(0), "toBlock": "latest"})  # fmt: skip
    assert count(indexed, schema.events) == len(logs) > 200
    state = status(indexed.engine)
    assert state["lag_blocks"] == 0 and state["indexed_block"] == client.block_number()


def test_records_agree_with_the_registry(indexed, city):
    registry = city["suite"]["RecordRegistry"]
    records = rows(indexed, schema.records)
    assert len(records) >= 5
    for row in records:
        on_chain = registry.getRecord(row["record_id"])
        assert row["subject"] == "0x" + bytes(on_chain.subject).hex()
        assert row["issued_at"] == on_chain.issuedAt
        assert row["expires_at"] == on_chain.expiresAt
        assert row["revoked_at"] == on_chain.revokedAt
        assert row["stay_until"] == on_chain.stayUntil
        assert row["dispute"] == int(on_chain.dispute)
        assert row["issuer"] == on_chain.issuer
    assert any(r["revoked_at"] for r in records) and any(r["dispute"] for r in records)


def test_parcels_liens_and_tax_agree_with_the_registries(indexed, city):
    titles, liens = city["suite"]["TitleRegistry"], city["suite"]["LienRegistry"]
    parcels = rows(indexed, schema.parcels)
    assert parcels
    for row in parcels:
        assert row["owner"] == "0x" + bytes(titles.ownerIdentityOf(int(row["parcel_id"]))).hex()
    assert any(r["event"] == "SaleApproved" for r in rows(indexed, schema.title_history))
    assert rows(indexed, schema.liens) and rows(indexed, schema.tax_years)
    assert liens.address


def test_a_second_step_adds_nothing_and_a_new_database_starts_over(indexed, city, client):
    before = count(indexed, schema.events)
    again = indexed.step()
    assert again.events == 0 and count(indexed, schema.events) == before
