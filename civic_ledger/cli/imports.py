"""What every bulk import command shares (`titles import`, `identity batch-register`, `tax import`,
`records import`): its options and one driver, `run_import`, around the one bulk runner
(`civic_ledger.bulk.runner`).

The driver's order is the same for every import: the whole file is validated (by the
command, which hands over the good rows and the bad ones), then compared with the chain;
bad rows go to the rejects file (`civic_ledger.bulk.rejects`); `--check` stops there (exit 1
if any row is bad); without `--skip-bad-rows` any bad row refuses the whole file, nothing sent;
a dry run of the first batch stops a refusal by the contract (permission, pause) before the
first transaction; then the runner journals, settles an interrupted run, sends and reports.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from functools import wraps
from pathlib import Path
from typing import Any

import click

from civic_ledger.bulk.rejects import default_rejects_path, write_rejects
from civic_ledger.bulk.runner import (
    DEFAULT_WINDOW,
    BatchCallJob,
    BulkJob,
    BulkResult,
    BulkRunner,
    RowError,
    confirmed_keys,
    journal_path_for,
)
from civic_ledger.cli.common import F, csv_file_argument, encoding_option, network_name, path_option
from civic_ledger.cli.output import console, err_console, put

SHOWN_BAD_ROWS = 50


@dataclass(frozen=True)
class ImportOptions:
    """The options every import command takes (see `import_options`)."""

    batch_size: int
    window: int
    journal_file: Path | None
    fresh: bool
    check_only: bool
    skip_bad_rows: bool
    rejects_file: Path | None
    encoding: str


def import_options(job: type[BatchCallJob], default_batch: int | None = None) -> Callable[[F], F]:
    """The CSV_FILE argument and the options of the bulk import command of `job` (batches of at
    most its `max_batch`, `default_batch` rows by default, else that bound); the command
    receives them as `csv_file` and one `options: ImportOptions` keyword."""

    def wrap(func: F) -> F:
        @wraps(func)
        def collect(*args: Any, **kwargs: Any) -> Any:
            options = ImportOptions(**{f.name: kwargs.pop(f.name) for f in fields(ImportOptions)})
            return func(*args, options=options, **kwargs)

        decorators = [
            csv_file_argument(),
            click.option(
                "--batch-size", type=click.IntRange(1, job.max_batch),
                default=default_batch or job.max_batch,
                show_default=True, help="Rows per transaction.",
            ),
            click.option(
                "--window", type=click.IntRange(1, 64), default=DEFAULT_WINDOW, show_default=True,
                help="Batches in flight before waiting for receipts.",
            ),
            path_option(
                "--journal", "journal_file", default=None,
                help=f"Journal file (default: .journal/{job.name}-<network>-<csv>.jsonl).",
            ),
            click.option(
                "--fresh", is_flag=True,
                help="Set an existing journal of another chain/contract aside.",
            ),
            click.option(
                "--check", "check_only", is_flag=True,
                help="Validate and compare with the chain; send nothing (exit 1 if a row is bad).",
            ),
            click.option(
                "--skip-bad-rows", is_flag=True,
                help="Import the good rows even if some are bad (default: a file with any bad "
                "row is refused before anything is sent).",
            ),
            path_option(
                "--rejects", "rejects_file", default=None,
                help="Where bad rows are written, with their line and reason (default: "
                "<csv>.rejects.csv next to the input).",
            ),
            encoding_option("the input file and its rejects file"),
        ]  # fmt: skip
        for decorator in reversed(decorators):
            collect = decorator(collect)
        return collect  # type: ignore[return-value]

    return wrap


def run_import(
    job: BulkJob,
    rows: Sequence[Any],
    bad: Sequence[RowError],
    *,
    csv_file: Path,
    sender: Any,
    options: ImportOptions,
    noun: str,
    before_send: Callable[[list[Any]], None] | None = None,
) -> BulkResult | None:
    """Check `rows` (the file's good rows; `bad` its malformed ones) against the chain and,
    unless --check or a bad row refuses the file, import them with the bulk runner signing as
    `sender`. `before_send(todo)` runs once the file is accepted, before the first
    transaction. Exits 1 when any row is bad or a batch failed."""
    from ape.logging import LogLevel, logger

    if logger.level <= LogLevel.INFO:
        logger.set_level(LogLevel.WARNING)  # one line per batch would drown the progress bar
    if not rows and not bad:
        raise click.ClickException(f"{csv_file}: no rows to import (only a header)")
    console.print(f"{csv_file}: {len(rows):,} valid rows, {len(bad):,} malformed")
    journal = options.journal_file or journal_path_for(job.name, csv_file, network_name())
    done = confirmed_keys(journal, job)
    unseen = [r for r in rows if job.key(r) not in done]
    check = job.check(unseen)
    problems = sorted([*bad, *check.errors], key=lambda e: e.line)
    rejects = options.rejects_file or default_rejects_path(csv_file)
    if problems:
        write_rejects(csv_file, problems, rejects, encoding=options.encoding)
    put(file=str(csv_file), valid_rows=len(rows), journal=str(journal),
        bad_rows=[{"line": e.line, "reason": e.reason} for e in problems],
        rejects=str(rejects) if problems else None)  # fmt: skip
    if options.check_only:
        already = len(check.on_chain) + len(rows) - len(unseen)
        console.print(f"to send: {len(check.todo):,} · already on chain: {already:,}")
        put(to_send=len(check.todo), already_on_chain=already)
        _print_bad_rows(problems, rejects)
        if problems:
            raise click.exceptions.Exit(1)
        return None
    if problems and not options.skip_bad_rows:
        _print_bad_rows(problems, rejects)
        raise click.ClickException(
            f"{csv_file}: {len(problems):,} bad row(s), nothing sent; first: {problems[0]} "
            f"(all in {rejects}; fix them, or pass --skip-bad-rows to import the good rows only)"
        )
    if check.todo:  # permission, pause: a refusal by the contract stops before a send
        job.preflight(check.todo[: options.batch_size], sender)
        if before_send:
            before_send(list(check.todo))
    result = _run(job, rows, bad, sender, journal, csv_file, options)
    put(imported=result.imported, already_on_chain=result.already_on_chain,
        recovered=result.recovered, resumed=result.resumed, transactions=result.transactions,
        gas_used=result.gas_used, failed_batches=result.failed_batches,
        bad_rows=[{"line": e.line, "reason": e.reason} for e in (*problems, *result.bad_rows)])  # fmt: skip
    for line in import_report(result, noun):
        console.print(line)
    console.print(f"journal: {journal}")
    for number, reason in result.failed_batches:
        err_console.print(f"[red]batch {number} failed[/]: {reason}")
    if result.bad_rows:
        write_rejects(csv_file, result.bad_rows, rejects, encoding=options.encoding)
    _print_bad_rows(result.bad_rows, rejects)
    if not result.ok:
        raise click.exceptions.Exit(1)
    return result


def _run(
    job: BulkJob, rows: Sequence[Any], bad: Sequence[RowError], sender: Any, journal: Path,
    csv_file: Path, options: ImportOptions,
) -> BulkResult:  # fmt: skip
    """The runner over `rows`, with a progress bar."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    runner = BulkRunner(
        job, sender, journal, batch_size=options.batch_size, window=options.window,
        fresh=options.fresh, source=str(csv_file.resolve()),
    )  # fmt: skip
    columns = (
        TextColumn("[bold]importing"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), TimeRemainingColumn(),
    )  # fmt: skip
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(job.name, total=None)
        return runner.run(
            rows,
            bad_rows=bad,
            planned=lambda n: progress.update(task, total=n),
            progress=lambda n: progress.advance(task, n),
        )


