"""Identities to register: the `Registration` (official id and salt stay off chain), the
registrations CSV an identity office hands to the batch import, the check of a batch against
the chain, and the off-chain table of salts the office must keep.

Official ids never leave this process except hashed with a salt (`civic_ledger.core.commitments`).
Without the salts table nobody, the office included, can link a subject to a person again.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_utils import is_address, is_checksum_address, to_checksum_address

from civic_ledger.core.commitments import commitment, make_salt, normalize_official_id, parse_salt
from civic_ledger.core.csvfile import check_header, read_csv_text
from civic_ledger.core.encoding import ZERO32
from civic_ledger.core.exceptions import InputError
from civic_ledger.identity.enums import Kind, Status


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


class RegistrationsFileError(InputError):
    """A registrations CSV that cannot be used; the message names the file and line."""


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
    reader = csv.DictReader(io.StringIO(read_csv_text(path, RegistrationsFileError), newline=""))
    try:
        reader.fieldnames = header = check_header(
            path, reader.fieldnames, CSV_COLUMNS, RegistrationsFileError,
            expected=f"{','.join(CSV_COLUMNS)}[,salt]", missing_words="missing column(s)",
        )  # fmt: skip
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
        if taken != ZERO32:
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
