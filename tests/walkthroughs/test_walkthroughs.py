"""The five agency walkthroughs (issue #15): each office's daily work as it types it — command
lines and CSV inputs in examples/walkthroughs/<office>.yaml, no Python — run on the session
suite with `--json`, each step's document checked against what the walkthrough expects.

A walkthrough is a list of steps: `run` is the command line after `ape run admin` (or `ape
civic`); `${files}` is examples/walkthroughs/files, `${out}` a fresh folder for what the
commands write, `${STEP.a.b.0.c}` a value of an earlier step's JSON document (a name instead of
a list index picks the first item whose `event` is that name: `transactions.0.events.RecordIssued`);
`expect` maps such paths to the values they must hold; `exit` is the expected exit code
(default 0). The command gets `--json` and the deployment's `--manifest` appended."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from hostile.harness import invoke

from civic_ledger.cli.admin import cli

WALKTHROUGHS = Path(__file__).resolve().parents[2] / "examples" / "walkthroughs"
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_.\-]+)\}")


def lookup(document: Any, path: str) -> Any:
    """The value at a dotted `path` of a JSON document (see the module docstring)."""
    value = document
    for key in path.split("."):
        if isinstance(value, list):
            if key.isdigit():
                value = value[int(key)]
            else:
                [value] = [item for item in value if item.get("event") == key][:1]
        else:
            value = value[key]
    return value


def run_walkthrough(name: str, manifest: Path, out: Path) -> dict[str, Any]:
    spec = yaml.safe_load((WALKTHROUGHS / f"{name}.yaml").read_text())
    documents: dict[str, Any] = {}
    values = {"files": str(WALKTHROUGHS / "files"), "out": str(out)}

    def fill(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            key = match.group(1)
            if key in values:
                return values[key]
            step, _, path = key.partition(".")
            return str(lookup(documents[step], path))

        return PLACEHOLDER.sub(one, text)

    for number, step in enumerate(spec["steps"], 1):
        name_ = step.get("name", f"step{number}")
        words = shlex.split(fill(step["run"]))
        group, command, args = words[0], words[1], words[2:]
        outcome = invoke(cli.commands[group].commands[command],
                         [*args, "--json", "--manifest", str(manifest)])  # fmt: skip
        where = f"{name}, step {number} ({name_}): {step['run']}"
        assert outcome.exit_code == step.get("exit", 0), f"{where}\n{outcome.output[-2000:]}"
        document = json.loads(outcome.stdout)
        (out / f"{number:02d}-{name_}.json").write_text(json.dumps(document, indent=2))
        documents[name_] = document
        for path, wanted in (step.get("expect") or {}).items():
            got = lookup(document, path)
            assert got == wanted or str(got) == str(wanted), (
                f"{where}: {path} = {got!r}, not {wanted!r}"
            )
    return documents


@pytest.mark.parametrize("name", sorted(p.stem for p in WALKTHROUGHS.glob("*.yaml")))
def test_walkthrough(name: str, suite: Any, tmp_path: Path) -> None:
    run_walkthrough(name, Path(suite.manifest.path), tmp_path)
