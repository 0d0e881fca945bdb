"""The office's local audit log: every action a command signs (or was refused before signing)
is appended as one JSON line — time, network, office (the signing account), command, its
arguments, transaction hash, outcome — to a file OUTSIDE the checkout, so it survives a fresh
clone and is never committed:

    $CIVIC_AUDIT_LOG, else $XDG_DATA_HOME/civic-ledger/audit.jsonl
    (default ~/.local/share/civic-ledger/audit.jsonl)

Lines are fsynced; the file is created 0600 in a 0700 folder (it names the office's wallets).
`ape run admin report` exports the chain's own events for auditors; this log is what the office
itself did, including what the chain refused.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from civic_ledger.core.times import iso_utc

SECRET_HINTS = ("passphrase", "password", "secret", "private", "salt")


def audit_log_path() -> Path:
    explicit = os.environ.get("CIVIC_AUDIT_LOG")
    if explicit:
        return Path(explicit).expanduser()
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "civic-ledger" / "audit.jsonl"


def _printable(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list | tuple):
        return [_printable(v) for v in value]
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def _command() -> tuple[str, dict[str, Any]]:
    import click

    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return "", {}
    params = {
        k: ("(not logged)" if any(h in k.lower() for h in SECRET_HINTS) else _printable(v))
        for k, v in ctx.params.items()
    }
    return ctx.command_path, params


def record(
    *, action: str, account: Any, tx_hash: str | None, outcome: str, detail: str = ""
) -> None:
    """Append one signed (or refused) action. Never fails the command: an unwritable log is
    reported on stderr instead."""
    from ape import networks

    command, params = _command()
    try:
        network = networks.provider.network.name
        chain_id = networks.provider.chain_id
    except Exception:
        network, chain_id = "?", None
    entry = {
        "time": iso_utc(),
        "network": network,
        "chain_id": chain_id,
        "office": getattr(account, "alias", None) or "",
        "account": str(getattr(account, "address", account)),
        "command": command,
        "arguments": params,
        "action": action,
        "tx_hash": tx_hash,
        "outcome": outcome,
    }
    if detail:
        entry["detail"] = detail
    path = audit_log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        import sys

        print(f"warning: audit log {path} not written ({exc.strerror})", file=sys.stderr)
