"""Identities to register: the `Registration` (official id and salt stay off chain), the
columns of the registrations CSV an identity office hands to the batch import (read by
`civic_ledger.bulk.identities`), and the off-chain table of salts the office must keep.

Official ids never leave this process except hashed with a salt (`civic_ledger.core.commitments`).
Without the salts table nobody, the office included, can link a subject to a person again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from eth_utils import is_address, is_checksum_address, to_checksum_address

from civic_ledger.core.commitments import commitment, make_salt, normalize_official_id, parse_salt
from civic_ledger.core.csvfile import DEFAULT_ENCODING, csv_writer, read_csv_text
from civic_ledger.core.encoding import shown
from civic_ledger.core.exceptions import RegistrationsFileError
from civic_ledger.identity.enums import Kind


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
            raise ValueError(f"controller {shown(controller)} is not an address")
        digits = controller.removeprefix("0x")
        if digits not in (digits.lower(), digits.upper()) and not is_checksum_address(controller):
            raise ValueError(
                f"controller {shown(controller)} has a wrong EIP-55 checksum (mistyped?)"
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


CSV_COLUMNS = ("official_id", "kind", "controller")
SALTS_COLUMNS = ("official_id", "kind", "controller", "salt", "subject")


MAX_OFFICIAL_ID = 256  # characters; official ids are short (national id, registry number)


def write_salts_csv(
    path: Path, registrations: Iterable[Registration], *, encoding: str = DEFAULT_ENCODING
) -> None:
    """Append the off-chain secret table (official id, salt, subject…) to `path` (text in
    `encoding`), creating it with owner-only permissions. Keep this file in the identity
    office's records system."""
    new = not path.exists() or path.stat().st_size == 0
    known: set[str] = set()
    if not new:  # a re-run appends only what the file does not hold yet
        text = read_csv_text(path, RegistrationsFileError, encoding=encoding)
        known = {
            (row.get("subject") or "").lower()
            for row in csv.DictReader(io.StringIO(text, newline=""))
        }
    with csv_writer(
        path, RegistrationsFileError, encoding=encoding, append=True, private=True
    ) as writer:
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
