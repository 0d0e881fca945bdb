"""Client helpers for the GrantFund: parse round/milestone arguments, run every step of a round
(create, fund, apply, vote, award, milestones, rent, clawback, close) and read a round's money.

Every function takes the deployed contract instance(s) and, for transactions, the Ape account
that signs; transactions go through `transact` (default: a plain call; the CLI passes its
printing `send`). Results are read from the events of the receipt (ids, decisions, amounts), so
they are right even when other agencies transact at the same time. The click commands in
`civic_ledger.cli.fund` are a thin layer on top.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from civic_ledger.core.encoding import to_bytes32
from civic_ledger.property.titles import Transact, direct, hex32, to_units


class RoundKind(IntEnum):
    RENT = 0
    RESEARCH = 1
    PROJECT = 2


class ApplicationStatus(IntEnum):
    NONE = 0
    PENDING = 1
    APPROVED = 2
    REJECTED = 3
    AWARDED = 4
    EXPIRED = 5


class AwardStatus(IntEnum):
    NONE = 0
    ACTIVE = 1
    COMPLETED = 2
    CLAWED_BACK = 3


class MilestoneStatus(IntEnum):
    NONE = 0
    PENDING = 1
    SUBMITTED = 2
    REJECTED = 3
    APPROVED = 4
    PAID = 5


KIND_NAMES = {"rent": RoundKind.RENT, "research": RoundKind.RESEARCH, "project": RoundKind.PROJECT}

_DURATION = re.compile(r"^\+?(\d+)([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


# ------------------------------------------------------------------ argument parsing


def parse_kind(value: str) -> RoundKind:
    try:
        return KIND_NAMES[value.strip().lower()]
    except KeyError:
        raise ValueError(f"round kind {value!r}: expected one of {', '.join(KIND_NAMES)}") from None


def parse_when(value: str, now: int) -> int:
    """A point in time: unix seconds, a duration from `now` ("14d", "12h", "+30m", "2w"), an
    ISO date (end of that day, UTC) or an ISO date-time (UTC unless it says otherwise)."""
    value = value.strip()
    if value.isdigit():
        return int(value)
    if match := _DURATION.match(value):
        return now + int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        pass
    else:
        end = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.UTC)
        return int(end.timestamp())
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"time {value!r}: expected unix seconds, a duration like 14d/12h, or an ISO date"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp())


def parse_milestone(value: str, now: int, decimals: int = 18) -> tuple[int, int]:
    """`AMOUNT@DUE` (e.g. `50000@90d`, `1250.5@2027-06-30`) -> (base units, due timestamp)."""
    amount, sep, due = value.partition("@")
    if not sep or not amount or not due:
        raise ValueError(f"milestone {value!r}: expected AMOUNT@DUE, e.g. 50000@90d")
    return to_units(amount.strip(), decimals), parse_when(due, now)


# ------------------------------------------------------------------ results


@dataclass(frozen=True)
class Decision:
    """Outcome of one committee vote: the tallies after it, and the decision it completed."""

    approvals: int
    rejections: int
    decided: str | None  # "approved", "rejected", "clawed back" or None (still open)
    paid: int = 0  # tokens paid in the same transaction (milestone approval)
    released: int = 0  # tokens released back to the round (clawback)


@dataclass(frozen=True)
class RentRun:
    """Consecutive rent months settled the same way in one `payRent` (0-based months)."""

    first_month: int
    months: int
    amount: int

    @property
    def label(self) -> str:
        """1-based, as people count months: "month 3" or "months 1-4"."""
        first, last = self.first_month + 1, self.first_month + self.months
        return f"month {first}" if first == last else f"months {first}-{last}"


@dataclass(frozen=True)
class RentSettlement:
    """What one `payRent` did: months paid (checked in), months forfeited (their windows ended
    without an eligibility check-in), and the month it checked in, if any."""

    paid: tuple[RentRun, ...]
    forfeited: tuple[RentRun, ...]
    payee: str | None
    checked_in: int | None  # 0-based month checked in by this call

    @property
    def paid_amount(self) -> int:
        return sum(run.amount for run in self.paid)

    @property
    def forfeited_amount(self) -> int:
        return sum(run.amount for run in self.forfeited)


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


# ------------------------------------------------------------------ transactions


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _event(contract: Any, name: str, receipt: Any) -> Any | None:
    events = getattr(contract, name).from_receipt(receipt)
    return events[0] if events else None


def _required_event(contract: Any, name: str, receipt: Any) -> Any:
    event = _event(contract, name, receipt)
    if event is None:
        raise RuntimeError(f"transaction {receipt.txn_hash} emitted no {name} event")
    return event


def create_round(
    fund: Any,
    sender: Any,
    name: str,
    kind: RoundKind,
    policy_id: int,
    budget: int,
    opens_at: int,
    closes_at: int,
    decision_deadline: int,
    transact: Transact = direct,
) -> int:
    """Opens a round (fund manager). Returns its id."""
    receipt = transact(
        f"created {kind.name.lower()} round {name!r}", fund.createRound,
        name, int(kind), policy_id, budget, opens_at, closes_at, decision_deadline,
        sender=sender,
    )  # fmt: skip
    return int(_required_event(fund, "RoundCreated", receipt).roundId)


def fund_round(
    fund: Any, token: Any, sender: Any, round_id: int, amount: int, transact: Transact = direct
) -> None:
    """Deposits `amount` into a round, approving the fund first when the allowance is short."""
    if token.allowance(sender, fund) < amount:
        transact("approved the fund to pull the deposit", token.approve, fund, amount,
                 sender=sender)  # fmt: skip
    transact(f"funded round {round_id}", fund.fundRound, round_id, amount, sender=sender)


def apply_for_grant(
    fund: Any,
    sender: Any,
    round_id: int,
    proposal_hash: bytes,
    milestones: Sequence[tuple[int, int]],
    transact: Transact = direct,
) -> int:
    """A research/project application with (amount, due) milestones. Returns the application id."""
    receipt = transact(
        f"applied to round {round_id} ({_plural(len(milestones), 'milestone')})",
        fund.applyForGrant,
        round_id, to_bytes32(proposal_hash), [a for a, _ in milestones],
        [d for _, d in milestones], sender=sender,
    )  # fmt: skip
    return int(_required_event(fund, "ApplicationSubmitted", receipt).appId)


def apply_for_rent(
    fund: Any,
    sender: Any,
    round_id: int,
    proposal_hash: bytes,
    lease_hash: bytes,
    monthly: int,
    months: int,
    transact: Transact = direct,
) -> int:
    """A rent-subsidy application for the lease document `lease_hash` (a lease backs one live
    rent application or active award at a time, across rounds). Returns the application id."""
    receipt = transact(
        f"applied to round {round_id} ({_plural(months, 'month')})", fund.applyForRent,
        round_id, to_bytes32(proposal_hash), to_bytes32(lease_hash), monthly, months,
        sender=sender,
    )  # fmt: skip
    return int(_required_event(fund, "ApplicationSubmitted", receipt).appId)


def vote(
    fund: Any, sender: Any, app_id: int, support: bool, transact: Transact = direct
) -> Decision:
    """A committee member's vote on an application."""
    receipt = transact(
        f"voted {'yes' if support else 'no'} on application {app_id}", fund.voteOnApplication,
        app_id, support, sender=sender,
    )  # fmt: skip
    tally = _required_event(fund, "ApplicationVoted", receipt)
    decided = None
    if _event(fund, "ApplicationApproved", receipt):
        decided = "approved"
    elif _event(fund, "ApplicationRejected", receipt):
        decided = "rejected"
    return Decision(int(tally.approvals), int(tally.rejections), decided)


