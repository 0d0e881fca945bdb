"""Whether a person can answer a prompt: the one check behind the confirmation before signing
(`cli.output`) and the keystore passphrase prompt (`chain.accounts`)."""

from __future__ import annotations

import sys


def can_prompt() -> bool:
    """Standard input is a terminal (not a pipe, a file, closed or replaced)."""
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):  # closed or replaced stdin
        return False
