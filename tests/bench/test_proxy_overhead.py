"""The proxy-overhead section of docs/benchmarks.md: its table, where `--proxy-only` puts it
(replacing only that section), and, end to end on anvil, that every hot operation costs more
through the proxies than with the implementations run directly."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from civic_dev.bench import proxy
from civic_dev.bench.proxy import ProxyRow
from civic_ledger.core.paths import ROOT

ROWS = [ProxyRow("token transfer", "CityToken.transfer", 56_555.0, 51_659.0)]
DOC = """# Benchmarks

intro

## Gas per operation, side by side

gas

## Bulk import throughput

throughput
"""


def test_row_and_markdown() -> None:
    [row] = ROWS
    assert row.added == pytest.approx(4_896) and row.share == pytest.approx(4_896 / 56_555)
    text = "\n".join(proxy.markdown(ROWS, 3, "Measured today."))
    assert text.startswith("## Proxy overhead\n\nMeasured today.\n")
    assert "| token transfer | `CityToken.transfer` | 56,555 | 51,659 | 4,896 | 8.7% |" in text


def test_section_goes_before_throughput_then_is_replaced_alone(tmp_path: Path) -> None:
    path = tmp_path / "benchmarks.md"
    path.write_text(DOC)
    proxy.write_section(path, "\n".join(proxy.markdown(ROWS, 3)))
    headings = re.findall(r"^## .*$", path.read_text(), re.M)
    assert headings == [
        "## Gas per operation, side by side", "## Proxy overhead", "## Bulk import throughput",
    ]  # fmt: skip
    cheaper = [ProxyRow("token transfer", "CityToken.transfer", 60_000.0, 51_000.0)]
    proxy.write_section(path, "\n".join(proxy.markdown(cheaper, 3)))
    text = path.read_text()
    assert "| 60,000 | 51,000 | 9,000 |" in text and "56,555" not in text
    assert text.count("## Proxy overhead") == 1 and "gas\n" in text and "throughput\n" in text


@pytest.mark.slow
def test_proxy_only_measures_on_anvil(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    out.write_text(DOC)
    ape = str(Path(sys.executable).with_name("ape"))
    proc = subprocess.run(
        [ape, "run", "bench", "--proxy-only", "--samples", "1", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env=os.environ.copy(),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    text = out.read_text()
    rows = re.findall(
        r"^\| ([a-z ()0-9]+) \| `[^`]+` \| ([\d,]+) \| ([\d,]+) \| ([\d,]+) \|", text, re.M
    )
    assert [r[0] for r in rows] == [
        "identity registration", "record issue", "parcel registration",
        "title sale (3 transactions)", "token transfer",
    ]  # fmt: skip
    for name, through, direct, added in rows:
        through, direct, added = (int(v.replace(",", "")) for v in (through, direct, added))
        # one proxy hop costs a cold slot read and a cold account access (2,100 + 2,600) at least
        assert added == through - direct >= 4_700, (name, through, direct)
    assert "gas\n" in text and "throughput\n" in text  # the other sections untouched
