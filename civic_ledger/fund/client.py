"""Client helpers for the GrantFund: parse round/milestone arguments and run every step of a
round (create, fund, apply, vote, award, milestones, rent, clawback, close); a round's money is
read by `civic_ledger.fund.views` (re-exported here).

Every function takes the deployed contract instance(s) and, for transactions, the Ape account
that signs as `sender` and the `transact` keyword (`civic_ledger.core.transact`: default a
plain call; the CLI passes its printing `send`). Results are read from the events of the
receipt (ids, decisions, amounts), so they are right even when other agencies transact at the
same time. The click commands in `civic_ledger.cli.fund` are a thin layer on top.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

# The `name as name` imports re-export what moved out of this module: the CLI, the demo and
# the tests import it from here.
from civic_ledger.core.encoding import to_bytes32
from civic_ledger.core.times import UNIT_SECONDS, end_of_day, iso_timestamp
from civic_ledger.core.transact import Transact, direct, first_event, required_event
from civic_ledger.fund.views import ApplicationStatus as ApplicationStatus
from civic_ledger.fund.views import AwardLine as AwardLine
from civic_ledger.fund.views import AwardStatus as AwardStatus
from civic_ledger.fund.views import MilestoneStatus as MilestoneStatus
from civic_ledger.fund.views import RentDue as RentDue
from civic_ledger.fund.views import RoundKind as RoundKind
from civic_ledger.fund.views import RoundStatus as RoundStatus
from civic_ledger.fund.views import milestones as milestones
from civic_ledger.fund.views import rent_due as rent_due
from civic_ledger.fund.views import status as status
from civic_ledger.fund.views import stopped as stopped
from civic_ledger.property.titles import hex32, to_units

KIND_NAMES = {"rent": RoundKind.RENT, "research": RoundKind.RESEARCH, "project": RoundKind.PROJECT}

_DURATION = re.compile(r"^\+?(\d+)([smhdw])$")


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
        return now + int(match.group(1)) * UNIT_SECONDS[match.group(2)]
    try:
        return end_of_day(dt.date.fromisoformat(value))
    except ValueError:
        pass
    try:
        return iso_timestamp(value)
    except ValueError:
        raise ValueError(
            f"time {value!r}: expected unix seconds, a duration like 14d/12h, or an ISO date"
        ) from None


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


# ------------------------------------------------------------------ transactions


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _decision(fund: Any, receipt: Any, voted: str, approved: str, rejected: str) -> Decision:
    """The tallies of the `voted` event, and which decision (if any) the vote completed."""
    tally = required_event(fund, voted, receipt)
    decided = None
    if first_event(fund, approved, receipt):
        decided = "approved"
    elif first_event(fund, rejected, receipt):
        decided = "rejected"
    return Decision(int(tally.approvals), int(tally.rejections), decided)


def create_round(
    fund: Any, name: str, kind: RoundKind, policy_id: int, budget: int, opens_at: int,
    closes_at: int, decision_deadline: int, *, sender: Any, transact: Transact = direct,
) -> int:  # fmt: skip
    """Opens a round (fund manager). Returns its id."""
    receipt = transact(
        f"created {kind.name.lower()} round {name!r}", fund.createRound,
        (name, int(kind), policy_id, budget, opens_at, closes_at, decision_deadline),
        sender=sender,
    )  # fmt: skip
    return int(required_event(fund, "RoundCreated", receipt).roundId)


def fund_round(
    fund: Any, token: Any, round_id: int, amount: int, *, sender: Any, transact: Transact = direct
) -> Any:
    """Deposits `amount` into a round, approving the fund first when the allowance is short.
    Returns the deposit's receipt."""
    if token.allowance(sender, fund) < amount:
        transact("approved the fund to pull the deposit", token.approve, fund, amount,
                 sender=sender)  # fmt: skip
    return transact(f"funded round {round_id}", fund.fundRound, round_id, amount, sender=sender)


def apply_for_grant(
    fund: Any, round_id: int, proposal_hash: bytes, milestones: Sequence[tuple[int, int]],
    *, sender: Any, transact: Transact = direct,
) -> int:  # fmt: skip
    """A research/project application with (amount, due) milestones. Returns the application id."""
    receipt = transact(
        f"applied to round {round_id} ({_plural(len(milestones), 'milestone')})",
        fund.applyForGrant,
        round_id, to_bytes32(proposal_hash), [a for a, _ in milestones],
        [d for _, d in milestones], sender=sender,
    )  # fmt: skip
    return int(required_event(fund, "ApplicationSubmitted", receipt).appId)


def apply_for_rent(
    fund: Any, round_id: int, proposal_hash: bytes, lease_hash: bytes, monthly: int,
    months: int, *, sender: Any, transact: Transact = direct,
) -> int:  # fmt: skip
    """A rent-subsidy application for the lease document `lease_hash` (a lease backs one live
    rent application or active award at a time, across rounds). Returns the application id."""
    receipt = transact(
        f"applied to round {round_id} ({_plural(months, 'month')})", fund.applyForRent,
        round_id, to_bytes32(proposal_hash), (to_bytes32(lease_hash), monthly, months),
        sender=sender,
    )  # fmt: skip
    return int(required_event(fund, "ApplicationSubmitted", receipt).appId)


def vote(
    fund: Any, app_id: int, support: bool, *, sender: Any, transact: Transact = direct
) -> Decision:
    """A committee member's vote on an application."""
    receipt = transact(
        f"voted {'yes' if support else 'no'} on application {app_id}", fund.voteOnApplication,
        app_id, support, sender=sender,
    )  # fmt: skip
    return _decision(
        fund, receipt, "ApplicationVoted", "ApplicationApproved", "ApplicationRejected"
    )


