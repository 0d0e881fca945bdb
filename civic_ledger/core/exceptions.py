"""The one exception root of civic-ledger.

Every failure the project raises on purpose is a `CivicError`: the CLI turns it into one
`Error:` line and exit code 1 without a traceback. Subclasses name the layer that refused, so a
caller can catch exactly what it can handle.

Every exception class of the product is declared here, grouped by layer, so the whole hierarchy
reads on one page (a test fails on a product module that declares its own); the development
tooling (`civic_dev`) keeps its errors next to each tool.
"""

from __future__ import annotations

from typing import Any


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


# -------------------------------------------------------------------------- input files


class ConfigFileError(InputError):
    """A configuration file that cannot be used; the message names the file and line."""


class RolesFileError(ConfigFileError):
    """A roles file that cannot be used; the message names the file and line."""


class CatalogueError(ConfigFileError):
    """The catalogue file cannot be used; the message names the file and line."""


class RegistrationsFileError(InputError):
    """A registrations CSV that cannot be used; the message names the file and line."""


class CsvFormatError(InputError):
    """The file as a whole cannot be read (missing header columns, not a CSV)."""


class RecordsFileError(InputError):
    """A records CSV that cannot be read at all; the message names the file and line."""


class TaxRollFileError(InputError):
    """A tax roll that cannot be read at all; the message names the file and line."""


class ReportError(InputError):
    """A report that cannot be made as asked (unknown event, empty range)."""


# ----------------------------------------------------------------------------- accounts


class AccountError(CivicError):
    """An account cannot sign: it is locked with no way to ask for its passphrase, or the
    passphrase does not unlock it."""


class InvalidAccount(AccountError, InputError):
    """The alias names no account that can be loaded (empty, a pasted key, an unknown alias,
    a test account that does not exist)."""


# ------------------------------------------------------------------------------ domains


class PayloadError(CivicError, ValueError):
    """A verification payload that is malformed, or not for this chain and registry."""


class ReceiptError(CivicError):
    """A receipt cannot be recorded, anchored or verified (the message says why)."""


class SafeRefused(CivicError):
    """A Safe proposal or signature that cannot be used; nothing was sent."""


class VerificationFailed(CivicError, AssertionError):
    """A step's on-chain effect could not be read back."""


# ------------------------------------------------------------------- gateway and portal


class GatewayError(InputError):
    """The gateway cannot do what was asked (bad database URL, another chain's index)."""


class ForkDuringRead(RpcError):
    """A log's block hash is not the hash of that block a moment later: the chain reorganised
    while the indexer read it (the step stops; the next one finds the fork)."""


class NotIndexed(CivicError):
    """The gateway has not indexed a block yet."""


class DocumentError(CivicError):
    """A document does not match its hash, or cannot be stored."""


class AuthError(CivicError):
    """A challenge, signature or token is refused (the message says why, in one line)."""


class ApiError(CivicError):
    """A refusal the API answers with `status` and {"error": message}."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class PortalError(CivicError):
    """A refusal the portal shows as a page: `status`, and `message` (catalogue text, filled
    with `params` after translation)."""

    def __init__(self, status: int, message: str, **params: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.params = params
