"""Client helpers for the IdentityRegistry: register (one or a CSV batch), rotate controller
keys (the controller proposes, the new wallet accepts), recover them, change status, and read
identities back as plain values.

Official ids never leave this process except hashed with a salt (`civic_ledger.core.commitments`).
Batch registration writes the (official id, salt, subject) table the identity office must keep
off chain: without it nobody, the office included, can link a subject to a person again.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any

from eth_utils import is_address, is_checksum_address, to_checksum_address

from civic_ledger.core.commitments import commitment, make_salt, normalize_official_id, parse_salt
from civic_ledger.core.csvfile import read_csv_text

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
    line: int = field(default=0, compare=False)  # CSV line it came from (0: not from a file)

    @property
    def subject(self) -> bytes:
        return commitment(self.salt, self.official_id)

    def as_tuple(self) -> tuple[bytes, str, int]:
        """IdentityRegistry.Registration (subject, controller, kind)."""
        return (self.subject, self.controller, int(self.kind))

    @classmethod
    def new(
        cls,
        official_id: str,
        controller: str,
        kind: Kind | str,
        salt: bytes | str | None = None,
        line: int = 0,
    ) -> Registration:
        if not (is_address(controller) and len(controller.removeprefix("0x")) == 40):
            raise ValueError(f"controller {_shown(controller)} is not an address")
        digits = controller.removeprefix("0x")
        if digits not in (digits.lower(), digits.upper()) and not is_checksum_address(controller):
            raise ValueError(
                f"controller {_shown(controller)} has a wrong EIP-55 checksum (mistyped?)"
            )
        if int(controller, 16) == 0:
            raise ValueError("controller is the zero address")
        return cls(
            official_id=normalize_official_id(official_id),
            salt=parse_salt(salt) if salt else make_salt(),
            controller=to_checksum_address(controller),
            kind=kind if isinstance(kind, Kind) else Kind.parse(kind),
            line=line,
        )


def _shown(value: str, limit: int = 48) -> str:
    """A bad value for an error message: quoted, and cut if long."""
    return repr(value) if len(value) <= limit else repr(value[: limit - 8]) + "…"


CSV_COLUMNS = ("official_id", "kind", "controller")
SALTS_COLUMNS = ("official_id", "kind", "controller", "salt", "subject")


MAX_OFFICIAL_ID = 256  # characters; official ids are short (national id, registry number)


class RegistrationsFileError(ValueError):
    """A registrations CSV that cannot be used; the message names the file and line."""


def _decode_csv(path: Path) -> str:
    return read_csv_text(path, RegistrationsFileError)


def _parse_kind(text: str) -> Kind:
    value = text.strip()
    if not value:
        raise ValueError("kind is empty (person, enterprise or agency)")
    if value.isdigit() and value not in ("1", "2", "3"):
        raise ValueError(f"unknown kind {_shown(value)}: person, enterprise or agency")
    return Kind.parse(value)


def read_registrations_csv(path: Path) -> list[Registration]:
    """Read `official_id,kind,controller[,salt]` rows (header required). Rows without a salt
    get a fresh one. The whole file is checked before anything is returned; a defect raises
    RegistrationsFileError naming the file, the line and the field (with how many other lines
    are bad)."""
    registrations: list[Registration] = []
    problems: list[str] = []
    seen_ids: dict[str, int] = {}
    seen_controllers: dict[str, int] = {}
    reader = csv.DictReader(io.StringIO(_decode_csv(path), newline=""))
    try:
        header = [(h or "").strip() for h in reader.fieldnames or []]
        if not header:
            raise RegistrationsFileError(
                f"{path}: empty file; expected a header: {','.join(CSV_COLUMNS)}[,salt]"
            )
        missing = [c for c in CSV_COLUMNS if c not in header]
        if missing:
            hint = ""
            if len(header) == 1 and any(d in header[0] for d in ";\t|"):
                hint = " (columns must be separated by commas)"
            raise RegistrationsFileError(
                f"{path}:1: missing column(s) {', '.join(missing)}{hint}; "
                f"expected: {','.join(CSV_COLUMNS)}[,salt]"
            )
        repeated = sorted({h for h in header if h and header.count(h) > 1})
        if repeated:
            raise RegistrationsFileError(
                f"{path}:1: header repeats column(s) {', '.join(repeated)}"
            )
        reader.fieldnames = header
        for row in reader:
            line = reader.line_num
            values = [v for k, v in row.items() if k is not None and isinstance(v, str)]
            if not any(v.strip() for v in values) and not row.get(None):  # type: ignore[call-overload]
                continue  # blank line
            try:
                if row.get(None):  # type: ignore[call-overload]
                    raise ValueError(f"too many fields ({len(header)} columns in the header)")
                missing_fields = [c for c in CSV_COLUMNS if row.get(c) is None]
                if missing_fields:
                    raise ValueError(f"missing field(s) {', '.join(missing_fields)}")
                official_id = row["official_id"] or ""
                if len(official_id.strip()) > MAX_OFFICIAL_ID:
                    raise ValueError(
                        f"official_id is {len(official_id.strip())} characters "
                        f"(at most {MAX_OFFICIAL_ID})"
                    )
                kind = _parse_kind(row["kind"] or "")
                salt = (row.get("salt") or "").strip() or None
                registration = Registration.new(
                    official_id, (row["controller"] or "").strip(), kind, salt, line
                )
            except ValueError as exc:
                problems.append(f"{path}:{line}: {exc}")
                continue
            if registration.official_id in seen_ids:
                problems.append(
                    f"{path}:{line}: official id repeated (first on line "
                    f"{seen_ids[registration.official_id]})"
                )
                continue
            if registration.controller in seen_controllers:
                problems.append(
                    f"{path}:{line}: controller {registration.controller} repeated (first on "
                    f"line {seen_controllers[registration.controller]})"
                )
                continue
            seen_ids[registration.official_id] = line
            seen_controllers[registration.controller] = line
            registrations.append(registration)
    except csv.Error as exc:
        raise RegistrationsFileError(
            f"{path}:{reader.line_num}: not a readable CSV ({exc})"
        ) from None
    if problems:
        more = f" (and {len(problems) - 1} more bad line(s))" if len(problems) > 1 else ""
        raise RegistrationsFileError(problems[0] + more)
    if not registrations:
        raise RegistrationsFileError(f"{path}: no rows")
    return registrations


def check_against_chain(
    identity: Any, registrations: Sequence[Registration], source: Path | str = "the file"
) -> list[Registration]:
    """The registrations still to send, after checking every one against the chain: a row
    whose subject is registered is done (skipped, so a re-run resumes); a row whose controller
    already acts for another identity is refused (ValueError naming the line), before anything
    is sent."""
    todo: list[Registration] = []
    for r in registrations:
        if int(identity.statusOf(r.subject)) != Status.NONE:
            continue
        taken = bytes(identity.subjectOf(r.controller))
        if taken != b"\x00" * 32:
            where = f"{source}:{r.line}" if r.line else str(source)
            raise ValueError(
                f"{where}: controller {r.controller} already controls identity 0x{taken.hex()}; "
                "nothing sent (re-running an interrupted import? run it on the salts file "
                "written by the first run, so the same salts are used)"
            )
        todo.append(r)
    return todo


def write_salts_csv(path: Path, registrations: Iterable[Registration]) -> None:
    """Append the off-chain secret table (official id, salt, subject…) to `path`, creating it
    with owner-only permissions. Keep this file in the identity office's records system."""
    new = not path.exists() or path.stat().st_size == 0
    known: set[str] = set()
    if not new:  # a re-run appends only what the file does not hold yet
        with path.open(newline="", encoding="utf-8", errors="replace") as handle:
            known = {(row.get("subject") or "").lower() for row in csv.DictReader(handle)}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        if new:
            writer.writerow(SALTS_COLUMNS)
        for r in registrations:
            if "0x" + r.subject.hex() in known:
                continue
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


