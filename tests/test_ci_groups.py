"""Every test package runs in CI: bin/test lists the packages it runs (one pytest process per
group), and a package left out of that list would never run (tests/data, tests/access,
tests/bulk and tests/report once were)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_test_package_is_in_a_ci_group():
    script = (ROOT / "bin" / "test").read_text()
    listed = re.search(r"^groups=\((.*?)^\)", script, re.S | re.M)
    assert listed, "bin/test has no groups=( ... ) list"
    covered = {p for entry in re.findall(r'"[a-z]+:([^"]*)"', listed.group(1))
               for p in entry.split()}  # fmt: skip
    packages = {f"tests/{d.name}" for d in (ROOT / "tests").iterdir()
                if d.is_dir() and any(d.rglob("test_*.py"))}  # fmt: skip
    missing = sorted(packages - covered)
    assert not missing, f"test packages bin/test never runs: {missing}"
