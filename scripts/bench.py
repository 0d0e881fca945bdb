"""`ape run bench`: gas side by side with EAS / ERC-3643 / ERC-721, and bulk-import
throughput, on a private anvil; writes docs/benchmarks.md. Logic: civic_dev/bench/."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from civic_dev.bench.remote import GETH_WINDOW, ManifestError, RemoteOptions, run_remote
from civic_dev.bench.report import print_result, write_devnet_markdown, write_markdown
from civic_dev.bench.runner import BenchOptions, run_bench
from civic_ledger.cli.common import path_option
from civic_ledger.core.exceptions import CivicError as RpcError
from civic_ledger.core.paths import ROOT

DEFAULT_OUT = ROOT / "docs" / "benchmarks.md"
console = Console(highlight=False) if sys.stdout.isatty() else Console(highlight=False, width=140)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console, transient=False,
    )  # fmt: skip


def _int_option(flag: str, minimum: int, default: int | None, help: str, *names: str) -> Any:
    """A whole-number option of at least `minimum`; its default is shown when it has one."""
    return click.option(flag, *names, type=click.IntRange(min=minimum), default=default,
                        show_default=default is not None, help=help)  # fmt: skip


def _command(options: BenchOptions, out: Path | None) -> str:
    defaults = BenchOptions()
    parts = ["ape run bench", f"--throughput {options.throughput}"]
    for flag, name in (("--samples", "samples"), ("--block-time", "block_time"),
                       ("--gas-limit", "gas_limit"), ("--window", "window"),
                       ("--run-id", "run_id")):  # fmt: skip
        value = getattr(options, name)
        if value != getattr(defaults, name):
            parts.append(f"{flag} {value}")
    if not options.gas:
        parts.append("--no-gas")
    if not options.gateway:
        parts.append("--no-gateway")
    for flag, name in (("--api-rate", "api_rate"), ("--api-seconds", "api_seconds")):
        if getattr(options, name) != getattr(defaults, name):
            parts.append(f"{flag} {getattr(options, name)}")
    if options.postgres:
        parts.append("--postgres URL")
    if out is not None and out.resolve() != DEFAULT_OUT:
        parts.append(f"--out {out}")
    return " ".join(parts)


@click.command(short_help="Gas vs EAS/ERC-3643/ERC-721 and bulk throughput -> docs/benchmarks.md")
@_int_option(
    "--throughput",
    0,
    10_000,
    "Parcels and records to bulk-import (0: skip the throughput part).",
    "count",
)
@_int_option("--samples", 1, 3, "Operations averaged per gas figure.")
@_int_option(
    "--block-time", 1, None, "anvil block time, seconds [default: 1; with --rpc: the chain's]."
)
@_int_option("--gas-limit", 1_000_000, 30_000_000, "anvil block gas limit.")
@_int_option(
    "--window",
    1,
    None,
    f"Most unmined transactions per sender [default: 64; with --rpc: {GETH_WINDOW}].",
)
@click.option(
    "--gas/--no-gas",
    default=True,
    help="Measure the side-by-side gas table and the proxy overhead.",
)
@click.option(
    "--gateway/--no-gateway",
    default=True,
    help="Measure the gateway: index catch-up vs raw eth_getLogs, and the read API under load.",
)
@_int_option("--api-rate", 1, 500, "Requests per second of the gateway API load.")
@click.option("--api-seconds", type=click.FloatRange(0.5, 600), default=10.0, show_default=True,
              help="Seconds of gateway API load per endpoint.")  # fmt: skip
@click.option(
    "--postgres",
    default=None,
    help="An empty PostgreSQL database (postgresql://...) to measure the gateway on as well.",
)
@click.option(
    "--proxy-only",
    is_flag=True,
    help="Only the proxy-overhead table (hot operations through the proxies and directly): "
    "rewrites that section of the report and leaves the others alone.",
)
@click.option(
    "--run-id",
    default="bulk",
    show_default=True,
    help="Names the imported data set (same id + same chain = resume).",
)
@path_option(
    "--out", file_only=False, default=DEFAULT_OUT, show_default=True,
    help="Markdown report to write.",
)  # fmt: skip
@click.option("--no-write", is_flag=True, help="Print the tables only.")
@click.option(
    "--rpc",
    default=None,
    help="Throughput only, on this running chain (e.g. http://127.0.0.1:8645) instead of anvil.",
)
@path_option(
    "--manifest",
    exists=True,
    default=None,
    help="With --rpc: deploy manifest of the suite on that chain.",
)
@click.option(
    "--devnet",
    is_flag=True,
    help="With --rpc: sign as the devnet's agency accounts (keys from the devnet seed).",
)
def cli(count: int, samples: int, block_time: int | None, gas_limit: int, window: int | None,
        gas: bool, gateway: bool, api_rate: int, api_seconds: float, postgres: str | None,
        proxy_only: bool, run_id: str, out: Path, no_write: bool, rpc: str | None,
        manifest: Path | None, devnet: bool) -> None:  # fmt: skip
    """Start a private anvil (London, fixed block time and gas limit, free port), deploy the
    suite with the deploy plan, deploy EAS, ERC-3643 (T-REX + ONCHAINID) and a plain ERC-721
    next to it, print gas per operation side by side with ratios, then bulk-import parcels and
    records with pipelined raw transactions and print items/s against the gas-bound limit.

    With --rpc/--manifest/--devnet: only the bulk import, on a chain already running with the
    suite deployed (the PoA devnet); writes its own section of the report.

    Not a test: CI runs it at a tiny size (tests/bench) only to prove it works.
    """
    if rpc is not None:
        _remote(rpc, manifest, devnet, count, block_time, window, run_id, out, no_write)
        return
    if manifest is not None or devnet:
        raise click.UsageError("--manifest and --devnet go with --rpc")
    if proxy_only:
        _proxy_only(samples, gas_limit, out, no_write)
        return
    options = BenchOptions(
        throughput=count, samples=samples, block_time=block_time or 1, gas_limit=gas_limit,
        window=window or 64, gas=gas, proxy=gas, run_id=run_id, gateway=gateway,
        api_rate=api_rate, api_seconds=api_seconds, postgres=postgres,
    )  # fmt: skip
    result = run_bench(
        options, progress_factory=_progress, say=lambda m: console.print(f"[dim]· {m}[/]")
    )
    print_result(result, console)
    if not no_write:
        path = write_markdown(result, _command(options, out), out)
        console.print(f"wrote [bold]{path}[/]")


def _proxy_only(samples: int, gas_limit: int, out: Path, no_write: bool) -> None:
    from civic_dev.bench import proxy

    options = BenchOptions(throughput=0, samples=samples, gas_limit=gas_limit, gas=False)
    result = run_bench(options, say=lambda m: console.print(f"[dim]· {m}[/]"))
    print_result(result, console)
    if not no_write:
        measured = (
            f"Measured {result.started:%Y-%m-%d %H:%M} UTC by `ape run bench --proxy-only` on a "
            "private anvil of its own (same settings as above), not in the run described at the "
            "top."
        )
        section = proxy.markdown(result.proxy_rows, samples, measured)
        path = proxy.write_section(out, "\n".join(section))
        console.print(f"wrote the proxy-overhead section of [bold]{path}[/]")


def _remote(rpc: str, manifest: Path | None, devnet: bool, count: int, block_time: int | None,
            window: int | None, run_id: str, out: Path, no_write: bool) -> None:  # fmt: skip
    if manifest is None:
        raise click.UsageError("--rpc needs --manifest (the suite deployed on that chain)")
    if not devnet:
        raise click.UsageError(
            "--rpc needs the agencies' keys: only --devnet (the devnet's seeded keys) for now"
        )
    options = RemoteOptions(
        rpc=rpc, manifest=manifest, throughput=count, window=window or GETH_WINDOW,
        block_time=block_time, run_id=run_id,
    )  # fmt: skip
    try:
        result = run_remote(
            options, progress_factory=_progress, say=lambda m: console.print(f"[dim]· {m}[/]")
        )
    except (ManifestError, RpcError, OSError, json.JSONDecodeError) as exc:
        raise click.ClickException(" ".join(str(exc).split())) from None
    print_result(result, console)
    if not no_write:
        parts = ["ape run bench", f"--throughput {count}", f"--rpc {rpc}", f"--manifest {manifest}",
                 "--devnet"]  # fmt: skip
        for flag, value in (("--block-time", block_time), ("--window", window)):
            if value is not None:
                parts.append(f"{flag} {value}")
        if run_id != "bulk":
            parts.append(f"--run-id {run_id}")
        path = write_devnet_markdown(result, " ".join(parts), out)
        console.print(f"wrote the devnet section of [bold]{path}[/]")
