"""`ape run bench` end to end at a tiny size: it runs, and its report holds every row with
positive ratios. Not a timing test: no assertion on speed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from civic_ledger.core.paths import ROOT

pytestmark = pytest.mark.slow

GAS_OPERATIONS = (
    "record issue",
    "record revoke",
    "record issue, batch of 50 (per record)",
    "identity registration",
    "identity registration, batch of 100 (per identity)",
    "onboarding a person, end to end",
    "title sale (3 transactions)",
    "parcel registration",
)
RATIO = r"(\d+\.\d\d)x"


def _ape() -> str:
    return str(Path(sys.executable).with_name("ape"))


def test_bench_runs_and_reports(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    proc = subprocess.run(
        [_ape(), "run", "bench", "--throughput", "60", "--samples", "1", "--api-rate", "50",
         "--api-seconds", "1", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=900, env=os.environ.copy(),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Gas per operation" in proc.stdout and "Bulk import throughput" in proc.stdout
    text = out.read_text()
    assert (
        f"ape run bench --throughput 60 --samples 1 --api-rate 50 --api-seconds 1.0 --out {out}"
        in text
    )

    # the gateway section (issue #17): catch-up against raw eth_getLogs, API next to /health
    gateway = text[text.index("## Gateway: index catch-up and read API") :]
    catch_up = re.search(r"^\| SQLite \| ([\d,]+) \| ([\d,]+) \| ([\d,]+) \| ([\d,]+) \| "
                         r"([\d,]+) \| (\d+\.\d\d)x", gateway, re.M)  # fmt: skip
    assert catch_up and int(catch_up.group(1).replace(",", "")) > 100, gateway[:800]
    # where an event's time goes: read, prepare, write and the budget at the target, per event
    stages = re.search(r"^\| SQLite \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|$",
                       gateway, re.M)  # fmt: skip
    assert stages and all(float(x) > 0 for x in stages.groups()), gateway[:2000]
    for endpoint in ("/health", "verify"):
        row = re.search(rf"^\| SQLite \| {re.escape(endpoint)} \| 50 \| ([\d,]+) \| "
                        r"([\d.]+) \| ([\d.]+) \| 0 \|", gateway, re.M)  # fmt: skip
        assert row and float(row.group(3)) >= float(row.group(2)) > 0, (endpoint, gateway)

    gas_rows = {
        m.group(1): m.group(0) for m in re.finditer(r"^\| \d+ \| ([^|]+?) \|.*$", text, re.M)
    }
    assert set(GAS_OPERATIONS) <= set(gas_rows), gas_rows.keys()
    for operation in GAS_OPERATIONS:
        ratios = re.findall(RATIO, gas_rows[operation])
        assert ratios and float(ratios[0]) > 0, gas_rows[operation]

    # a floor stated in a note is a lower bound of what that row measured
    ours_gas = {
        int(m.group(1)): int(m.group(2).replace(",", ""))
        for m in re.finditer(r"^\| (\d+) \| [^|]+ \| `[^`]+` \| ([\d,]+) \|", text, re.M)
    }
    floors = {
        int(m.group(1)): int(m.group(2).replace(",", ""))
        for m in re.finditer(r"^(\d+)\. .*cost at least ([\d,]+) gas", text, re.M)
    }
    for number, floor in floors.items():
        assert 0 < floor <= ours_gas[number], (number, floor, ours_gas[number])

    for kind in ("identities", "parcels", "records"):
        row = re.search(rf"^\| {kind} \| ([\d,]+) \|.*\| (\d+)% \|", text, re.M)
        assert row, f"no throughput row for {kind}"
        assert int(row.group(1).replace(",", "")) > 0 and int(row.group(2)) > 0

    # the data-exchange section (issue #16): every lifecycle step and the receipts measures
    section = text[text.index("## Data exchange: lifecycle gas and access receipts") :]
    for step in (
        "register resource",
        "consent-backed request",
        "grant (steward approves)",
        "anchor a batch",
        "deletion asked",
        "deletion confirmed",
        "verify a receipt",
    ):
        row = re.search(rf"^\| {re.escape(step)}[^|]*\| `[^`]+`[^|]*\| ([\d,]+) \|", section, re.M)
        assert row and int(row.group(1).replace(",", "")) > 0, step
    for measure in (
        "receipts anchored per second",
        "gas per receipt, amortised",
        "verification, execution gas",
    ):
        assert re.search(rf"^\| {measure}.*\| [\d,.]+ \|", section, re.M), measure
    assert "Alastria" in section and "43,100" in section
