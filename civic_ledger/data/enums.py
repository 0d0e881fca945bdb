"""DataExchange's enumerations (IDataExchange.sol), as they travel: uint8, their members
numbered from 0 in the Solidity declaration's order."""

from __future__ import annotations

from enum import IntEnum

#: IDataExchange.SharingClass.
Sharing = IntEnum("Sharing", "OPEN CONDITIONAL NOT_SHAREABLE", start=0, module=__name__)
#: IDataExchange.RequestStatus.
RequestStatus = IntEnum("RequestStatus", "NONE PENDING GRANTED DENIED", start=0, module=__name__)
#: IDataExchange.Basis.
Basis = IntEnum("Basis", "NONE CONSENT EXEMPTION", start=0, module=__name__)
#: IDataExchange.ExemptionStatus.
ExemptionStatus = IntEnum(
    "ExemptionStatus", "NONE ACTIVE DISPUTED UPHELD OVERTURNED", start=0, module=__name__
)