def import_report(result: BulkResult, noun: str) -> list[str]:
    """The outcome of a bulk import, one line each."""
    lines = [
        f"[green]imported {result.imported:,}[/] {noun} in {result.transactions} transactions "
        f"({result.seconds:.1f} s, {result.per_second:.0f} {noun}/s, gas {result.gas_used:,}); "
        f"already on chain {result.already_on_chain:,}"
        + (f"; recovered from the last run {result.recovered:,}" if result.recovered else "")
    ]
    if result.resumed:
        lines.append(
            f"resumed an interrupted import: {result.confirmed_before:,} {noun} confirmed "
            f"before, {result.recovered:,} recovered from {result.unsettled_batches} batch(es) "
            f"in flight, {result.dropped:,} of never-mined batches re-checked; "
            f"sent fresh {result.imported:,}"
        )
    return lines


def _print_bad_rows(errors: Sequence[RowError], rejects: Path) -> None:
    if not errors:
        return
    err_console.print(
        f"[yellow]{len(errors):,} bad row(s)[/] (not imported; written to {rejects}):"
    )
    for error in errors[:SHOWN_BAD_ROWS]:
        err_console.print(f"  {error}")
    if len(errors) > SHOWN_BAD_ROWS:
        err_console.print(f"  … and {len(errors) - SHOWN_BAD_ROWS:,} more")
