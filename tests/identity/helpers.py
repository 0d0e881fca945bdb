"""Constants and small helpers shared by the identity-domain tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils import keccak

from civic_ledger.core.times import DAY

YEAR = 365 * DAY


def subject_for(label: str) -> bytes:
    """A stand-in salted commitment for a named test party."""
    return keccak(b"identity-test-salt:" + label.encode())


def evidence(label: str) -> bytes:
    return keccak(text=f"evidence:{label}")


def blank_data(records: Any, schema_id: int) -> bytes:
    """Valid data for any schema: one zero word per field of its layout."""
    return b"\x00" * 32 * int(records.getSchema(schema_id).fieldCount)


def word(value: int) -> bytes:
    """One ABI word (a uintN field's data)."""
    return value.to_bytes(32, "big")


def callers(agency: dict[str, Any], agencies: str, *others: Any) -> list[Any]:
    """`others`, then the accounts of the agencies named in `agencies` (space-separated): the
    callers a check must refuse."""
    return [*others, *(agency[name] for name in agencies.split())]


@dataclass(frozen=True)
class Party:
    """A registered identity and the wallet controlling it."""

    name: str
    subject: bytes
    account: Any


@dataclass(frozen=True)
class Schemas:
    """Ids of the standard test schemas."""

    tax_ok: int  # tax bureau, non-adverse, revocable, 1 year default ("uint16 year")
    tax_penalty: int  # tax bureau, adverse, revocable, 3 years ("uint256 amount")
    licence: int  # market regulator, non-adverse, revocable, never expires ("uint64 licenceNo")
    judgment: int  # court, adverse, NOT revocable, 5 years (no data)


def cli_runner(suite: Any) -> Any:
    """run(group, name, *args, input=None): a command of `group` run in process against the
    session suite's manifest (without --network: the test chain), `input` its standard input;
    `.text` is its output on one line (rich wraps at 80 columns off a terminal)."""
    import click
    from click.testing import CliRunner

    runner = CliRunner()
    manifest = str(suite.manifest.path)

    def run(group: click.Group, name: str, *args: str, input: str | None = None) -> Any:
        command = group.commands[name]
        plain = click.Command(
            name, callback=command.callback,
            params=[p for p in command.params if p.name != "network"],
        )  # fmt: skip
        argv = [*args, "--manifest", manifest]
        result = runner.invoke(plain, argv, input=input, catch_exceptions=False)
        result.text = " ".join(result.output.split())
        return result

    return run
