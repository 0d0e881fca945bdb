"""Fixtures of the portal's tests: the gateway tests' demo city with certificates in every
state (`certified`, indexed once per session), a TestClient over the whole app, and for the
browser tests a uvicorn server on a free port and a headless Chromium (Debian's chromium and
chromedriver, driven by Selenium)."""

# ruff: noqa: F401, F811  (fixtures imported from the gateway tests)
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from gateway.api_fixtures import Certified, anchored_batch, certified, make_client
from gateway.conftest import city


@pytest.fixture
def portal(certified: Certified, tmp_path: Path) -> Iterator[TestClient]:
    """The gateway's app (API and portal) over the certified city, no practical rate limit."""
    with make_client(certified, tmp_path / "documents") as client:
        yield client