def propose_controller(
    identity: Any, new_controller: str, *, sender: Any, transact: Any = _plain
) -> Any:
    """The controller `sender` proposes `new_controller`; nothing moves until it accepts."""
    return transact(
        f"control proposed to {new_controller} (it must accept)",
        identity.proposeController,
        new_controller,
        sender=sender,
    )


def accept_controller(identity: Any, subject: bytes, *, sender: Any, transact: Any = _plain) -> Any:
    """The proposed wallet `sender` accepts control of `subject`."""
    return transact(
        f"control of 0x{subject.hex()} accepted by {sender.address}",
        identity.acceptController,
        subject,
        sender=sender,
    )


def cancel_controller_proposal(identity: Any, *, sender: Any, transact: Any = _plain) -> Any:
    """The controller `sender` withdraws its pending proposal."""
    return transact(
        "controller proposal withdrawn",
        identity.cancelControllerProposal,
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
    proposed_controller: str | None = None

    @property
    def registered(self) -> bool:
        return self.status != Status.NONE


def show(identity: Any, subject: bytes) -> IdentityView:
    stored = identity.identityOf(subject)
    pending = identity.pendingRecovery(subject)
    proposed = identity.proposedControllerOf(subject)
    ready_at = int(pending.readyAt)
    return IdentityView(
        subject=subject,
        controller=stored.controller,
        kind=Kind(int(stored.kind)),
        status=Status(int(stored.status)),
        registered_at=int(stored.registeredAt),
        recovery_to=pending.newController if ready_at else None,
        recovery_ready_at=ready_at,
        proposed_controller=None if proposed == ZERO_ADDRESS else proposed,
    )


def registered_subjects(receipts: Iterable[Any], identity: Any) -> list[bytes]:
    """Subjects registered by the given receipts (from IdentityRegistered events)."""
    subjects: list[bytes] = []
    for receipt in receipts:
        subjects.extend(bytes(e.subject) for e in identity.IdentityRegistered.from_receipt(receipt))
    return subjects
