"""`ape run bench` end to end: a private anvil (London, fixed block time and gas limit), our
suite deployed by the deploy plan, the anchors next to it, the gas table, then the bulk
imports on the same chain; returns everything the report needs."""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from civic_dev.bench import anchors
from civic_dev.bench import data_exchange as data_bench
from civic_dev.bench import gateway as gateway_bench
from civic_dev.bench.anvil import AnvilNode, AnvilSettings, running_anvil
from civic_dev.bench.city import City, check_signatures
from civic_dev.bench.gas import GasBench, GasRow
from civic_dev.bench.proxy import ProxyBench, ProxyRow
from civic_dev.bench.throughput import BulkImport, ThroughputRow, city_target
from civic_ledger.chain.client import HttpClient
from civic_ledger.core.config import load_roles_file
from civic_ledger.core.paths import DEFAULT_ROLES_FILE, ROOT

BENCH_CACHE = ROOT / ".cache" / "bench"
PARTY_INDICES = (15, 16, 17, 18)  # citizens' test accounts: seller, buyer, plain ERC-721 pair


@dataclass(frozen=True)
class BenchOptions:
    """What `ape run bench` measures (its options; journals of the bulk imports under
    `journal_dir`)."""

    throughput: int = 10_000
    samples: int = 3
    block_time: int = 1
    gas_limit: int = 30_000_000
    window: int = 64
    gas: bool = True
    proxy: bool = True  # the proxy-overhead table
    data: bool = True  # the data-exchange section (issue #16)
    gateway: bool = True  # the gateway section (issue #17): catch-up and API load
    api_rate: int = 500
    api_seconds: float = 10.0
    postgres: str | None = None  # an empty PostgreSQL database for the gateway section
    run_id: str = "bulk"
    journal_dir: Path = BENCH_CACHE / "journals"


@dataclass
class BenchResult:
    options: BenchOptions
    started: datetime
    seconds: float = 0.0
    chain: dict[str, Any] = field(default_factory=dict)
    machine: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    gas_rows: list[GasRow] = field(default_factory=list)
    throughput_rows: list[ThroughputRow] = field(default_factory=list)
    proxy_rows: list[ProxyRow] = field(default_factory=list)
    data: data_bench.DataResult | None = None
    gateway: gateway_bench.GatewayResult | None = None


def _quiet_ape() -> None:
    from ape.logging import LogLevel, logger

    if logger.level <= LogLevel.INFO:
        logger.set_level(LogLevel.WARNING)


def deploy_city(node: AnvilNode, keep_manifest: bool = False) -> tuple[City, Any]:
    """Deploy + wire the whole suite through the deploy plan (what `ape run deploy` runs);
    returns our City (with the deploy manifest when `keep_manifest`: the gateway section
    indexes that deployment) and the deployer account."""
    from ape import accounts, project

    from civic_ledger.deploy import DeployPlan

    roles = load_roles_file(DEFAULT_ROLES_FILE)
    deployer = accounts.test_accounts[0]
    manifest = BENCH_CACHE / f"deploy-{node.url.rsplit(':', 1)[1]}.json"
    manifest.unlink(missing_ok=True)
    plan = DeployPlan.connected(sender=deployer, roles=roles, manifest_path=manifest)
    plan.run()
    contracts = {
        name: getattr(project, name).at(entry["address"])
        for name, entry in plan.manifest.contracts.items()
    }
    agency = {a.name: accounts.test_accounts[a.account.test_account] for a in roles.agencies}
    city = City(contracts, agency)
    if keep_manifest:
        city.manifest = plan.manifest
    else:
        manifest.unlink(missing_ok=True)
    return city, deployer


@contextlib.contextmanager
def city_on_anvil(block_time: int = 1) -> Iterator[tuple[AnvilNode, HttpClient, City, int]]:
    """Our suite deployed by the deploy plan on a private anvil (mining each transaction at
    once), the bench schema registered, Ape connected to it: (node, rpc, city, schema id)."""
    from ape import networks

    with running_anvil(AnvilSettings(block_time=block_time)) as node:
        rpc = HttpClient(node.url)
        rpc.call("evm_setAutomine", True)
        with networks.parse_network_choice(f"ethereum:local:{node.url}"):
            our, _ = deploy_city(node)
            yield node, rpc, our, our.register_schema()


