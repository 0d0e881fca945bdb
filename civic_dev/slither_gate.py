"""Slither gate: static analysis of every contract, offline, against a reviewed triage file.

Runs Slither once per contract file (sequentially, JSON output), fingerprints each finding so
the fingerprint survives line shifts, and compares the findings with ``config/slither-triage.yaml``:

* a High or Medium finding fails the gate unless its triage entry says ``false_positive: true``
  and matches it by exact fingerprint (a reviewed analysis, not a blanket waiver);
  ``--strict`` fails on every High/Medium finding regardless of triage;
* a Low / Informational / Optimization finding fails the gate unless a triage entry accepts it;
* a triage entry that no longer matches any finding is reported as stale (a warning).

Usage::

    python -m civic_dev.slither_gate                  # the CI gate (exit 0 pass, 1 fail, 2 error)
    python -m civic_dev.slither_gate --show-all       # also list every finding
    python -m civic_dev.slither_gate --dump-untriaged # YAML skeletons for new findings

Exit codes: 0 gate passed, 1 gate failed, 2 Slither or the triage file could not be used.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from civic_ledger.core.exceptions import CivicError
from civic_ledger.core.introspect import remappings
from civic_ledger.core.paths import CONFIG_DIR, ROOT

TRIAGE_FILE = CONFIG_DIR / "slither-triage.yaml"
SOLC = ROOT / ".solcx" / "solc-v0.8.28"
SOLC_REMAPS = " ".join(remappings())
SOLC_ARGS = "--optimize --evm-version london"
# Production contracts and their interfaces; test mocks (contracts/mocks/) are not deployed.
CONTRACT_DIRS = ("access", "common", "identity", "property", "fund", "data")

IMPACTS = ("High", "Medium", "Low", "Informational", "Optimization")
BLOCKING = frozenset({"High", "Medium"})

# "(contracts/fund/GrantFund.sol#221-251)" and similar source references.
_SOURCE_REF = re.compile(r"\s*\(\s*[^()\s]+\.sol#[0-9]+(?:-[0-9]+)?\s*\)")
_WS = re.compile(r"\s+")


class GateError(CivicError):
    """Slither or the triage file could not be used (exit code 2)."""


# --------------------------------------------------------------------------- findings


@dataclass(frozen=True)
class Finding:
    check: str
    impact: str
    confidence: str
    contract: str  # contract name, or the source file for file-level findings (pragma)
    function: str  # full signature, or "" when the finding is not inside a function
    description: str  # normalised: no paths, no line numbers, single-spaced
    location: str = ""  # file#lines of the first element, for display only

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.check, self.contract, self.function, self.description)

    @property
    def where(self) -> str:
        return f"{self.contract}.{self.function}" if self.function else self.contract


def normalise_description(text: str) -> str:
    """Drops source references (path#lines) and collapses whitespace."""
    return _WS.sub(" ", _SOURCE_REF.sub("", text)).strip()


def fingerprint(check: str, contract: str, function: str, description: str) -> str:
    key = "|".join((check, contract, function, normalise_description(description)))
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _function_of(element: dict[str, Any]) -> tuple[str, str]:
    """(contract, function signature) that a Slither result element belongs to."""
    kind = element.get("type")
    fields = element.get("type_specific_fields") or {}
    parent = fields.get("parent") or {}
    if kind == "function":
        return parent.get("name", ""), fields.get("signature", element.get("name", ""))
    if kind == "contract":
        return element.get("name", ""), ""
    if kind in ("node", "variable", "event", "enum", "struct", "custom_error", "modifier"):
        if parent.get("type") == "contract":
            return parent.get("name", ""), ""
        if parent.get("type") in ("function", "modifier"):
            contract, function = _function_of(parent)
            return contract, function
    # pragma, directive or an unknown element type: file-level
    return element.get("source_mapping", {}).get("filename_relative", ""), ""


def finding_from_result(result: dict[str, Any]) -> Finding:
    elements = result.get("elements") or []
    contract, function, location = "", "", ""
    if elements:
        contract, function = _function_of(elements[0])
        sm = elements[0].get("source_mapping") or {}
        lines = sm.get("lines") or []
        location = sm.get("filename_relative", "")
        if lines:
            location += f"#{lines[0]}" + (f"-{lines[-1]}" if len(lines) > 1 else "")
    return Finding(
        check=result["check"],
        impact=result["impact"],
        confidence=result.get("confidence", ""),
        contract=contract,
        function=function,
        description=normalise_description(result.get("description", "")),
        location=location,
    )


def findings_from_json(outputs: Iterable[dict[str, Any]]) -> list[Finding]:
    """Findings of several Slither JSON outputs, deduplicated by fingerprint (a finding in a
    shared interface is reported once per file that imports it)."""
    seen: dict[str, Finding] = {}
    for output in outputs:
        for result in (output.get("results") or {}).get("detectors") or []:
            finding = finding_from_result(result)
            seen.setdefault(finding.fingerprint, finding)
    return sorted(seen.values(), key=_sort_key)


def _sort_key(f: Finding) -> tuple[int, str, str, str, str]:
    rank = IMPACTS.index(f.impact) if f.impact in IMPACTS else len(IMPACTS)
    return (rank, f.check, f.contract, f.function, f.description)


# --------------------------------------------------------------------------- triage


@dataclass(frozen=True)
class TriageEntry:
    reason: str
    impact: str
    check: str = ""
    contract: str = ""
    function: str = ""
    fingerprint: str = ""
    false_positive: bool = False
    index: int = 0  # position in the file, for messages

    def matches(self, finding: Finding) -> bool:
        if finding.impact != self.impact:
            return False  # a severity change needs a fresh review
        if self.fingerprint:
            return finding.fingerprint == self.fingerprint
        if finding.impact in BLOCKING:
            return False  # High/Medium are only accepted by exact fingerprint
        return (finding.check, finding.contract, finding.function) == (
            self.check,
            self.contract,
            self.function,
        )

    def describe(self) -> str:
        target = self.fingerprint or f"{self.check} {self.contract}.{self.function}".rstrip(".")
        return f"entry #{self.index} [{self.impact}] {self.check or '?'} {target}"


def parse_triage(data: Any, source: str = "triage file") -> list[TriageEntry]:
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("findings", []), list):
        raise GateError(f"{source}: expected a mapping with a 'findings' list")
    entries: list[TriageEntry] = []
    for i, raw in enumerate(data.get("findings") or [], start=1):
        if not isinstance(raw, dict):
            raise GateError(f"{source}: entry #{i} is not a mapping")
        reason = str(raw.get("reason") or "").strip()
        impact = str(raw.get("impact") or "")
        if not reason:
            raise GateError(f"{source}: entry #{i} has no 'reason'")
        if impact not in IMPACTS:
            raise GateError(f"{source}: entry #{i}: impact must be one of {', '.join(IMPACTS)}")
        entry = TriageEntry(
            reason=reason,
            impact=impact,
            check=str(raw.get("check") or ""),
            contract=str(raw.get("contract") or ""),
            function=str(raw.get("function") or ""),
            fingerprint=str(raw.get("fingerprint") or ""),
            false_positive=bool(raw.get("false_positive", False)),
            index=i,
        )
        if not entry.fingerprint and not (entry.check and entry.contract):
            raise GateError(f"{source}: entry #{i} needs 'fingerprint' or 'check' + 'contract'")
        if impact in BLOCKING and not (entry.fingerprint and entry.false_positive):
            raise GateError(
                f"{source}: entry #{i} is {impact}: only an analysed false positive may be "
                "accepted ('fingerprint' and 'false_positive: true')"
            )
        entries.append(entry)
    return entries


