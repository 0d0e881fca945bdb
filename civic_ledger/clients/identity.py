"""Client helpers for the IdentityRegistry: register (one or a CSV batch), rotate and recover
controller keys, change status, and read identities back as plain values.

Official ids never leave this process except hashed with a salt (`civic_ledger.commitments`).
Batch registration writes the (official id, salt, subject) table the identity office must keep
off chain: without it nobody, the office included, can link a subject to a person again.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

from eth_utils import is_address, to_checksum_address

from civic_ledger.commitments import commitment, make_salt, normalize_official_id, parse_salt

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
MAX_BATCH_SIZE = 100  # IdentityRegistry.MAX_BATCH_SIZE


class Kind(IntEnum):
    """Mirror of IIdentityRegistry.Kind."""

    NONE = 0
    PERSON = 1
    ENTERPRISE = 2
    AGENCY = 3

    @classmethod
    def parse(cls, text: str | int) -> Kind:
        if isinstance(text, int) or str(text).isdigit():
            kind = cls(int(text))
        else:
            try:
                kind = cls[str(text).strip().upper()]
            except KeyError:
                raise ValueError(f"unknown kind {text!r}: person, enterprise or agency") from None
        if kind == cls.NONE:
            raise ValueError("kind must be person, enterprise or agency")
        return kind


class Status(IntEnum):
    """Mirror of IIdentityRegistry.Status."""

    NONE = 0
    ACTIVE = 1
    SUSPENDED = 2
    CLOSED = 3

    @classmethod
    def parse(cls, text: str | int) -> Status:
        if isinstance(text, int) or str(text).isdigit():
            status = cls(int(text))
        else:
            try:
                status = cls[str(text).strip().upper()]
            except KeyError:
                raise ValueError(f"unknown status {text!r}: active, suspended or closed") from None
        if status == cls.NONE:
            raise ValueError("status must be active, suspended or closed")
        return status


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------


def parse_bytes32(text: str) -> bytes:
    raw = text.strip().removeprefix("0x").removeprefix("0X")
    if len(raw) != 64:
        raise ValueError(f"{text!r} is not a 32-byte hex value")
    return bytes.fromhex(raw)


def resolve_subject(identity: Any, text: str) -> bytes:
    """A subject given as its bytes32 commitment or as its controller's address."""
    value = text.strip()
    if is_address(value) and len(value.removeprefix("0x")) == 40:
        subject = bytes(identity.subjectOf(to_checksum_address(value)))
        if subject == b"\x00" * 32:
            raise ValueError(f"{value} controls no identity")
        return subject
    try:
        return parse_bytes32(value)
    except ValueError:
        raise ValueError(
            f"{text!r} is neither a subject (0x + 64 hex digits) nor a controller address"
        ) from None


def encode_reason(text: str) -> bytes:
    """A status-change reason code: 0x + 64 hex digits as is, or short ASCII text (<= 32 bytes,
    e.g. "FRAUD-INQUIRY-2026-17") right-padded with zeros."""
    value = text.strip()
    if value.startswith("0x") and len(value) == 66:
        return parse_bytes32(value)
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


# ---------------------------------------------------------------------------------------------
# Registrations and the CSV batch format
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """One identity to register. `official_id` and `salt` stay off chain."""

    official_id: str
    salt: bytes
    controller: str
    kind: Kind

    @property
    def subject(self) -> bytes:
        return commitment(self.salt, self.official_id)

    def as_tuple(self) -> tuple[bytes, str, int]:
        """IdentityRegistry.Registration (subject, controller, kind)."""
        return (self.subject, self.controller, int(self.kind))

    @classmethod
    def new(
        cls, official_id: str, controller: str, kind: Kind | str, salt: bytes | str | None = None
    ) -> Registration:
        if not is_address(controller):
            raise ValueError(f"controller {controller!r} is not an address")
        return cls(
            official_id=normalize_official_id(official_id),
            salt=parse_salt(salt) if salt else make_salt(),
            controller=to_checksum_address(controller),
            kind=kind if isinstance(kind, Kind) else Kind.parse(kind),
        )


CSV_COLUMNS = ("official_id", "kind", "controller")
SALTS_COLUMNS = ("official_id", "kind", "controller", "salt", "subject")


def read_registrations_csv(path: Path) -> list[Registration]:
    """Read `official_id,kind,controller[,salt]` rows (header required). Rows without a salt
    get a fresh one. Errors name the file and line."""
    registrations: list[Registration] = []
    seen_ids: dict[str, int] = {}
    seen_controllers: dict[str, int] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
        for row in reader:
            line = reader.line_num
            try:
                registration = Registration.new(
                    row["official_id"] or "",
                    (row["controller"] or "").strip(),
                    row["kind"] or "",
                    (row.get("salt") or "").strip() or None,
                )
            except ValueError as exc:
                raise ValueError(f"{path}:{line}: {exc}") from None
            if registration.official_id in seen_ids:
                raise ValueError(
                    f"{path}:{line}: official id repeated (first on line "
                    f"{seen_ids[registration.official_id]})"
                )
            if registration.controller in seen_controllers:
                raise ValueError(
                    f"{path}:{line}: controller {registration.controller} repeated (first on "
                    f"line {seen_controllers[registration.controller]})"
                )
            seen_ids[registration.official_id] = line
            seen_controllers[registration.controller] = line
            registrations.append(registration)
    if not registrations:
        raise ValueError(f"{path}: no rows")
    return registrations


