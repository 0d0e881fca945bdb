"""DataExchange's enumerations (IDataExchange.sol), as they travel: uint8."""

from __future__ import annotations

from enum import IntEnum


class Sharing(IntEnum):
    """IDataExchange.SharingClass."""

    OPEN = 0
    CONDITIONAL = 1
    NOT_SHAREABLE = 2


class RequestStatus(IntEnum):
    """IDataExchange.RequestStatus."""

    NONE = 0
    PENDING = 1
    GRANTED = 2
    DENIED = 3


class Basis(IntEnum):
    """IDataExchange.Basis."""

    NONE = 0
    CONSENT = 1
    EXEMPTION = 2


class ExemptionStatus(IntEnum):
    """IDataExchange.ExemptionStatus."""

    NONE = 0
    ACTIVE = 1
    DISPUTED = 2
    UPHELD = 3
    OVERTURNED = 4
