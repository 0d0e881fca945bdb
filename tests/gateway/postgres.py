"""The test session's PostgreSQL server (civic_dev/pgserver.py): started at the first
postgres test, one fresh database per test, stopped at the end.

Without PostgreSQL's binaries the postgres variants fail, naming what to install;
CIVIC_SKIP_POSTGRES=1 skips them. `bin/test` installs Debian's `postgresql` when
it runs as root on a machine that lacks it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from civic_dev.pgserver import MISSING, PostgresServer, server_binaries


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server (started at the first postgres test)."""
    if os.environ.get("CIVIC_SKIP_POSTGRES") == "1":
        pytest.skip("CIVIC_SKIP_POSTGRES=1")
    binaries = server_binaries()
    if binaries is None:
        pytest.fail(
            MISSING + " or set CIVIC_SKIP_POSTGRES=1 to skip the postgres variants", pytrace=False
        )
    server = PostgresServer(binaries).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh database of its own for one test (dropped afterwards)."""
    name = postgres_server.create_database()
    yield postgres_server.url(name)
    postgres_server.drop_database(name)
