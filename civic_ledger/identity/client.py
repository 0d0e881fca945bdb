"""Client helpers for the IdentityRegistry: register (one or a batch), rotate controller keys
(the controller proposes, the new wallet accepts), recover them, change status, and read
identities back as plain values. What to register (and the CSV batch format) is
`civic_ledger.identity.registrations`.

Transactions take the signing account as `sender` and the `transact` keyword
(`civic_ledger.core.transact`) and return the receipt.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils import is_address, to_checksum_address

# The `name as name` imports re-export what moved out of this module: the CLI, the demo and
# the tests import it from here.
from civic_ledger.core.encoding import HEX32, ZERO32, ZERO_ADDRESS, to_bytes32
from civic_ledger.core.structs import from_struct
from civic_ledger.core.transact import Transact, direct, events
from civic_ledger.identity.enums import Kind as Kind
from civic_ledger.identity.enums import Status as Status
from civic_ledger.identity.registrations import CSV_COLUMNS as CSV_COLUMNS
from civic_ledger.identity.registrations import SALTS_COLUMNS as SALTS_COLUMNS
from civic_ledger.identity.registrations import Registration as Registration
from civic_ledger.identity.registrations import write_salts_csv as write_salts_csv

MAX_BATCH_SIZE = 100  # IdentityRegistry.MAX_BATCH_SIZE


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------


def resolve_subject(identity: Any, text: str) -> bytes:
    """A subject (a person's, an enterprise's, an agency's: an owner, a buyer, a lienholder)
    given as its commitment, 0x + 64 hex digits, or as its controller's address; ValueError
    for an address that controls no identity, and for anything else."""
    value = text.strip()
    if HEX32.match(value):
        return bytes.fromhex(value[2:])
    if is_address(value) and len(value.removeprefix("0x")) == 40:
        subject = bytes(identity.subjectOf(to_checksum_address(value)))
        if subject == ZERO32:
            raise ValueError(f"{value} controls no identity")
        return subject
    raise ValueError(f"{text!r} is neither a subject (0x + 64 hex digits) nor a controller address")


def encode_reason(text: str) -> bytes:
    """A status-change reason code: 0x + 64 hex digits as is, or short ASCII text (<= 32 bytes,
    e.g. "FRAUD-INQUIRY-2026-17") right-padded with zeros."""
    value = text.strip()
    if value.startswith("0x") and len(value) == 66:
        return to_bytes32(value)
    raw = value.encode("utf-8")
    if not raw:
        raise ValueError("a reason code is required")
    if len(raw) > 32:
        raise ValueError(
            f"reason code {text!r} is {len(raw)} bytes; use at most 32 (or a 0x case-file hash)"
        )
    return raw.ljust(32, b"\x00")


def decode_reason(code: bytes) -> str:
    """Inverse of `encode_reason` for display: ASCII text when printable, else hex."""
    stripped = bytes(code).rstrip(b"\x00")
    try:
        text = stripped.decode("ascii")
        if text.isprintable():
            return text
    except UnicodeDecodeError:
        pass
    return "0x" + bytes(code).hex()


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# ---------------------------------------------------------------------------------------------
# Transactions (each returns the receipt; `transact` lets the CLI print actor/tx/gas)
# ---------------------------------------------------------------------------------------------


def register(
    identity: Any, registration: Registration, *, sender: Any, transact: Transact = direct
) -> Any:
    label = f"registered {registration.kind.name.lower()} 0x{registration.subject.hex()}"
    return transact(label, identity.register, *registration.as_tuple(), sender=sender)


def unregistered(identity: Any, registrations: Sequence[Registration]) -> list[Registration]:
    """The registrations whose subject is not on chain yet (so a re-run resumes a batch)."""
    return [r for r in registrations if int(identity.statusOf(r.subject)) == Status.NONE]


def register_batch(
    identity: Any, registrations: Sequence[Registration], *, sender: Any,
    batch_size: int = MAX_BATCH_SIZE, transact: Transact = direct,
) -> list[Any]:  # fmt: skip
    """Register in transactions of `batch_size` (<= 100); returns the receipts."""
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValueError(f"batch size must be between 1 and {MAX_BATCH_SIZE}")
    receipts = []
    total = len(registrations)
    for index, chunk in enumerate(chunks(registrations, batch_size)):
        label = f"registered {len(chunk)} identities ({index * batch_size + len(chunk)}/{total})"
        batch = [r.as_tuple() for r in chunk]
        receipts.append(transact(label, identity.registerBatch, batch, sender=sender))
    return receipts


def propose_controller(
    identity: Any, new_controller: str, *, sender: Any, transact: Transact = direct
) -> Any:
    """The controller `sender` proposes `new_controller`; nothing moves until it accepts."""
    label = f"control proposed to {new_controller} (it must accept)"
    return transact(label, identity.proposeController, new_controller, sender=sender)


def accept_controller(
    identity: Any, subject: bytes, *, sender: Any, transact: Transact = direct
) -> Any:
    """The proposed wallet `sender` accepts control of `subject`."""
    label = f"control of 0x{subject.hex()} accepted by {sender.address}"
    return transact(label, identity.acceptController, subject, sender=sender)


def cancel_controller_proposal(identity: Any, *, sender: Any, transact: Transact = direct) -> Any:
    """The controller `sender` withdraws its pending proposal."""
    label = "controller proposal withdrawn"
    return transact(label, identity.cancelControllerProposal, sender=sender)


def initiate_recovery(
    identity: Any, subject: bytes, new_controller: str, *, sender: Any,
    transact: Transact = direct,
) -> Any:  # fmt: skip
    """The identity office starts moving `subject` to `new_controller` (after the delay)."""
    return _recovery(
        identity.initiateRecovery, subject, f"to {new_controller} started", sender, transact,
        new_controller,
    )  # fmt: skip


def complete_recovery(
    identity: Any, subject: bytes, *, sender: Any, transact: Transact = direct
) -> Any:
    """Anyone completes a recovery whose delay has passed."""
    return _recovery(identity.completeRecovery, subject, "completed", sender, transact)


def cancel_recovery(
    identity: Any, subject: bytes, *, sender: Any, transact: Transact = direct
) -> Any:
    """The controller (while Active), a guardian or the identity office cancels a recovery."""
    return _recovery(identity.cancelRecovery, subject, "cancelled", sender, transact)


def _recovery(
    method: Any, subject: bytes, outcome: str, sender: Any, transact: Transact, *args: Any
) -> Any:
    """Send `method(subject, *args)`, described as "recovery of 0x<subject> <outcome>"."""
    label = f"recovery of 0x{subject.hex()} {outcome}"
    return transact(label, method, subject, *args, sender=sender)


def set_status(
    identity: Any, subject: bytes, status: Status, reason: bytes, *, sender: Any,
    transact: Transact = direct,
) -> Any:  # fmt: skip
    label = f"0x{subject.hex()} is now {status.name.lower()} ({decode_reason(reason)})"
    return transact(label, identity.setStatus, subject, int(status), reason, sender=sender)


# ---------------------------------------------------------------------------------------------
# Reads
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdentityView:
    subject: bytes
    controller: str
    kind: Kind
    status: Status
    registered_at: int
    recovery_to: str | None
    recovery_ready_at: int
    proposed_controller: str | None = None

    @property
    def registered(self) -> bool:
        return self.status != Status.NONE


def show(identity: Any, subject: bytes) -> IdentityView:
    stored = identity.identityOf(subject)
    pending = identity.pendingRecovery(subject)
    proposed = identity.proposedControllerOf(subject)
    ready_at = int(pending.readyAt)
    return from_struct(
        IdentityView, stored, subject=subject, recovery_to=pending.newController if ready_at else None,
        recovery_ready_at=ready_at, proposed_controller=None if proposed == ZERO_ADDRESS else proposed,
    )  # fmt: skip


def registered_subjects(receipts: Iterable[Any], identity: Any) -> list[bytes]:
    """Subjects registered by the given receipts (from IdentityRegistered events)."""
    return [
        bytes(e.subject)
        for receipt in receipts
        for e in events(identity, "IdentityRegistered", receipt)
    ]