def award(fund: Any, app_id: int, *, sender: Any, transact: Transact = direct) -> int:
    """Turns an approved application into an award. Returns the amount reserved."""
    receipt = transact(f"awarded application {app_id}", fund.award, app_id, sender=sender)
    return int(required_event(fund, "AwardMade", receipt).amount)


def submit_milestone(
    fund: Any, app_id: int, index: int, evidence_hash: bytes, *, sender: Any,
    transact: Transact = direct,
) -> int:  # fmt: skip
    """The grantee submits evidence for a milestone. Returns the submission number."""
    receipt = transact(
        f"submitted milestone {index} of award {app_id}", fund.submitMilestone,
        app_id, index, to_bytes32(evidence_hash), sender=sender,
    )  # fmt: skip
    return int(required_event(fund, "MilestoneSubmitted", receipt).submission)


def vote_milestone(
    fund: Any, app_id: int, index: int, approve: bool, *, sender: Any, transact: Transact = direct
) -> Decision:
    """A committee member's vote on a milestone submission (the M-th yes pays it if it can)."""
    receipt = transact(
        f"voted {'yes' if approve else 'no'} on milestone {index} of award {app_id}",
        fund.voteOnMilestone, app_id, index, approve, sender=sender,
    )  # fmt: skip
    decision = _decision(fund, receipt, "MilestoneVoted", "MilestoneApproved", "MilestoneRejected")
    paid = first_event(fund, "MilestonePaid", receipt)
    return replace(decision, paid=int(paid.amount)) if paid else decision


def pay_milestone(
    fund: Any, app_id: int, index: int, *, sender: Any, transact: Transact = direct
) -> int:
    """Pays an approved milestone whose payment was deferred. Returns the amount."""
    receipt = transact(
        f"paid milestone {index} of award {app_id}", fund.payMilestone, app_id, index,
        sender=sender,
    )  # fmt: skip
    return int(required_event(fund, "MilestonePaid", receipt).amount)


def record_rent_eligibility(
    fund: Any, app_id: int, *, sender: Any, transact: Transact = direct
) -> int:
    """Checks the grantee's eligibility in for the current month of a rent award (anyone).
    Returns the 0-based month."""
    receipt = transact(
        f"recorded the grantee's eligibility for award {app_id}", fund.recordRentEligibility,
        app_id, sender=sender,
    )  # fmt: skip
    return int(required_event(fund, "RentEligibilityRecorded", receipt).month)


def _runs(events: Sequence[Any]) -> tuple[RentRun, ...]:
    return tuple(RentRun(int(e.firstMonth), int(e.monthCount), int(e.amount)) for e in events)


def pay_rent(fund: Any, app_id: int, *, sender: Any, transact: Transact = direct) -> RentSettlement:
    """Settles the rent months of an award that can be settled now (anyone may trigger it):
    checked-in months are paid, months that ended without a check-in are forfeited."""
    receipt = transact(f"settled rent of award {app_id}", fund.payRent, app_id, sender=sender)
    paid = fund.RentPaid.from_receipt(receipt)
    checked = first_event(fund, "RentEligibilityRecorded", receipt)
    return RentSettlement(
        paid=_runs(paid),
        forfeited=_runs(fund.RentPaymentSkipped.from_receipt(receipt)),
        payee=str(paid[0].payee) if paid else None,
        checked_in=int(checked.month) if checked else None,
    )


def set_conflict(
    fund: Any, member_subject: bytes, subject: bytes, conflicted: bool,
    *, sender: Any, transact: Transact = direct,
) -> Any:  # fmt: skip
    """The fund manager records (or clears) a conflict of interest in the register. Returns
    the receipt."""
    verb = "recorded" if conflicted else "cleared"
    return transact(
        f"{verb} a conflict of interest {hex32(member_subject)[:10]}… / {hex32(subject)[:10]}…",
        fund.setConflict, to_bytes32(member_subject), to_bytes32(subject), conflicted,
        sender=sender,
    )  # fmt: skip


def declare_conflict(
    fund: Any, subject: bytes, *, sender: Any, transact: Transact = direct
) -> bytes:
    """A committee member recuses itself from every matter of `subject` (it cannot undo it).
    Returns the member's own identity."""
    receipt = transact(
        f"recused itself from matters of {hex32(subject)[:10]}…", fund.declareConflict,
        to_bytes32(subject), sender=sender,
    )  # fmt: skip
    return bytes(required_event(fund, "ConflictDeclared", receipt).memberSubject)


def clawback(
    fund: Any, app_id: int, reason_hash: bytes, *, sender: Any, transact: Transact = direct
) -> Decision:
    """A committee member's vote to claw an award back (the M-th vote releases the unpaid rest)."""
    reason = to_bytes32(reason_hash)
    label = f"voted to claw back award {app_id}"
    receipt = transact(label, fund.voteClawback, app_id, reason, sender=sender)
    tally = required_event(fund, "ClawbackVoted", receipt)
    done = first_event(fund, "AwardClawedBack", receipt)
    released = int(done.released) if done else 0
    return Decision(int(tally.approvals), 0, "clawed back" if done else None, released=released)


def close_round(fund: Any, round_id: int, *, sender: Any, transact: Transact = direct) -> int:
    """Closes a round (fund manager). Returns what went back to the treasury."""
    receipt = transact(f"closed round {round_id}", fund.closeRound, round_id, sender=sender)
    returned = first_event(fund, "FundsReturned", receipt)
    return int(returned.amount) if returned else 0


def sweep(fund: Any, round_id: int, *, sender: Any, transact: Transact = direct) -> int:
    """Returns money released in a closed round since it closed. Returns the amount."""
    receipt = transact(f"swept round {round_id}", fund.sweep, round_id, sender=sender)
    return int(required_event(fund, "FundsReturned", receipt).amount)
