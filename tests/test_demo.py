"""The README's first command: `ape run demo` on the embedded chain, as a user runs it."""

from __future__ import annotations

import pytest


@pytest.mark.slow
def test_demo_runs_and_verifies_every_step(ape_run):
    result = ape_run("demo", timeout=900)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "Every step was verified on chain." in output
    for chapter in (
        "1 · Identity office",
        "2 · Agencies issue",
        "3 · Land registry",
        "4 · Grant fund",
        "5 · Data exchange",
    ):
        assert chapter in output
    assert "Traceback" not in output
