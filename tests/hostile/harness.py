"""Hostile-input harness (issue #8): run a command with bad input and prove the refusal is
clean - exit code != 0, ONE readable `Error: ...` line naming the problem (no traceback, no
raw revert hex), and nothing sent to the chain (block height and every test account's nonce
unchanged). Every hostile input tried is counted (see `count`)."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from click.testing import CliRunner

EXAMPLES = int(os.environ.get("CIVIC_HOSTILE_EXAMPLES", "30"))

# -------------------------------------------------------------------------- the counter

TRIED: Counter[str] = Counter()


def count(kind: str, n: int = 1) -> None:
    """Record `n` hostile inputs of class `kind`."""
    TRIED[kind] += n


# -------------------------------------------------------------------------- refusal checks

# 0x-hex longer than 8 digits that is neither an address (40) nor a bytes32 (64): raw calldata
# or revert payloads leaking into a message.
_RAW_HEX = re.compile(r"0x[0-9a-fA-F]{8,}")


def raw_hex_blobs(text: str) -> list[str]:
    return [m for m in _RAW_HEX.findall(text) if len(m) - 2 not in (40, 64)]


def error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("Error")]


def assert_one_line_error(
    output: str, names: str | Sequence[str] = (), given: Sequence[str] = ()
) -> str:
    """The output holds exactly one `Error: ...` line (click's usage errors may add their
    usage lines around it), no traceback and no raw hex; the line mentions every `names`."""
    assert "Traceback" not in output, output
    lines = error_lines(output)
    assert len(lines) == 1, f"expected one Error line, got:\n{output}"
    line = lines[0]
    assert line.startswith("Error: "), line
    echoed = " ".join(given)  # the user's own (bad) input may be quoted back
    assert not [b for b in raw_hex_blobs(line) if b not in echoed], f"raw hex in: {line}"
    assert len(line) < 600, f"error line too long ({len(line)} chars): {line[:200]}…"
    wanted = [names] if isinstance(names, str) else list(names)
    for name in wanted:
        assert name.lower() in line.lower(), f"{name!r} not named in: {line}"
    return line


# -------------------------------------------------------------------------- chain fingerprint


def chain_fingerprint(extra: Callable[[], Any] | None = None) -> tuple[Any, ...]:
    """Block height and every test account's nonce (+ `extra()`): unchanged = nothing sent."""
    from ape import accounts, chain

    nonces = tuple(a.nonce for a in accounts.test_accounts)
    return (chain.blocks.height, nonces, extra() if extra else None)


# -------------------------------------------------------------------------- invoking commands


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def plain_command(command: click.Command) -> click.Command:
    """The command without Ape's --network wrapper (which would disconnect the test provider
    on exit): same callback, same parameters."""
    return click.Command(
        command.name,
        callback=command.callback,
        params=[p for p in command.params if p.name != "network"],
    )


def invoke(
    command: click.Command, args: Sequence[str], env: dict[str, str] | None = None
) -> Outcome:
    runner = CliRunner(mix_stderr=False)
    result = runner.invoke(plain_command(command), list(args), env=env, catch_exceptions=True)
    return Outcome(result.exit_code, result.stdout, result.stderr, result.exception)


class Refuser:
    """`refuse(command, args, names=..., kind=...)`: runs the command, asserts a clean refusal
    with nothing sent, counts the input; returns the error line."""

    def __init__(self, manifest: Path) -> None:
        self.manifest = manifest

    def __call__(
        self,
        command: click.Command,
        args: Sequence[str],
        *,
        names: str | Sequence[str] = (),
        kind: str = "argument",
        manifest: Path | bool | None = True,
        env: dict[str, str] | None = None,
        state: Callable[[], Any] | None = None,
        given: Sequence[str] = (),
    ) -> str:
        """Run `command` with `args`: it must refuse with one error line, change nothing on
        chain and name every `names`. `given` is input the command read from elsewhere (a
        file's contents) that the error may quote back, like its arguments."""
        count(kind)
        full = list(args)
        if manifest is True:
            full += ["--manifest", str(self.manifest)]
        elif manifest:
            full += ["--manifest", str(manifest)]
        before = chain_fingerprint(state)
        outcome = invoke(command, full, env)
        after = chain_fingerprint(state)
        shown = f"{command.name} {' '.join(map(repr, full))}\n{outcome.output}"
        assert isinstance(outcome.exception, SystemExit | None), (
            f"unhandled {type(outcome.exception).__name__}: {outcome.exception}\n{shown}"
        )
        assert outcome.exit_code != 0, f"accepted hostile input:\n{shown}"
        assert before == after, f"chain changed on a refused command:\n{shown}"
        try:
            return assert_one_line_error(outcome.stderr, names, [*full, *given])
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- {shown}") from None
