"""The published OpenAPI schema of the gateway's API (docs/gateway-openapi.json) is the one
the code serves: regenerate it with `python -m civic_ledger.gateway.openapi --write`."""

from __future__ import annotations

import json

from civic_ledger.gateway import openapi


def test_the_published_openapi_schema_is_current():
    assert openapi.PUBLISHED.is_file(), "run python -m civic_ledger.gateway.openapi --write"
    assert openapi.PUBLISHED.read_text(encoding="utf-8") == openapi.render(), (
        f"{openapi.PUBLISHED} is stale: run python -m civic_ledger.gateway.openapi --write"
    )


def test_the_schema_documents_every_route_and_the_one_line_errors():
    schema = json.loads(openapi.render())
    paths = schema["paths"]
    for path in ("/api/v1/verify/{record_id}", "/api/v1/records/{record_id}",
                 "/api/v1/subjects/{commitment}/records", "/api/v1/parcels/{parcel_id}",
                 "/api/v1/fund/payouts.csv", "/api/v1/documents/{hash}", "/api/v1/stats",
                 "/api/v1/receipts/batches/{root}", "/api/v1/subjects/{commitment}/receipts"):  # fmt: skip
        assert path in paths, path
    verify = paths["/api/v1/verify/{record_id}"]["get"]
    assert verify["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }
    assert "HTTPValidationError" not in schema["components"]["schemas"]


def test_check_fails_on_a_stale_file(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "gateway-openapi.json"
    stale.write_text("{}\n")
    monkeypatch.setattr(openapi, "PUBLISHED", stale)
    assert openapi.main(["--check"]) == 1
    assert "stale" in capsys.readouterr().err
    assert openapi.main(["--write"]) == 0 and openapi.main(["--check"]) == 0
