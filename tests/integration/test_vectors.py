"""docs/integration-vectors.json holds for two independent implementations (issue #14): the
project's Python code regenerates it byte for byte, and a Node script using only ethers.js and
the rules of docs/integration.md recomputes every vector."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from civic_dev.integration_vectors import VECTORS_FILE, render

ROOT = Path(__file__).resolve().parents[2]


def test_python_implementation_reproduces_the_published_vectors() -> None:
    assert VECTORS_FILE.read_text(encoding="utf-8") == render(), (
        "docs/integration-vectors.json is out of date: python -m civic_dev.integration_vectors --write"
    )


def test_ethers_implementation_agrees_with_every_vector(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is required (bin/setup installs the npm side)")
    script = ROOT / "tools" / "integration" / "check-vectors.mjs"
    done = subprocess.run(
        [node, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "all match" in done.stdout
    # ... and it can fail: one altered digit is caught.
    broken = tmp_path / "vectors.json"
    broken.write_text(VECTORS_FILE.read_text().replace('"sector": 62', '"sector": 63'))
    done = subprocess.run([node, str(script), str(broken)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 1 and "record data" in done.stderr


def test_events_and_errors_reference_matches_the_contracts() -> None:
    """docs/integration.md's generated sections are what the compiled ABIs say."""
    from civic_dev.integration_doc import DOC, rendered

    current = DOC.read_text(encoding="utf-8")
    assert current == rendered(current), (
        "docs/integration.md is out of date: python -m civic_dev.integration_doc --write"
    )
