"""The one exception root of civic-ledger.

Every failure the project raises on purpose is a `CivicError`: the CLI turns it into one
`Error:` line and exit code 1 without a traceback. Subclasses name the layer that refused, so a
caller can catch exactly what it can handle.
"""

from __future__ import annotations


class CivicError(RuntimeError):
    """A refusal or failure the project reports as one sentence."""


class ManifestError(CivicError):
    """The deployment manifest does not belong to the connected chain, or is damaged."""


class ChainMismatch(ManifestError):
    """A file (manifest, journal) was written for another chain than the connected one."""


class RpcError(CivicError):
    """The node answered a JSON-RPC call with an error, or did not answer."""

    def __init__(self, method: str, message: str, code: int | None = None) -> None:
        super().__init__(f"{method}: {message}")
        self.method = method
        self.code = code


class JournalMismatch(CivicError):
    """The journal at this path belongs to another chain, contract or input."""


class StillPending(CivicError):
    """A journaled transaction may still be mined: nothing may be sent in its place yet."""


class DeployError(CivicError):
    """The deploy plan cannot proceed; the message says why and what to do."""


class InputError(CivicError, ValueError):
    """Bad input (a file, a row, an argument): the message names the problem."""
