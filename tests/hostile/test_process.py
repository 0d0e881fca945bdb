"""The same refusals at the process level: `ape run admin|deploy ...` in a subprocess with no
stdin (Ape's script runner can alter exit codes, and a prompt would hang): exit code != 0 and
ONE `Error:` line on stderr, no traceback. A few runs only: each starts its own chain."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from subprocess import CompletedProcess

from .harness import assert_one_line_error, count

Runner = Callable[..., CompletedProcess[str]]


def test_refusals_in_a_real_process(ape_run: Runner, tmp_path: Path) -> None:
    stale = tmp_path / "local.json"  # a manifest of an earlier local chain: nothing deployed
    stale.write_text(
        json.dumps(
            {
                "version": 1, "network": "local", "chain_id": 1337,
                "genesis_hash": "0x" + "ab" * 32,
                "contracts": {"TitleRegistry": {"address": "0x" + "12" * 20}},
            }
        )
    )  # fmt: skip
    cases = [
        # missing manifest
        (("admin", "fund", "status", "1", "--manifest", str(tmp_path / "absent.json")),
         ("no deployment manifest",)),
        # manifest of another chain (same id, other genesis)
        (("admin", "titles", "show", "X-1", "--manifest", str(stale)), ("genesis",)),
        # locked keystore, no passphrase, no terminal: one line, no prompt, no hang
        (("deploy", "--account", "civic-deployer", "--manifest", str(tmp_path / "m.json")),
         ("civic-deployer", "locked")),
        # a wrong type: click's usage error names the parameter
        (("admin", "tax", "status", "X-1", "--year", str(2**256)), ("--year",)),
    ]  # fmt: skip
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda case: ape_run(*case[0], timeout=240), cases))
    for (args, names), result in zip(cases, results, strict=True):
        count("process-level")
        shown = f"ape run {' '.join(args)}\n{result.stdout}\n{result.stderr}"
        assert result.returncode != 0, shown
        assert "Traceback" not in result.stdout + result.stderr, shown
        assert_one_line_error(result.stderr, names, args)
    assert not (tmp_path / "m.json").exists()
