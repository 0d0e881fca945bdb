"""What the GrantFund reports: its enums (mirrors of IGrantFund's, in declaration order) and a
round's money, awards, milestones and rent months as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from civic_ledger.core.structs import from_struct
from civic_ledger.property.titles import hex32

RoundKind = IntEnum("RoundKind", "RENT RESEARCH PROJECT", start=0)
ApplicationStatus = IntEnum(
    "ApplicationStatus", "NONE PENDING APPROVED REJECTED AWARDED EXPIRED", start=0
)
AwardStatus = IntEnum("AwardStatus", "NONE ACTIVE COMPLETED CLAWED_BACK", start=0)
MilestoneStatus = IntEnum(
    "MilestoneStatus", "NONE PENDING SUBMITTED REJECTED APPROVED PAID", start=0
)


@dataclass(frozen=True)
class RentDue:
    """`GrantFund.rentDue`: what `payRent` would settle now and the current month's check-in."""

    payable_months: int
    payable_amount: int
    forfeitable_months: int
    forfeitable_amount: int
    current_month: int  # 0-based; == the term's length once the term has ended
    current_checked_in: bool
    eligible_now: bool
    waiting_months: int  # checked in, unpaid while the grantee's identity is not Active
    next_due_at: int  # when the current month's window ends (0 after the term)


@dataclass(frozen=True)
class AwardLine:
    app_id: int
    subject: str
    status: str
    amount: int
    paid: int
    released: int
    progress: str  # "2/3 milestones" (paid) or "4/12 months" (settled: paid or forfeited)

    @property
    def owed(self) -> int:
        return self.amount - self.paid - self.released if self.status == "awarded" else 0


@dataclass(frozen=True)
class RoundStatus:
    round_id: int
    name: str
    kind: RoundKind
    policy_id: int
    closed: bool
    opens_at: int
    closes_at: int
    decision_deadline: int
    budget: int
    deposited: int
    committed: int
    paid: int
    returned: int
    lines: tuple[AwardLine, ...]

    @property
    def owed(self) -> int:
        return self.committed - self.paid

    @property
    def available(self) -> int:
        return self.deposited - self.committed - self.returned

    @property
    def held(self) -> int:
        return self.deposited - self.paid - self.returned


def rent_due(fund: Any, app_id: int) -> RentDue:
    """What `payRent` would settle now, and the current month's check-in."""
    return from_struct(RentDue, fund.rentDue(app_id))


def stopped(fund: Any, manager: Any) -> str | None:
    """How the fund is stopped, if it is (CityManaged's pause story): "paused" (the guardian:
    payouts, closes and sweeps wait; deposits, applications, votes, awards, clawbacks and rent
    check-ins go on), "closed" (the AccessManager's `setTargetClosed`: every action is refused),
    "paused and closed", or None when it is open."""
    paused, closed = bool(fund.paused()), bool(manager.isTargetClosed(fund))
    return " and ".join(word for word, on in (("paused", paused), ("closed", closed)) if on) or None


def _award_line(fund: Any, app_id: int) -> AwardLine:
    app = fund.getApplication(app_id)
    status = ApplicationStatus(int(fund.applicationStatus(app_id)))
    award_info = fund.getAward(app_id)
    award_status = AwardStatus(int(award_info.status))
    if award_status is AwardStatus.NONE:
        label = status.name.lower()
    elif award_status is AwardStatus.ACTIVE:
        label = "awarded"
    else:
        label = award_status.name.lower().replace("_", " ")
    if int(app.months):
        progress = f"{int(award_info.monthsSettled)}/{int(app.months)} months"
    else:
        count = int(fund.milestoneCount(app_id))
        paid = sum(
            1
            for i in range(count)
            if MilestoneStatus(int(fund.getMilestone(app_id, i).status)) is MilestoneStatus.PAID
        )
        progress = f"{paid}/{count} milestones"
    return AwardLine(
        app_id=app_id,
        subject=hex32(app.subject),
        status=label,
        amount=int(app.amount),
        paid=int(award_info.paid),
        released=int(award_info.released),
        progress=progress,
    )


def status(fund: Any, round_id: int) -> RoundStatus:
    """A round's money and every application in it."""
    r = fund.getRound(round_id)
    lines = tuple(_award_line(fund, int(app_id)) for app_id in fund.applicationsOf(round_id))
    return from_struct(RoundStatus, r, round_id=round_id, lines=lines)


def milestones(fund: Any, app_id: int) -> list[tuple[int, int, int, MilestoneStatus, str, int]]:
    """(index, amount, due, status, evidence hash, submissions) of an award's milestones."""
    out = []
    for i in range(int(fund.milestoneCount(app_id))):
        m = fund.getMilestone(app_id, i)
        out.append(
            (i, int(m.amount), int(m.dueDate), MilestoneStatus(int(m.status)),
             hex32(m.evidenceHash), int(m.submissions))
        )  # fmt: skip
    return out
