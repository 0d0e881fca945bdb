"""Readable sentences for everything a command can fail on.

Custom Solidity errors are decoded by selector against every compiled contract of the project
(so an error bubbling up from a contract other than the one called is still named), then
rendered from, in order: a template below for OpenZeppelin's most common errors, the error's own
NatSpec (`/// @notice` or `@dev` on the error in the contract), or its humanised name — followed
by its arguments, with role ids named after the city's roles.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address

from civic_ledger.access.roles import ADMIN_ROLE, BY_ID, PUBLIC_ROLE
from civic_ledger.core.encoding import ADDRESS

TEMPLATES: dict[str, str] = {
    "AccessManagedUnauthorized": "{caller} is not authorised to call this function: its agency "
    "role is not granted to that account in the city's AccessManager",
    "AccessManagerUnauthorizedAccount": "{msgsender} does not hold role {roleId}, "
    "which this action requires",
    "AccessManagedRequiredDelay": "{caller} has an execution delay of {delay}s on this function: "
    "schedule the call through the AccessManager and execute it once the delay has passed",
    "AccessManagerNotScheduled": "operation {operationId} was not scheduled (or was cancelled): "
    "a signer whose role carries an execution delay schedules the call first (`ape run admin "
    "access schedule`) and executes it after the delay (`ape run admin access execute`)",
    "AccessManagerNotReady": "operation {operationId} is scheduled but its delay has not passed",
    "AccessManagerExpired": "operation {operationId} expired: schedule it again",
    "AccessManagerLockedRole": "role {roleId} is locked and cannot be granted or changed",
    "AccessManagerUnauthorizedCall": "{caller} may not call {selector} on {target}",
    "ERC20InsufficientBalance": "{sender} holds {balance} tokens but {needed} are needed",
    "ERC20InsufficientAllowance": "{spender} may spend {allowance} tokens but {needed} are "
    "needed: approve (or sign a permit) first",
    "ERC2612ExpiredSignature": "the permit signature expired at {deadline}",
    "ERC2612InvalidSigner": "the permit was signed by {signer}, not by the owner {owner}",
    "EnforcedPause": "the contract is paused by the guardian",
    "ExpectedPause": "the contract is not paused",
    "ReentrancyGuardReentrantCall": "reentrant call refused",
    "ERC721NonexistentToken": "title {tokenId} does not exist",
    "ECDSAInvalidSignature": "the signature is not valid",
    "AccessManagedInvalidAuthority": "{authority} is not an AccessManager (no code there)",
    "AccessManagerAlreadyScheduled": "operation {operationId} is already scheduled",
    "AccessManagerBadConfirmation": "renouncing a role needs the caller's own address as "
    "confirmation",
    "AccessManagerInvalidInitialAdmin": "the AccessManager needs a non-zero initial admin",
    "AccessManagerUnauthorizedCancel": "{msgsender} may not cancel the operation {caller} "
    "scheduled on {target} ({selector}): only its scheduler, a guardian of the role or the admin",
    "AccessManagerUnauthorizedConsume": "only the target contract consumes its scheduled "
    "operations ({target})",
    "InvalidShortString": "a short string stored on chain is malformed",
    "StringTooLong": "the text is too long for a short string ({str})",
    "InvalidAccountNonce": "nonce {currentNonce} expected for {account}: the signature was "
    "already used or is out of order",
}

ROLE_ARGUMENTS = {"roleId", "role", "roleid", "requiredRole", "issuerRole"}


@dataclass(frozen=True)
class ErrorDef:
    name: str
    inputs: tuple[tuple[str, str], ...]  # (name, abi type)
    doc: str | None

    @property
    def signature(self) -> str:
        return f"{self.name}({','.join(t for _, t in self.inputs)})"


def _abi_type(param: Any) -> str:
    """Canonical ABI type of an ethpm-types ABI parameter (tuples expanded)."""
    kind = param.type
    if kind.startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in param.components or [])
        return f"({inner}){kind[5:]}"
    return kind


def _docs(contract_type: Any) -> dict[str, str]:
    docs: dict[str, str] = {}
    for source, key in ((contract_type.devdoc, "details"), (contract_type.userdoc, "notice")):
        for signature, entries in ((source or {}).get("errors") or {}).items():
            for entry in entries:
                if entry.get(key):
                    docs[signature] = entry[key]
    return docs


def build_registry(contract_types: Iterable[Any]) -> dict[bytes, ErrorDef]:
    """Error selector -> definition, from Ape/ethpm ContractTypes."""
    registry: dict[bytes, ErrorDef] = {}
    for contract_type in contract_types:
        docs = _docs(contract_type)
        for error in contract_type.errors:
            inputs = tuple((p.name or f"arg{i}", _abi_type(p)) for i, p in enumerate(error.inputs))
            definition = ErrorDef(error.name, inputs, None)
            definition = ErrorDef(error.name, inputs, docs.get(definition.signature))
            selector = keccak(text=definition.signature)[:4]
            if selector not in registry or (definition.doc and not registry[selector].doc):
                registry[selector] = definition
    return registry


@lru_cache(maxsize=1)
def project_registry() -> dict[bytes, ErrorDef]:
    """Registry of every error of the compiled project (cached)."""
    from ape import project

    return build_registry(project.contracts.values())


def decode_revert(data: bytes, registry: Mapping[bytes, ErrorDef]) -> tuple[ErrorDef, dict] | None:
    """Decode raw revert data into (error definition, named arguments), or None."""
    if len(data) < 4 or data[:4] not in registry:
        return None
    definition = registry[data[:4]]
    try:
        values = abi_decode([t for _, t in definition.inputs], data[4:])
    except Exception:  # malformed payload: not this error after all
        return None
    return definition, dict(zip((n for n, _ in definition.inputs), values, strict=True))


def humanize(name: str) -> str:
    """`IdentityUnknownSubject` -> `Identity: unknown subject`."""
    words = re.findall(r"[A-Z]+(?=[A-Z][a-z]|\d|\b)|[A-Z]?[a-z]+|\d+", name)
    if not words:
        return name
    head, *rest = words
    return f"{head}: {' '.join(w.lower() for w in rest)}" if rest else head


def format_value(name: str, value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, str) and ADDRESS.match(value):
        return to_checksum_address(value)
    if isinstance(value, int) and name in ROLE_ARGUMENTS:
        return role_label(value)
    return str(value)


def role_label(role_id: int) -> str:
    if role_id == ADMIN_ROLE:
        return "0 (ADMIN)"
    if role_id == PUBLIC_ROLE:
        return "PUBLIC"
    role = BY_ID.get(role_id)
    return f"{role_id} ({role.name})" if role else str(role_id)


def render(name: str, arguments: Mapping[str, Any], doc: str | None = None) -> str:
    values = {k: format_value(k, v) for k, v in arguments.items()}
    if name in TEMPLATES:
        try:
            return TEMPLATES[name].format(**values)
        except (KeyError, IndexError):
            pass
    text = doc.strip().rstrip(".") if doc else humanize(name)
    if values:
        text += " (" + ", ".join(f"{k}={v}" for k, v in values.items()) + ")"
    return text


# A bytes literal in a message, escapes included (a payload holding both quote characters is
# printed as b'..\'.."..': the closing quote is the first unescaped one).
_RAW_BYTES = re.compile(r"b(['\"])((?:\\.|(?!\1).)*)\1", re.S)
_HEX = re.compile(r"0x[0-9a-fA-F]{8,}")


def raw_revert_data(exc: BaseException) -> bytes | None:
    """The raw revert payload carried by an exception (attribute, bytes repr or hex), if any."""
    for attr in ("revert_data", "data"):
        value = getattr(exc, attr, None)
        if isinstance(value, bytes | bytearray) and len(value) >= 4:
            return bytes(value)
        if isinstance(value, str) and _HEX.fullmatch(value):
            return bytes.fromhex(value[2:])
    text = str(exc)
    if match := _RAW_BYTES.search(text):
        try:
            return ast.literal_eval(f"b{match.group(1)}{match.group(2)}{match.group(1)}")
        except (SyntaxError, ValueError):
            return None
    if match := _HEX.search(text):
        return bytes.fromhex(match.group(0)[2:]) if len(match.group(0)) % 2 == 0 else None
    return None


def explain(exc: BaseException, registry: Mapping[bytes, ErrorDef] | None = None) -> str:
    """One readable sentence for a failure (never a raw hex blob when the error is known)."""
    inputs = getattr(exc, "inputs", None)
    name = type(exc).__name__
    if isinstance(inputs, dict) and _is_custom_error(exc):
        doc = None
        registry = registry if registry is not None else _safe_registry()
        for definition in registry.values():
            if definition.name == name:
                doc = definition.doc
                break
        return render(name, inputs, doc)

    registry = registry if registry is not None else _safe_registry()
    data = raw_revert_data(exc)
    if data is not None and (decoded := decode_revert(data, registry)):
        definition, arguments = decoded
        return render(definition.name, arguments, definition.doc)

    message = getattr(exc, "revert_message", None) or getattr(exc, "message", None) or str(exc)
    message = str(message).strip() or name
    if name in {"ContractLogicError", "TransactionFailed"} and data is None:
        return f"the transaction reverted: {message}"
    return message


def _is_custom_error(exc: BaseException) -> bool:
    return any(cls.__name__ == "CustomError" for cls in type(exc).__mro__)


def _safe_registry() -> Mapping[bytes, ErrorDef]:
    try:
        return project_registry()
    except Exception:  # no project loaded (e.g. a unit test of this module)
        return {}
