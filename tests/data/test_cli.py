"""The data exchange's lifecycle through `ape run admin data ...` (issue #16), in process on the
session suite: a steward registers a personal resource, the subject's controller signs a
consent into a file, the tax bureau relays it, the steward approves, deliveries are recorded
and anchored, the subject lists who accessed its data (verified), asks for deletion, the
recipient confirms; an exemption is recorded, used, disputed and ruled on. Refusals are one
`Error:` line with nothing sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hostile.harness import invoke

from civic_ledger.cli import data as data_cli

STEWARD, REQUESTER, ARBITER = "TEST::7", "TEST::3", "TEST::6"


@pytest.fixture
def run(suite: Any) -> Any:
    manifest = str(suite.manifest.path)

    def run(name: str, *args: str, ok: bool = True, code: int = 1) -> dict[str, Any]:
        """The command's --json document; `ok=False`: refused with exit `code`, one Error line."""
        outcome = invoke(data_cli.data.commands[name], [*args, "--json", "--manifest", manifest])
        assert (outcome.exit_code == 0) is ok, outcome.output
        if not ok:
            assert outcome.exit_code == code, outcome.output
            assert "Traceback" not in outcome.output
            failed_check = json.loads(outcome.stdout)["error"] == "the check failed"  # a "no"
            assert outcome.stderr.count("Error:") == (0 if failed_check else 1), outcome.output
        return json.loads(outcome.stdout)

    return run


def nonces(accounts: Any) -> list[int]:
    return [a.nonce for a in accounts]


def test_the_lifecycle_through_the_commands(
    run: Any, person: Any, accounts: Any, tmp_path: Path
) -> None:
    controller = person.controller.address
    [subject_alias] = [f"TEST::{i}" for i, a in enumerate(accounts) if a.address == controller]
    store = str(tmp_path / "receipts")
    resource = run(
        "resource-register", "--owner", "REGISTRAR", "--sharing", "conditional", "--personal",
        "--deletion-period", "7d", "--mandate", "text:cadastre act", "--description",
        "text:owners of parcels", "--schema", "text:owner,area", "--account", STEWARD,
    )["result"]["resource_id"]  # fmt: skip
    shown = run("resource-show", str(resource))["result"]["resource"]
    assert shown["personal"] is True and shown["sharing"] == "conditional"
    assert any(r["resource_id"] == resource for r in run("resource-list")["result"]["resources"])
    assert (
        run("resource-version", str(resource), "--schema", "text:v2", "--account", STEWARD)[
            "result"
        ]["version"]
        == 2
    )

    # the subject's controller signs a consent off-line; the tax bureau relays it
    consent = tmp_path / "consent.json"
    before = nonces(accounts)
    run("consent-sign", str(resource), "--subject", controller, "--recipient", "TAX_ASSESSOR",
        "--purpose", "7", "--out", str(consent), "--account", subject_alias)  # fmt: skip
    assert nonces(accounts) == before, "signing a consent sends nothing"
    refused = run("consent-sign", str(resource), "--subject", controller, "--recipient",
                  "TAX_ASSESSOR", "--purpose", "7", "--out", str(tmp_path / "x.json"),
                  "--account", REQUESTER, ok=False)  # fmt: skip
    assert "not the controller" in refused["error"]
    request = run("request", str(resource), "--as", "TAX_ASSESSOR", "--purpose", "7",
                  "--fields", "owner, area", "--legal-basis", "text:tax code 12",
                  "--subject", controller, "--consent", str(consent),
                  "--account", REQUESTER)["result"]  # fmt: skip
    assert request["status"] == "pending" and request["live"] is False
    grant = request["request_id"]
    refused = run("receipts-record", str(grant), "--payload", "text:d0", "--store", store, ok=False)
    assert "not live" in refused["error"]
    run("approve", str(grant), "--account", STEWARD)
    shown_grant = run("grant-show", str(grant))["result"]["grant"]
    assert shown_grant["live"] is True and shown_grant["basis"] == "consent"

    # deliveries recorded locally, anchored in one transaction, verified, listed for the subject
    leaves = [
        run("receipts-record", str(grant), "--payload", f"text:delivery {i}", "--store", store)[
            "result"
        ]["leaf"]
        for i in range(3)
    ]
    unverified = run("receipts-verify", leaves[0], "--store", store, ok=False)
    assert unverified["result"]["verified"] is False
    anchored = run("receipts-anchor", "--as", "REGISTRAR", "--store", store, "--account", STEWARD)
    assert len(anchored["result"]["roots"]) == 1 and len(anchored["transactions"]) == 1
    again = run("receipts-anchor", "--as", "REGISTRAR", "--store", store, "--account", STEWARD,
                ok=False)  # fmt: skip
    assert "no pending receipts" in again["error"]
    assert run("receipts-verify", leaves[1], "--store", store)["result"]["verified"] is True
    listed = run("receipts-list", "--subject", controller, "--store", store)["result"]["receipts"]
    assert [r["verified"] for r in listed] == [True, True, True]
    assert {(r["grant_id"], r["recipient"], r["purpose"]) for r in listed} == {
        (grant, "TAX_ASSESSOR", 7)
    }

    # the steward ends the grant; the subject asks for deletion; the recipient confirms in time
    run("grant-revoke", str(grant), "--reason", "2", "--account", STEWARD)
    assert run("deletion-status", str(grant))["result"]["state"] == "not asked"
    run("deletion-ask", str(grant), "--evidence", "text:erase", "--account", subject_alias)
    assert run("deletion-status", str(grant))["result"]["state"] == "open"
    confirmed = run("deletion-confirm", str(grant), "--evidence", "text:wiped", "--account",
                    REQUESTER)["result"]  # fmt: skip
    assert confirmed["overdue"] is False
    assert run("deletion-status", str(grant))["result"]["state"] == "confirmed"

    # the consent is revoked; an exemption is recorded, used, disputed and upheld
    run("consent-revoke", str(consent), "--account", subject_alias)
    exemption = run("exemption-record", str(resource), "--subject", controller, "--recipient",
                    "TAX_ASSESSOR", "--purpose", "8", "--legal-basis", "text:tax code 44",
                    "--account", REQUESTER)["result"]["exemption_id"]  # fmt: skip
    second = run("request", str(resource), "--as", "TAX_ASSESSOR", "--purpose", "8",
                 "--subject", controller, "--exemption", str(exemption),
                 "--account", REQUESTER)["result"]["request_id"]  # fmt: skip
    run("deny", str(second), "--reason", "3", "--account", STEWARD)
    assert run("grant-show", str(second))["result"]["grant"]["status"] == "denied"
    run("exemption-dispute", str(exemption), "--evidence", "text:why", "--account", subject_alias)
    ruled = run("exemption-rule", str(exemption), "--uphold", "--evidence", "text:ok",
                "--account", ARBITER)["result"]  # fmt: skip
    assert ruled["status"] == "upheld"

    # the steward retires the resource; no delivery is recorded under the ended grant
    run("resource-retire", str(resource), "--evidence", "text:superseded", "--account", STEWARD)
    assert run("resource-show", str(resource))["result"]["resource"]["retired"] is True
    before = nonces(accounts)
    run("receipts-record", str(grant), "--payload", "text:late", "--store", store, ok=False)
    assert nonces(accounts) == before
