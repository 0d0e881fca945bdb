"""Hostile-input fixtures: the refusal checker on the session suite, no passphrase in the
environment, and the terminal summary line `hostile inputs tried: N` (issue #8)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .harness import TRIED, Refuser


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TRIED:
        return
    total = sum(TRIED.values())
    terminalreporter.write_sep("-", "hostile inputs by class")
    for kind, n in sorted(TRIED.items()):
        terminalreporter.write_line(f"  {kind:<30} {n:>6}")
    terminalreporter.write_line(f"hostile inputs tried: {total}")
    report = os.environ.get("CIVIC_HOSTILE_REPORT")
    if report:
        Path(report).write_text(json.dumps({"total": total, "by_class": dict(TRIED)}, indent=2))


@pytest.fixture(scope="session")
def refuse(suite: Any) -> Refuser:
    return Refuser(Path(suite.manifest.path))


@pytest.fixture(scope="session", autouse=True)
def _agency_keystores() -> None:
    """The locked-keystore cases need keystores in Ape's data folder: the devnet's agency
    keystores (`civic-deployer`, `civic-tax-bureau`, ...), the same files `ape run devnet up`
    writes (existing ones are left alone), so a fresh clone has them too."""
    from ape import config

    from civic_dev.devnet.config import passphrase
    from civic_dev.devnet.local import LocalDevnet, load_config

    LocalDevnet(load_config(), None).write_ape_accounts(Path(config.DATA_FOLDER), passphrase())


@pytest.fixture(autouse=True)
def _no_passphrase(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No passphrase in the environment: keystore accounts stay locked."""
    for key in list(os.environ):
        if key == "CIVIC_PASSPHRASE" or (key.startswith("APE_ACCOUNTS_") and "PASSPHRASE" in key):
            monkeypatch.delenv(key)
    yield