def load_triage(path: Path = TRIAGE_FILE) -> list[TriageEntry]:
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise GateError(f"{path}: {exc}") from exc
    return parse_triage(data, str(path))


@dataclass
class GateResult:
    findings: list[Finding]
    triaged: dict[str, TriageEntry] = field(default_factory=dict)  # fingerprint -> entry
    untriaged: list[Finding] = field(default_factory=list)
    stale: list[TriageEntry] = field(default_factory=list)
    strict: bool = False

    @property
    def failing(self) -> list[Finding]:
        if self.strict:
            return [f for f in self.findings if f.impact in BLOCKING or f in self.untriaged]
        return list(self.untriaged)

    @property
    def passed(self) -> bool:
        return not self.failing


def evaluate(
    findings: Sequence[Finding],
    entries: Sequence[TriageEntry],
    *,
    strict: bool = False,
    check_stale: bool = True,
) -> GateResult:
    result = GateResult(findings=list(findings), strict=strict)
    used: set[int] = set()
    for finding in findings:
        entry = next((e for e in entries if e.matches(finding)), None)
        if entry is None:
            result.untriaged.append(finding)
        else:
            result.triaged[finding.fingerprint] = entry
            used.add(entry.index)
    if check_stale:
        result.stale = [e for e in entries if e.index not in used]
    return result


def triage_skeleton(findings: Iterable[Finding]) -> str:
    """YAML entries to paste into the triage file (each still needs a real reason)."""
    items = []
    for f in findings:
        item: dict[str, Any] = {
            "fingerprint": f.fingerprint,
            "check": f.check,
            "impact": f.impact,
            "contract": f.contract,
            "function": f.function,
            "reason": "TODO: why this is acceptable",
        }
        if f.impact in BLOCKING:
            item["false_positive"] = True
        items.append(item)
    return yaml.safe_dump(items, sort_keys=False, width=100)


# --------------------------------------------------------------------------- slither


def default_contract_files(root: Path = ROOT) -> list[Path]:
    files: list[Path] = []
    for sub in CONTRACT_DIRS:
        files.extend(sorted((root / "contracts" / sub).glob("*.sol")))
    return files


def _slither_executable() -> str:
    local = Path(sys.executable).parent / "slither"
    if local.exists():
        return str(local)
    found = shutil.which("slither")
    if not found:
        raise GateError(
            "slither is not installed (pip install slither-analyzer; see pyproject dev)"
        )
    return found


