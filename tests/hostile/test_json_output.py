"""`--json` on every command (issue #15): the commands are enumerated from `ape run admin`
(a new command without a case table fails in test_commands), each runs its baseline invocation
with `--json`, and stdout must be exactly one JSON document — whatever the outcome — whose
`ok` agrees with the exit code (0 done, 1 refused or a failed check); the human output went to
stderr. Transactions carry full hashes; integers beyond 2**53 - 1 are strings."""

from __future__ import annotations

import json
from typing import Any

import pytest

from . import test_commands
from .harness import Refuser, invoke
from .test_commands import SPECS, World, all_commands

world = test_commands.world  # the case tables' world, as this module's fixture

TX_HASH_LENGTH = 66


def _large_ints(value: Any) -> list[int]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value] if abs(value) > 2**53 - 1 else []
    if isinstance(value, dict):
        return [n for v in value.values() for n in _large_ints(v)]
    if isinstance(value, list):
        return [n for v in value for n in _large_ints(v)]
    return []


@pytest.mark.parametrize("key", sorted(SPECS))
def test_json_document_is_all_of_stdout(key: str, refuse: Refuser, world: World) -> None:
    spec = SPECS[key]
    args = world.fill(spec.baseline(spec.account))
    outcome = invoke(all_commands()[key], [*args, "--json", "--manifest", str(refuse.manifest)])
    assert outcome.exit_code in (0, 1, 2), outcome.output
    try:
        doc = json.loads(outcome.stdout)  # the whole of stdout: nothing before or after
    except json.JSONDecodeError as exc:
        pytest.fail(f"{key}: stdout is not one JSON document ({exc}): {outcome.stdout[:400]!r}")
    assert doc["command"] == key
    assert doc["ok"] is (outcome.exit_code == 0), doc
    if doc["ok"]:
        assert "error" not in doc
    else:
        assert doc["exit_code"] == outcome.exit_code and doc["error"].strip()
        assert "Error:" in outcome.stderr  # the human line still goes to stderr
    for tx in doc["transactions"]:
        assert len(tx["tx_hash"]) == TX_HASH_LENGTH and tx["status"] == "mined"
        assert tx["from"].startswith("0x") and tx["gas_used"] > 0
    assert not _large_ints(doc), f"{key}: integers JSON readers would round"


def test_a_signed_command_documents_its_transaction(refuse: Refuser, world: World) -> None:
    outcome = invoke(
        all_commands()["token mint"],
        [world.stranger, "--amount", "12.5", "--account", "TEST::8", "--json", "--manifest",
         str(refuse.manifest)],
    )  # fmt: skip
    assert outcome.exit_code == 0, outcome.output
    doc = json.loads(outcome.stdout)
    [tx] = doc["transactions"]
    [event] = [e for e in tx["events"] if e["event"] == "Transfer"]
    assert event["args"]["to"] == world.stranger
    assert event["args"]["value"] == str(12_500_000_000_000_000_000)  # base units, exact
    assert "minted 12.5" in tx["action"] and "minted 12.5" in outcome.stderr

    balance = invoke(
        all_commands()["token balance"],
        [world.stranger, "--json", "--manifest", str(refuse.manifest)],
    )
    result = json.loads(balance.stdout)["result"]
    assert result["balance"] == str(12_500_000_000_000_000_000) and result["decimals"] == 18


def test_a_failed_check_exits_1_with_its_document(refuse: Refuser, world: World) -> None:
    """check-policy answers "no" with exit 1 (it used to exit 0), and the document says why."""
    outcome = invoke(
        all_commands()["records check-policy"],
        [world.unknown_subject, "1", "--json", "--manifest", str(refuse.manifest)],
    )
    doc = json.loads(outcome.stdout)
    assert outcome.exit_code == 1 and doc["ok"] is False, outcome.output
    assert doc["result"]["meets"] is False and doc["result"]["reasons"]