def write_salts_csv(path: Path, registrations: Iterable[Registration]) -> None:
    """Append the off-chain secret table (official id, salt, subject…) to `path`, creating it
    with owner-only permissions. Keep this file in the identity office's records system."""
    new = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        if new:
            writer.writerow(SALTS_COLUMNS)
        for r in registrations:
            writer.writerow(
                (
                    r.official_id,
                    r.kind.name.lower(),
                    r.controller,
                    "0x" + r.salt.hex(),
                    "0x" + r.subject.hex(),
                )
            )


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# ---------------------------------------------------------------------------------------------
# Transactions (each returns the receipt; `transact` lets the CLI print actor/tx/gas)
# ---------------------------------------------------------------------------------------------


def _plain(label: str, method: Any, *args: Any, sender: Any) -> Any:
    return method(*args, sender=sender)


def register(
    identity: Any, registration: Registration, *, sender: Any, transact: Any = _plain
) -> Any:
    return transact(
        f"registered {registration.kind.name.lower()} 0x{registration.subject.hex()}",
        identity.register,
        *registration.as_tuple(),
        sender=sender,
    )


def unregistered(identity: Any, registrations: Sequence[Registration]) -> list[Registration]:
    """The registrations whose subject is not on chain yet (so a re-run resumes a batch)."""
    return [r for r in registrations if int(identity.statusOf(r.subject)) == Status.NONE]


def register_batch(
    identity: Any,
    registrations: Sequence[Registration],
    *,
    sender: Any,
    batch_size: int = MAX_BATCH_SIZE,
    transact: Any = _plain,
) -> list[Any]:
    """Register in transactions of `batch_size` (<= 100); returns the receipts."""
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValueError(f"batch size must be between 1 and {MAX_BATCH_SIZE}")
    receipts = []
    total = len(registrations)
    for index, chunk in enumerate(chunks(registrations, batch_size)):
        done = index * batch_size + len(chunk)
        receipts.append(
            transact(
                f"registered {len(chunk)} identities ({done}/{total})",
                identity.registerBatch,
                [r.as_tuple() for r in chunk],
                sender=sender,
            )
        )
    return receipts


def rotate(identity: Any, new_controller: str, *, sender: Any, transact: Any = _plain) -> Any:
    return transact(
        f"control handed to {new_controller}",
        identity.rotateController,
        new_controller,
        sender=sender,
    )


def initiate_recovery(
    identity: Any, subject: bytes, new_controller: str, *, sender: Any, transact: Any = _plain
) -> Any:
    return transact(
        f"recovery of 0x{subject.hex()} to {new_controller} started",
        identity.initiateRecovery,
        subject,
        new_controller,
        sender=sender,
    )


def complete_recovery(identity: Any, subject: bytes, *, sender: Any, transact: Any = _plain) -> Any:
    return transact(
        f"recovery of 0x{subject.hex()} completed",
        identity.completeRecovery,
        subject,
        sender=sender,
    )


def cancel_recovery(identity: Any, subject: bytes, *, sender: Any, transact: Any = _plain) -> Any:
    return transact(
        f"recovery of 0x{subject.hex()} cancelled",
        identity.cancelRecovery,
        subject,
        sender=sender,
    )


def set_status(
    identity: Any,
    subject: bytes,
    status: Status,
    reason: bytes,
    *,
    sender: Any,
    transact: Any = _plain,
) -> Any:
    return transact(
        f"0x{subject.hex()} is now {status.name.lower()} ({decode_reason(reason)})",
        identity.setStatus,
        subject,
        int(status),
        reason,
        sender=sender,
    )


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

    @property
    def registered(self) -> bool:
        return self.status != Status.NONE


def show(identity: Any, subject: bytes) -> IdentityView:
    stored = identity.identityOf(subject)
    pending = identity.pendingRecovery(subject)
    ready_at = int(pending.readyAt)
    return IdentityView(
        subject=subject,
        controller=stored.controller,
        kind=Kind(int(stored.kind)),
        status=Status(int(stored.status)),
        registered_at=int(stored.registeredAt),
        recovery_to=pending.newController if ready_at else None,
        recovery_ready_at=ready_at,
    )


def registered_subjects(receipts: Iterable[Any], identity: Any) -> list[bytes]:
    """Subjects registered by the given receipts (from IdentityRegistered events)."""
    subjects: list[bytes] = []
    for receipt in receipts:
        subjects.extend(bytes(e.subject) for e in identity.IdentityRegistered.from_receipt(receipt))
    return subjects