def award(fund: Any, sender: Any, app_id: int, transact: Transact = direct) -> int:
    """Turns an approved application into an award. Returns the amount reserved."""
    receipt = transact(f"awarded application {app_id}", fund.award, app_id, sender=sender)
    return int(_required_event(fund, "AwardMade", receipt).amount)


def submit_milestone(
    fund: Any, sender: Any, app_id: int, index: int, evidence_hash: bytes,
    transact: Transact = direct,
) -> int:  # fmt: skip
    """The grantee submits evidence for a milestone. Returns the submission number."""
    receipt = transact(
        f"submitted milestone {index} of award {app_id}", fund.submitMilestone,
        app_id, index, to_bytes32(evidence_hash), sender=sender,
    )  # fmt: skip
    return int(_required_event(fund, "MilestoneSubmitted", receipt).submission)


def vote_milestone(
    fund: Any, sender: Any, app_id: int, index: int, approve: bool, transact: Transact = direct
) -> Decision:
    """A committee member's vote on a milestone submission (the M-th yes pays it if it can)."""
    receipt = transact(
        f"voted {'yes' if approve else 'no'} on milestone {index} of award {app_id}",
        fund.voteOnMilestone, app_id, index, approve, sender=sender,
    )  # fmt: skip
    tally = _required_event(fund, "MilestoneVoted", receipt)
    decided = None
    if _event(fund, "MilestoneApproved", receipt):
        decided = "approved"
    elif _event(fund, "MilestoneRejected", receipt):
        decided = "rejected"
    paid = _event(fund, "MilestonePaid", receipt)
    return Decision(
        int(tally.approvals), int(tally.rejections), decided, paid=int(paid.amount) if paid else 0
    )


def pay_milestone(
    fund: Any, sender: Any, app_id: int, index: int, transact: Transact = direct
) -> int:
    """Pays an approved milestone whose payment was deferred. Returns the amount."""
    receipt = transact(
        f"paid milestone {index} of award {app_id}", fund.payMilestone, app_id, index,
        sender=sender,
    )  # fmt: skip
    return int(_required_event(fund, "MilestonePaid", receipt).amount)


