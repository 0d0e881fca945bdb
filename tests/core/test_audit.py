"""The office's audit log (issue #15): every signed action, and every action refused before
signing, is one JSON line outside the checkout, with network, office, command, arguments,
transaction and outcome; secrets are never written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
import pytest
from ape.exceptions import ContractLogicError

from civic_ledger.cli import audit
from civic_ledger.cli.output import send


@pytest.fixture
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "office" / "audit.jsonl"
    monkeypatch.setenv("CIVIC_AUDIT_LOG", str(path))
    return path


def entries(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_signed_and_refused_actions_are_logged(log, suite, agency, accounts):
    token = suite["CityToken"]
    command = click.Command(
        "mint", params=[click.Option(["--amount"]), click.Option(["--passphrase"])]
    )
    with click.Context(command, info_name="mint", obj=None) as ctx:
        ctx.params = {"amount": "5", "passphrase": "hunter2"}
        send("minted 5 CITY", token.mint, accounts[16], 5, sender=agency["finance_bureau"])
        with pytest.raises(ContractLogicError):  # an outsider may not mint: refused
            send("minted 5 CITY", token.mint, accounts[16], 5, sender=accounts[16])
    mined, refused = entries(log)
    assert mined["outcome"] == "mined" and mined["tx_hash"].startswith("0x")
    assert mined["account"] == agency["finance_bureau"].address
    assert mined["command"] == "mint" and mined["arguments"]["amount"] == "5"
    assert mined["arguments"]["passphrase"] == "(not logged)"
    assert "hunter2" not in log.read_text()
    assert refused["outcome"] == "refused" and refused["tx_hash"] is None
    assert "not authorised" in refused["detail"]
    assert oct(os.stat(log).st_mode & 0o777) == "0o600"


def test_default_location_is_outside_the_checkout(monkeypatch, tmp_path):
    monkeypatch.delenv("CIVIC_AUDIT_LOG", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert audit.audit_log_path() == tmp_path / "xdg" / "civic-ledger" / "audit.jsonl"
    root = Path(__file__).resolve().parents[2]
    monkeypatch.delenv("XDG_DATA_HOME")
    assert root not in audit.audit_log_path().parents
