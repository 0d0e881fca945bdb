"""Python mirrors of the identity domain's enums (IIdentityRegistry, IRecordRegistry), with the
parsers of the ones people type."""

from __future__ import annotations

from enum import IntEnum
from typing import Self


class _Named(IntEnum):
    """An enum whose members (but NONE = 0) are given by number or by name."""

    @classmethod
    def parse(cls, text: str | int) -> Self:
        what = cls.__name__.lower()
        names = [m.name.lower() for m in cls if m]
        choices = f"{', '.join(names[:-1])} or {names[-1]}"
        if isinstance(text, int) or str(text).isdigit():
            member = cls(int(text))
        else:
            try:
                member = cls[str(text).strip().upper()]
            except KeyError:
                raise ValueError(f"unknown {what} {text!r}: {choices}") from None
        if not member:
            raise ValueError(f"{what} must be {choices}")
        return member


#: Mirrors of IIdentityRegistry.Kind and .Status (members numbered from 0 in Solidity's order).
Kind = _Named("Kind", "NONE PERSON ENTERPRISE AGENCY", start=0, module=__name__)
Status = _Named("Status", "NONE ACTIVE SUSPENDED CLOSED", start=0, module=__name__)

#: Mirror of RecordRegistry.DisputeStatus.
DisputeStatus = IntEnum("DisputeStatus", "NONE OPEN UPHELD OVERTURNED WITHDRAWN", start=0)


class RevocationReason(IntEnum):
    """The revocation reason codes of RecordRegistry (its NatSpec rule 3). Issuers use
    ISSUED_IN_ERROR, REMEDIED and OTHER (OTHER needs the reason document's hash); the registry
    itself uses SUPERSEDED (hash = the replacing record's id) and OVERTURNED (hash = the
    arbiter's ruling)."""

    ISSUED_IN_ERROR = 1
    REMEDIED = 2
    SUPERSEDED = 3
    OVERTURNED = 4
    OTHER = 5

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", "-")

    @classmethod
    def parse(cls, text: str | int) -> RevocationReason:
        """A code from its number or name ("error", "remedied", "paid", "other")."""
        value = str(text).strip().lower().replace("_", "-")
        aliases = {
            "error": cls.ISSUED_IN_ERROR,
            "issued-in-error": cls.ISSUED_IN_ERROR,
            "remedied": cls.REMEDIED,
            "paid": cls.REMEDIED,
            "other": cls.OTHER,
        }
        if value in aliases:
            return aliases[value]
        if value.isdigit() and int(value) in ISSUER_REASONS:
            return cls(int(value))
        raise ValueError(
            f"{text!r} is not a revocation reason an issuer may give: error (1), "
            "remedied/paid (2) or other (5)"
        )


ISSUER_REASONS = {1, 2, 5}


#: Mirror of IRecordRegistry.CertificateStatus (what `verifyCertificate` answers).
CertificateStatus = IntEnum(
    "CertificateStatus", "UNKNOWN VALID REVOKED EXPIRED DISPUTED", start=0, module=__name__
)
