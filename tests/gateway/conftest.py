"""A city with history for the gateway: the suite deployed and the whole demo scenario played
once per session on the embedded chain (every domain's events: identities, records with a
dispute and revocations, a parcel sold under a lien with tax paid, a grant round with payouts,
data exchange with receipts), then indexed into a fresh database per test, SQLite and PostgreSQL."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from civic_ledger.chain.client import Web3Client
from civic_ledger.chain.manifest import Manifest
from civic_ledger.gateway.db import connect
from civic_ledger.gateway.indexer import Indexer

from .api_fixtures import anchored_batch, api, certified  # noqa: F401  (fixtures: one definition each)
from .postgres import postgres_server, postgres_url  # noqa: F401  (fixtures)


@pytest.fixture(scope="session")
def city(suite: Any, roles_config: Any, deployer: Any, chain: Any) -> dict[str, Any]:
    """The demo scenario played on the session's suite: its suite, scenario and manifest."""
    from civic_ledger.demo.cast import assemble
    from civic_ledger.demo.narrator import Narrator
    from civic_ledger.demo.scenario import CityScenario

    cast = assemble(roles_config, deployer, local=True)
    narrator = Narrator(Console(file=io.StringIO(), width=120))
    scenario = CityScenario(suite, cast, narrator, chain)
    scenario.play()
    return {"suite": suite, "scenario": scenario, "manifest": Manifest.load(suite.manifest.path)}


@pytest.fixture
def client(city: dict[str, Any]) -> Web3Client:
    return Web3Client.from_ape()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty gateway database: a SQLite file, or a database of its own on the
    session's PostgreSQL server (tests/gateway/postgres.py); every test using it runs on both."""
    if request.param == "sqlite":
        return str(tmp_path / "gateway.sqlite")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def new_database(
    request: pytest.FixtureRequest, database: str, tmp_path: Path
) -> Callable[[], str]:
    """More empty databases on `database`'s kind of server (e.g. for a fresh re-index)."""
    made = itertools.count(1)

    def make() -> str:
        if database.startswith("postgresql"):
            server = request.getfixturevalue("postgres_server")
            return server.url(server.create_database())
        return str(tmp_path / f"gateway-{next(made)}.sqlite")

    return make


@pytest.fixture
def indexed(city: dict[str, Any], client: Web3Client, database: str) -> Indexer:
    """A fresh index of the city, caught up with the chain."""
    indexer = Indexer.for_manifest(connect(database), client, city["manifest"])
    indexer.step()
    return indexer
