"""The Slither gate (issue 8): the triage matching logic on synthetic findings (fast), and the
real gate over every contract (slow: one Slither run per file, about two minutes)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
import yaml

from civic_dev.slither_gate import (
    TRIAGE_FILE,
    Finding,
    GateError,
    evaluate,
    findings_from_json,
    load_triage,
    main,
    parse_triage,
)
from civic_ledger.core.paths import ROOT


def _result(
    check: str, impact: str, description: str, function: str = "f(uint256)"
) -> dict[str, Any]:
    """A Slither JSON detector result, as `--json -` prints it."""
    return {
        "check": check,
        "impact": impact,
        "confidence": "Medium",
        "description": description,
        "elements": [
            {
                "type": "function",
                "name": function.split("(")[0],
                "source_mapping": {"filename_relative": "contracts/x/C.sol", "lines": [10, 11, 12]},
                "type_specific_fields": {
                    "parent": {"type": "contract", "name": "C"},
                    "signature": function,
                },
            }
        ],
    }


def _findings(*results: dict[str, Any]) -> list[Finding]:
    return findings_from_json([{"success": True, "results": {"detectors": list(results)}}])


TS = _result(
    "timestamp",
    "Low",
    "C.f(uint256) (contracts/x/C.sol#10-12) uses timestamp for comparisons\n"
    "\tDangerous comparisons:\n\t- block.timestamp > deadline (contracts/x/C.sol#11)\n",
)


def test_fingerprint_survives_line_shifts_but_not_code_changes() -> None:
    (before,) = _findings(TS)
    shifted = dict(
        TS, description=TS["description"].replace("#10-12", "#40-42").replace("#11", "#41")
    )
    (after,) = _findings(shifted)
    assert before.fingerprint == after.fingerprint
    assert "#" not in before.description and "contracts/x" not in before.description
    changed = dict(TS, description=TS["description"].replace("deadline", "closesAt"))
    assert _findings(changed)[0].fingerprint != before.fingerprint
    assert (before.contract, before.function) == ("C", "f(uint256)")


def test_duplicate_findings_from_several_files_count_once() -> None:
    assert len(findings_from_json([{"results": {"detectors": [TS]}}] * 3)) == 1


def test_untriaged_low_fails_triaged_passes_stale_is_reported() -> None:
    findings = _findings(TS)
    assert not evaluate(findings, []).passed  # new finding -> fail

    fp = findings[0].fingerprint
    entries = parse_triage(
        {
            "findings": [
                {"fingerprint": fp, "impact": "Low", "reason": "deadlines are day-granular"},
                {"fingerprint": "0" * 16, "impact": "Low", "reason": "was fixed"},
            ]
        }
    )
    result = evaluate(findings, entries)
    assert result.passed  # triaged -> pass
    assert [e.fingerprint for e in result.stale] == ["0" * 16]  # stale -> reported
    assert not evaluate([], entries[:1]).failing and evaluate([], entries[:1]).stale


def test_match_by_check_contract_function_and_impact() -> None:
    findings = _findings(TS)
    by_name = {"check": "timestamp", "contract": "C", "function": "f(uint256)", "reason": "ok"}
    assert evaluate(findings, parse_triage({"findings": [dict(by_name, impact="Low")]})).passed
    # a severity change needs a fresh review
    upgraded = _findings(dict(TS, impact="Medium"))
    entries = parse_triage({"findings": [dict(by_name, impact="Low")]})
    assert not evaluate(upgraded, entries).passed


def test_high_medium_only_accepted_as_fingerprinted_false_positive() -> None:
    medium = _findings(_result("incorrect-equality", "Medium", "C.f(uint256) uses == 0"))
    assert not evaluate(medium, []).passed
    fp = medium[0].fingerprint
    with pytest.raises(GateError, match="false positive"):
        parse_triage({"findings": [{"fingerprint": fp, "impact": "Medium", "reason": "fine"}]})
    with pytest.raises(GateError, match="false positive"):
        parse_triage(
            {
                "findings": [
                    {
                        "check": "incorrect-equality",
                        "contract": "C",
                        "function": "f(uint256)",
                        "impact": "Medium",
                        "false_positive": True,
                        "reason": "fine",
                    }
                ]
            }
        )
    entry = {"fingerprint": fp, "impact": "Medium", "false_positive": True, "reason": "sentinel"}
    entries = parse_triage({"findings": [entry]})
    assert evaluate(medium, entries).passed
    assert not evaluate(medium, entries, strict=True).passed


def test_triage_entries_need_a_reason_and_a_known_impact() -> None:
    with pytest.raises(GateError, match="reason"):
        parse_triage({"findings": [{"fingerprint": "ab", "impact": "Low"}]})
    with pytest.raises(GateError, match="impact"):
        parse_triage({"findings": [{"fingerprint": "ab", "impact": "Severe", "reason": "x"}]})


def test_committed_triage_file_is_valid() -> None:
    entries = load_triage(TRIAGE_FILE)
    assert entries
    assert all(len(e.reason) > 20 for e in entries)
    assert yaml.safe_load(TRIAGE_FILE.read_text())["version"] == 1


@pytest.mark.slow
def test_gate_passes_on_the_current_tree() -> None:
    env = dict(os.environ, COLUMNS="160")
    proc = subprocess.run(
        [sys.executable, "-m", "civic_dev.slither_gate"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Slither gate passed" in proc.stdout
    assert "stale triage" not in proc.stdout


def test_main_reports_a_broken_triage_file(tmp_path: Any) -> None:
    bad = tmp_path / "triage.yaml"
    bad.write_text("findings:\n  - {fingerprint: ab, impact: Low}\n")
    assert main(["--triage", str(bad), str(ROOT / "contracts" / "access" / "CityRoles.sol")]) == 2