def _package_versions() -> dict[str, str]:
    from importlib.metadata import version

    out = {"python": platform.python_version()}
    for dist in ("eth-ape", "web3", "eth-account"):
        out[dist] = version(dist)
    return out


def run_bench(
    options: BenchOptions,
    *,
    progress_factory: Callable[[], Any] | None = None,
    say: Callable[[str], None] = lambda message: None,
) -> BenchResult:
    """Everything `ape run bench` measures. `progress_factory` returns a rich Progress (a
    context manager) for the bulk imports, or None for no progress bar."""
    from ape import accounts, networks

    _quiet_ape()
    result = BenchResult(options=options, started=datetime.now(UTC))
    result.machine = {"cpus": os.cpu_count(), "load_start": os.getloadavg()[0]}
    t0 = time.monotonic()
    compiled = {}
    if options.gas:
        say("compiling anchors (cached in .cache/anchors after the first run)")
        compiled = anchors.compile_all()
        result.versions.update(anchors.versions_summary())
    result.versions.update(_package_versions())
    settings = AnvilSettings(block_time=options.block_time, gas_limit=options.gas_limit)
    log = BENCH_CACHE / "anvil.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with running_anvil(settings, log=log) as node:
        rpc = HttpClient(node.url)
        result.chain = {
            "client": node.version,
            "chain_id": rpc.chain_id(),
            "hardfork": settings.hardfork,
            "block_time": settings.block_time,
            "block_gas_limit": settings.gas_limit,
            "base_fee": 0,
        }
        with networks.parse_network_choice(f"ethereum:local:{node.url}"):
            # Set-up and single-operation gas run on instant mining (gas does not depend on
            # it); the bulk imports run on the fixed block time.
            rpc.call("evm_setAutomine", True)
            say(f"anvil {node.url}: deploying the suite with the deploy plan")
            our, deployer = deploy_city(node, keep_manifest=options.gateway)
            check_signatures(our.contracts)
            parties = [accounts.test_accounts[i] for i in PARTY_INDICES]
            if options.gas:
                bench = GasBench(
                    our, deployer, parties, compiled, samples=options.samples, progress=say
                )
                result.gas_rows = bench.run()
            if options.proxy:
                say("proxy overhead: hot operations through the proxies and directly")
                result.proxy_rows = ProxyBench(our, rpc, parties, options.samples).run()
            schema_id = our.register_schema()
            if options.data:
                say("data exchange: lifecycle gas, then receipts anchored on the block time")
                result.data = data_bench.run(
                    our, parties[0], rpc, samples=options.samples,
                    count=options.throughput * 10, block_time=options.block_time,
                    block_gas_limit=options.gas_limit,
                    interval=lambda: rpc.call("evm_setIntervalMining", options.block_time),
                )  # fmt: skip
            rpc.call("evm_setIntervalMining", options.block_time)
        if options.throughput > 0:
            target = city_target(our, node.url, schema_id, options.block_time, options.gas_limit)
            say(
                f"bulk import: {options.throughput:,} parcels and records on {options.block_time}s blocks"
            )
            progress = progress_factory() if progress_factory else None
            # This anvil dies with the run, so its journals cannot serve a resume: they go too.
            journal_dir = options.journal_dir / f"anvil-{node.url.rsplit(':', 1)[1]}"
            importer = BulkImport(
                target, options.throughput, journal_dir=journal_dir,
                run_id=options.run_id, window=options.window, progress=progress,
            )  # fmt: skip
            result.throughput_rows = importer.run()
            shutil.rmtree(journal_dir, ignore_errors=True)
        if options.gateway and our.manifest is not None:
            result.gateway = gateway_bench.run(
                our.manifest, node.url, rate=options.api_rate, seconds=options.api_seconds,
                postgres=options.postgres, say=say,
            )  # fmt: skip
            Path(our.manifest.path).unlink(missing_ok=True)
    result.seconds = time.monotonic() - t0
    result.machine["load_end"] = os.getloadavg()[0]
    return result