def record_rent_eligibility(
    fund: Any, sender: Any, app_id: int, transact: Transact = direct
) -> int:
    """Checks the grantee's eligibility in for the current month of a rent award (anyone).
    Returns the 0-based month."""
    receipt = transact(
        f"recorded the grantee's eligibility for award {app_id}", fund.recordRentEligibility,
        app_id, sender=sender,
    )  # fmt: skip
    return int(_required_event(fund, "RentEligibilityRecorded", receipt).month)


def _runs(events: Sequence[Any]) -> tuple[RentRun, ...]:
    return tuple(RentRun(int(e.firstMonth), int(e.monthCount), int(e.amount)) for e in events)


def pay_rent(fund: Any, sender: Any, app_id: int, transact: Transact = direct) -> RentSettlement:
    """Settles the rent months of an award that can be settled now (anyone may trigger it):
    checked-in months are paid, months that ended without a check-in are forfeited."""
    receipt = transact(f"settled rent of award {app_id}", fund.payRent, app_id, sender=sender)
    paid = fund.RentPaid.from_receipt(receipt)
    checked = _event(fund, "RentEligibilityRecorded", receipt)
    return RentSettlement(
        paid=_runs(paid),
        forfeited=_runs(fund.RentPaymentSkipped.from_receipt(receipt)),
        payee=str(paid[0].payee) if paid else None,
        checked_in=int(checked.month) if checked else None,
    )


def rent_due(fund: Any, app_id: int) -> RentDue:
    """What `payRent` would settle now, and the current month's check-in."""
    d = fund.rentDue(app_id)
    return RentDue(
        payable_months=int(d.payableMonths),
        payable_amount=int(d.payableAmount),
        forfeitable_months=int(d.forfeitableMonths),
        forfeitable_amount=int(d.forfeitableAmount),
        current_month=int(d.currentMonth),
        current_checked_in=bool(d.currentCheckedIn),
        eligible_now=bool(d.eligibleNow),
        waiting_months=int(d.waitingMonths),
        next_due_at=int(d.nextDueAt),
    )


def set_conflict(
    fund: Any, sender: Any, member_subject: bytes, subject: bytes, conflicted: bool,
    transact: Transact = direct,
) -> None:  # fmt: skip
    """The fund manager records (or clears) a conflict of interest in the register."""
    verb = "recorded" if conflicted else "cleared"
    transact(
        f"{verb} a conflict of interest {hex32(member_subject)[:10]}… / {hex32(subject)[:10]}…",
        fund.setConflict, to_bytes32(member_subject), to_bytes32(subject), conflicted,
        sender=sender,
    )  # fmt: skip


def declare_conflict(fund: Any, sender: Any, subject: bytes, transact: Transact = direct) -> bytes:
    """A committee member recuses itself from every matter of `subject` (it cannot undo it).
    Returns the member's own identity."""
    receipt = transact(
        f"recused itself from matters of {hex32(subject)[:10]}…", fund.declareConflict,
        to_bytes32(subject), sender=sender,
    )  # fmt: skip
    return bytes(_required_event(fund, "ConflictDeclared", receipt).memberSubject)


def clawback(
    fund: Any, sender: Any, app_id: int, reason_hash: bytes, transact: Transact = direct
) -> Decision:
    """A committee member's vote to claw an award back (the M-th vote releases the unpaid rest)."""
    receipt = transact(
        f"voted to claw back award {app_id}", fund.voteClawback, app_id, to_bytes32(reason_hash),
        sender=sender,
    )  # fmt: skip
    tally = _required_event(fund, "ClawbackVoted", receipt)
    done = _event(fund, "AwardClawedBack", receipt)
    return Decision(
        int(tally.approvals), 0, "clawed back" if done else None,
        released=int(done.released) if done else 0,
    )  # fmt: skip


def close_round(fund: Any, sender: Any, round_id: int, transact: Transact = direct) -> int:
    """Closes a round (fund manager). Returns what went back to the treasury."""
    receipt = transact(f"closed round {round_id}", fund.closeRound, round_id, sender=sender)
    returned = _event(fund, "FundsReturned", receipt)
    return int(returned.amount) if returned else 0


def sweep(fund: Any, sender: Any, round_id: int, transact: Transact = direct) -> int:
    """Returns money released in a closed round since it closed. Returns the amount."""
    receipt = transact(f"swept round {round_id}", fund.sweep, round_id, sender=sender)
    return int(_required_event(fund, "FundsReturned", receipt).amount)


# ------------------------------------------------------------------ views


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
    return RoundStatus(
        round_id=round_id,
        name=str(r.name),
        kind=RoundKind(int(r.kind)),
        policy_id=int(r.policyId),
        closed=bool(r.closed),
        opens_at=int(r.opensAt),
        closes_at=int(r.closesAt),
        decision_deadline=int(r.decisionDeadline),
        budget=int(r.budget),
        deposited=int(r.deposited),
        committed=int(r.committed),
        paid=int(r.paid),
        returned=int(r.returned),
        lines=lines,
    )


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
