"""`ape run bench`: gas side by side with EAS / ERC-3643 / ERC-721, and bulk-import
throughput, on a private anvil; writes docs/benchmarks.md. Logic: civic_ledger/bench/."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from civic_ledger.bench.report import print_result, write_markdown
from civic_ledger.bench.runner import BenchOptions, run_bench
from civic_ledger.paths import ROOT

DEFAULT_OUT = ROOT / "docs" / "benchmarks.md"
console = Console(highlight=False) if sys.stdout.isatty() else Console(highlight=False, width=140)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console, transient=False,
    )  # fmt: skip


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
    if out is not None and out.resolve() != DEFAULT_OUT:
        parts.append(f"--out {out}")
    return " ".join(parts)


@click.command(short_help="Gas vs EAS/ERC-3643/ERC-721 and bulk throughput -> docs/benchmarks.md")
@click.option(
    "--throughput",
    "count",
    type=click.IntRange(min=0),
    default=10_000,
    show_default=True,
    help="Parcels and records to bulk-import (0: skip the throughput part).",
)
@click.option(
    "--samples",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Operations averaged per gas figure.",
)
@click.option(
    "--block-time",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="anvil block time, seconds.",
)
@click.option(
    "--gas-limit",
    type=click.IntRange(min=1_000_000),
    default=30_000_000,
    show_default=True,
    help="anvil block gas limit.",
)
@click.option(
    "--window",
    type=click.IntRange(min=1),
    default=64,
    show_default=True,
    help="Most unmined transactions per sender.",
)
@click.option("--gas/--no-gas", default=True, help="Measure the side-by-side gas table.")
@click.option(
    "--run-id",
    default="bulk",
    show_default=True,
    help="Names the imported data set (same id + same chain = resume).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help="Markdown report to write.",
)
@click.option("--no-write", is_flag=True, help="Print the tables only.")
def cli(count: int, samples: int, block_time: int, gas_limit: int, window: int, gas: bool,
        run_id: str, out: Path, no_write: bool) -> None:  # fmt: skip
    """Start a private anvil (London, fixed block time and gas limit, free port), deploy the
    suite with the deploy plan, deploy EAS, ERC-3643 (T-REX + ONCHAINID) and a plain ERC-721
    next to it, print gas per operation side by side with ratios, then bulk-import parcels and
    records with pipelined raw transactions and print items/s against the gas-bound limit.

    Not a test: CI runs it at a tiny size (tests/bench) only to prove it works.
    """
    options = BenchOptions(
        throughput=count, samples=samples, block_time=block_time, gas_limit=gas_limit,
        window=window, gas=gas, run_id=run_id,
    )  # fmt: skip
    result = run_bench(
        options, progress_factory=_progress, say=lambda m: console.print(f"[dim]· {m}[/]")
    )
    print_result(result, console)
    if not no_write:
        path = write_markdown(result, _command(options, out), out)
        console.print(f"wrote [bold]{path}[/]")
