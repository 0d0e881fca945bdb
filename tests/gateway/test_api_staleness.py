"""The API on an index that is empty, or whose node went away: it says so (503 before the first
block; afterwards every answer's `as_of` tells how old the index is) instead of failing."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert

from civic_ledger.gateway import schema
from civic_ledger.gateway.api import create_app
from civic_ledger.gateway.db import connect, migrate

RECORD = "0x" + "42" * 32


def client_for(tmp_path: Path) -> tuple[TestClient, object]:
    engine = connect(str(tmp_path / "gateway.sqlite"))
    migrate(engine)
    return TestClient(create_app(engine, documents=tmp_path / "docs")), engine


def test_before_the_first_block_the_api_answers_503_and_health_ok(tmp_path):
    api, _ = client_for(tmp_path)
    assert api.get("/health").status_code == 200
    for path in ("/api/v1/status", f"/api/v1/verify/{RECORD}?document={RECORD}", "/api/v1/stats"):
        response = api.get(path)
        assert response.status_code == 503, path
        assert list(response.json()) == ["error"] and "indexed" in response.json()["error"]


def test_with_the_node_gone_answers_say_how_old_they_are(tmp_path):
    api, engine = client_for(tmp_path)
    polled = int(time.time()) - 120
    with engine.begin() as conn:
        conn.execute(insert(schema.cursor).values(
            id=1, block=10, block_hash=RECORD, block_time=1_800_000_000, head=15,
            head_time=1_800_000_060, polled_at=polled, reorgs=0,
            node_error="connection refused",
        ))  # fmt: skip
    body = api.get(f"/api/v1/verify/{RECORD}", params={"document": RECORD}).json()
    assert body["status"] == "unknown"
    as_of = body["as_of"]
    assert (as_of["block"], as_of["lag_blocks"], as_of["lag_seconds"]) == (10, 5, 60)
    assert as_of["block_time_utc"] == "2027-01-15T08:00:00Z"
    assert 120 <= as_of["polled_seconds_ago"] < 180
    assert api.get("/api/v1/status").json()["node_error"] == "connection refused"
    stats = api.get("/api/v1/stats", params={"days": 2}).json()
    assert [d["events"] for d in stats["events_per_day"]] == [0, 0]


def test_settings_out_of_range_are_one_line_errors():
    import pytest

    from civic_ledger.core.exceptions import GatewayError
    from civic_ledger.gateway.web import ApiSettings

    for bad in ({"rate": 0}, {"burst": 0}, {"max_document_bytes": 0}, {"token_ttl": 0},
                {"secret": b"short"}):  # fmt: skip
        with pytest.raises(GatewayError):
            ApiSettings(**bad)


def test_the_access_log_shows_no_client_address():
    import logging

    from civic_ledger.gateway.api import AnonymousAccessLog

    record = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
                               ("203.0.113.9:5123", "GET", "/api/v1/stats", "1.1", 200), None)  # fmt: skip
    AnonymousAccessLog().filter(record)
    assert record.getMessage() == '- - "GET /api/v1/stats HTTP/1.1" 200'
