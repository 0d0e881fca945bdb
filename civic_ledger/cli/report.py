"""`ape run admin report ...`: the suite's events exported for auditors.

    ape run admin report all --from 2026-01-01 --to 2026-03-31 --out q1.xlsx
    ape run admin report TaxAssessed,TaxPaid --from 1200 --format csv --out tax.csv

(`report EVENTS` is `report events EVENTS`.) One row per event: its name, contract, block,
time (UTC), transaction hash, log index, the actor (the event's `operator` or `caller`, else
the transaction's sender) and every argument in its own column. Reads only; signs nothing.
"""

from __future__ import annotations

from pathlib import Path

import click

from civic_ledger.cli.common import (
    Suite,
    command,
    encoding_option,
    parse_param,
    path_option,
)
from civic_ledger.cli.output import console, put
from civic_ledger.core import names

CONTRACTS = (
    names.MANAGER, names.IDENTITY_REGISTRY, names.RECORD_REGISTRY, names.TOKEN,
    names.TITLE_REGISTRY, names.LIEN_REGISTRY, names.PROPERTY_TAX, names.GRANT_FUND,
)  # fmt: skip


class _DefaultEvents(click.Group):
    """`report EVENTS ...` runs `report events EVENTS ...`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["events", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_DefaultEvents)
def report() -> None:
    """Reports for auditors: `report EVENTS` exports the suite's events."""


@command(report, "events", signs=False)
@click.argument("events")
@click.option("--from", "first", default="0", show_default=True,
              help="First block: a block number, YYYY-MM-DD (UTC) or an ISO date-time.")  # fmt: skip
@click.option("--to", "last", default=None,
              help="Last block, like --from (default: the latest block).")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default=None,
              help="Output format (default: from --out's extension).")  # fmt: skip
@path_option("--out", required=True, help="The file to write (replaced).")
@encoding_option("the CSV written")
def report_events(
    manifest_file: Path | None, events: str, first: str, last: str | None, fmt: str | None,
    out: Path, encoding: str,
) -> None:  # fmt: skip
    """Export the events named in EVENTS (a comma list, or `all`) between --from and --to to a
    CSV or Excel file: one row per event, each argument in its own column."""
    from ape import project

    from civic_ledger.chain.client import Web3Client
    from civic_ledger.report import events as reader
    from civic_ledger.report.export import write_report

    fmt = fmt or _format_of(out)
    suite = Suite(manifest_file)
    client = Web3Client.from_ape()
    deployed = [n for n in CONTRACTS if n in suite.manifest.contracts]
    kinds = reader.event_kinds(
        (n, suite.manifest.address_of(n), getattr(project, n).contract_type.events)
        for n in deployed
    )
    chosen = parse_param(lambda text: reader.select(kinds, text), events, "EVENTS")
    start = parse_param(lambda t: reader.parse_bound(client, t, start=True), first, "--from")
    latest = client.block_number()
    end = latest if last is None else parse_param(
        lambda t: reader.parse_bound(client, t, start=False), last, "--to"
    )  # fmt: skip
    end = min(end, latest)
    if last is not None and end < start:
        raise click.BadParameter(
            f"ends (block {end}) before --from (block {start})", param_hint="--to"
        )
    rows = reader.read_events(client, chosen, start, end, logs=suite.logs)
    header = write_report(rows, out, fmt, encoding=encoding)
    console.print(f"wrote {len(rows):,} events (blocks {start}-{end}) to {out}")
    put(out=str(out), format=fmt, first_block=start, last_block=end, rows=len(rows),
        columns=header, events=sorted({r.event for r in rows}))  # fmt: skip


def _format_of(out: Path) -> str:
    suffix = out.suffix.lower().lstrip(".")
    if suffix in ("csv", "xlsx"):
        return suffix
    raise click.BadParameter(
        f"cannot tell the format from {out.name!r}: give --format csv or xlsx", param_hint="--out"
    )