def slither_command(path: Path) -> list[str]:
    # --solc is the offline solc-js shim: never let crytic-compile reach solc-select.
    return [
        _slither_executable(),
        str(path),
        "--solc",
        str(SOLC),
        "--solc-remaps",
        SOLC_REMAPS,
        "--solc-args",
        SOLC_ARGS,
        "--filter-paths",
        "node_modules",
        "--json",
        "-",
    ]


def run_slither(path: Path, *, timeout: float = 600.0, nice: int = 10) -> dict[str, Any]:
    """Slither's JSON output for one file. Slither exits 255 when it reports findings, so
    success is read from the JSON, not the exit code."""
    if not SOLC.exists():
        raise GateError(f"{SOLC} is missing: run bin/setup")
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"

    def lower_priority() -> None:  # other jobs share the CI machine
        if nice:
            os.nice(nice)

    try:
        proc = subprocess.run(
            slither_command(path),
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=lower_priority,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise GateError(f"slither timed out after {timeout:.0f} s on {path}") from exc
    try:
        output = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise GateError(
            f"slither produced no JSON for {path} (exit {proc.returncode}):\n{tail}"
        ) from exc
    if not output.get("success"):
        raise GateError(f"slither failed on {path}: {output.get('error')}")
    return output


# --------------------------------------------------------------------------- report


_STYLE = {"High": "bold red", "Medium": "red", "Low": "yellow", "Informational": "cyan"}


def render(result: GateResult, console: Console, *, show_all: bool = False) -> None:
    summary = Table(title="Slither findings by severity")
    summary.add_column("Severity")
    summary.add_column("Before triage", justify="right")
    summary.add_column("Triaged", justify="right")
    summary.add_column("After triage", justify="right")
    for impact in IMPACTS:
        found = [f for f in result.findings if f.impact == impact]
        failing = [f for f in result.failing if f.impact == impact]
        summary.add_row(
            f"[{_STYLE.get(impact, '')}]{impact}[/]" if impact in _STYLE else impact,
            str(len(found)),
            str(len(found) - len(failing)),
            f"[bold red]{len(failing)}[/]" if failing else "0",
        )
    summary.add_row(
        "[bold]Total[/]",
        str(len(result.findings)),
        str(len(result.findings) - len(result.failing)),
        str(len(result.failing)),
    )
    console.print(summary)

    shown = result.findings if show_all else result.failing
    if shown:
        table = Table(title="All findings" if show_all else "Failing findings", show_lines=True)
        for column in ("Severity", "Check", "Where", "Fingerprint", "Status / description"):
            table.add_column(column, overflow="fold")
        failing = set(result.failing)
        for f in shown:
            entry = result.triaged.get(f.fingerprint)
            if f in failing:
                status = "[bold red]UNTRIAGED[/]" if entry is None else "[bold red]STRICT[/]"
                text = f"{status} {f.description[:300]}"
            else:
                assert entry is not None
                text = f"[green]accepted[/] {entry.reason}"
            table.add_row(f.impact, f.check, f"{f.where}\n{f.location}", f.fingerprint, text)
        console.print(table)
    for entry in result.stale:
        console.print(
            f"[yellow]warning:[/] stale triage {entry.describe()} matches no finding: remove it"
        )
    if result.passed:
        console.print("[green]Slither gate passed.[/]")
    else:
        console.print(
            f"[bold red]Slither gate failed:[/] {len(result.failing)} finding(s) need a fix or a "
            f"triage entry in {TRIAGE_FILE.relative_to(ROOT)} "
            "(--dump-untriaged prints skeletons)."
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m civic_dev.slither_gate", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "files", nargs="*", type=Path, help="contract files (default: every contract)"
    )
    parser.add_argument("--triage", type=Path, default=TRIAGE_FILE, help="triage file")
    parser.add_argument(
        "--strict", action="store_true", help="fail on any High/Medium, triaged or not"
    )
    parser.add_argument("--show-all", action="store_true", help="list triaged findings too")
    parser.add_argument(
        "--dump-untriaged", action="store_true", help="print YAML skeletons for untriaged findings"
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per file")
    args = parser.parse_args(argv)
    # CI logs are not terminals: give the tables room instead of rich's 80-column default.
    console = Console(width=None if sys.stdout.isatty() else 160)

    files = [p.resolve() for p in args.files] or default_contract_files()
    started = time.monotonic()
    try:
        entries = load_triage(args.triage)
        outputs = []
        for path in files:
            t0 = time.monotonic()
            outputs.append(run_slither(path, timeout=args.timeout))
            console.print(
                f"[dim]slither {path.relative_to(ROOT)} ({time.monotonic() - t0:.1f} s)[/]"
            )
    except GateError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        return 2
    findings = findings_from_json(outputs)
    # Stale entries can only be judged when every contract was analysed.
    result = evaluate(findings, entries, strict=args.strict, check_stale=not args.files)
    render(result, console, show_all=args.show_all)
    console.print(f"[dim]{len(files)} file(s) analysed in {time.monotonic() - started:.1f} s[/]")
    if args.dump_untriaged and result.untriaged:
        print(triage_skeleton(result.untriaged))
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
