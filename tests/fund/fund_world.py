"""Grant-fund test world: eligible enterprises (identity + licence record + standing policy),
rounds created and funded, and shortcuts for committee decisions. Imported by the tests and
by `conftest.py` (which builds it). The contracts' enums are the clients' (fund.client)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_utils import keccak

from civic_ledger.core import names
from civic_ledger.core.encoding import ZERO32
from civic_ledger.core.times import DAY
from civic_ledger.fund.client import RoundKind
from civic_ledger.identity.records import RevocationReason

MONTH = 30 * DAY
YEAR = 365 * DAY

POLICY_ID = 501
UNIT = 10**18


def subject_for(label: str) -> bytes:
    """A stand-in salted commitment for a named test party."""
    return keccak(b"fund-test-salt:" + label.encode())


def h(text: str) -> bytes:
    """A content hash for a test document."""
    return keccak(text=text)


@dataclass
class Enterprise:
    name: str
    subject: bytes
    account: Any


def _contract(name: str) -> property:
    """A FundWorld attribute: the suite's contract `name`."""
    return property(lambda world: world.suite[name])


def _agency(name: str) -> property:
    """A FundWorld attribute: the account of agency `name`."""
    return property(lambda world: world.agency[name])


@dataclass
class FundWorld:
    """The deployed contracts, the agencies and eligibility levers one test needs."""

    suite: Any
    chain: Any
    agency: dict[str, Any]
    enterprises: dict[str, Enterprise]
    person: Enterprise
    members: list[Enterprise]  # the committee members' person identities (member_1..3)
    licence_schema: int
    penalty_schema: int
    outsider: Any = None
    penalties: dict[str, bytes] = field(default_factory=dict)

    gf = _contract(names.GRANT_FUND)
    token = _contract(names.TOKEN)
    identities = _contract(names.IDENTITY_REGISTRY)
    records = _contract(names.RECORD_REGISTRY)
    manager = _contract(names.MANAGER)
    fund_manager = _agency("fund_office")
    treasurer = _agency("finance_bureau")
    treasury = _agency("treasury")
    guardian = _agency("emergency_guardian")

    @property
    def committee(self) -> list[Any]:
        return [self.agency[f"committee_member_{i}"] for i in (1, 2, 3)]

    @property
    def now(self) -> int:
        return self.chain.pending_timestamp

    def create_round(
        self,
        kind: int = RoundKind.PROJECT,
        budget: int = 1_000 * UNIT,
        fund: int | None = None,
        window: int = 7 * DAY,
        decision: int = 14 * DAY,
        policy: int = POLICY_ID,
        name: str = "test round",
    ) -> int:
        """Creates a round open now; deposits `fund` (default: the whole budget)."""
        start = self.now
        self.gf.createRound(
            (name, kind, policy, budget, start, start + window, start + decision),
            sender=self.fund_manager,
        )
        round_id = self.gf.roundCount()
        amount = budget if fund is None else fund
        if amount:
            self.deposit(round_id, amount)
        return round_id

    def deposit(self, round_id: int, amount: int, funder: Any = None) -> Any:
        funder = funder or self.treasurer
        self.token.mint(funder, amount, sender=self.treasurer)
        self.token.approve(self.gf, amount, sender=funder)
        return self.gf.fundRound(round_id, amount, sender=funder)

    def apply_grant(
        self,
        round_id: int,
        who: str,
        amounts: Sequence[int] = (100 * UNIT, 200 * UNIT),
        due_in: Sequence[int] | None = None,
        proposal: str | None = None,
    ) -> int:
        due = due_in or [60 * DAY * (i + 1) for i in range(len(amounts))]
        self.gf.applyForGrant(
            round_id,
            h(proposal or f"proposal:{who}:{round_id}"),
            list(amounts),
            [self.now + d for d in due],
            sender=self.enterprises[who].account,
        )
        return self.gf.applicationCount()

    def apply_rent(self, round_id: int, who: str, monthly: int = 10 * UNIT, months: int = 6) -> int:
        self.gf.applyForRent(
            round_id,
            h(f"rent proposal:{who}:{round_id}"),
            (h(f"lease:{who}:{round_id}"), monthly, months),
            sender=self.enterprises[who].account,
        )
        return self.gf.applicationCount()

    def approve(self, app_id: int, voters: int = 2) -> None:
        for member in self.committee[:voters]:
            self.gf.voteOnApplication(app_id, True, sender=member)

    def awarded(self, app_id: int) -> int:
        """Committee approves (2 of 3) and anyone awards."""
        self.approve(app_id)
        self.gf.award(app_id, sender=self.agency["deployer"])
        return app_id

    def approve_milestone(self, app_id: int, index: int, voters: int = 2) -> list[Any]:
        return [
            self.gf.voteOnMilestone(app_id, index, True, sender=m) for m in self.committee[:voters]
        ]

    def reject_milestone(self, app_id: int, index: int) -> None:
        for member in self.committee[:2]:
            self.gf.voteOnMilestone(app_id, index, False, sender=member)

    def make_ineligible(self, who: str) -> bytes:
        """The tax bureau issues an adverse record: the enterprise stops meeting the policy."""
        subject = self.enterprises[who].subject
        self.records.issue(
            (self.penalty_schema, subject, h(f"penalty:{who}"), ZERO32, 0, ZERO32),
            sender=self.agency["tax_bureau"],
        )
        record_id = self.records.liveRecordsOf(subject, self.penalty_schema)[-1]
        self.penalties[who] = record_id
        return record_id

    def make_eligible(self, who: str) -> None:
        """The tax bureau revokes the penalty again."""
        self.records.revoke(
            self.penalties.pop(who),
            RevocationReason.REMEDIED,
            ZERO32,
            sender=self.agency["tax_bureau"],
        )

    def license(self, subject: bytes, label: str) -> None:
        """The market regulator licenses `subject`: with no penalty it meets policy 501."""
        self.records.issue(
            (
                self.licence_schema,
                subject,
                h(f"licence:{label}"),
                (1).to_bytes(32, "big"),
                0,
                ZERO32,
            ),
            sender=self.agency["market_regulator"],
        )

    def set_status(self, who: str, status: int) -> None:
        """The identity office suspends (SUSPENDED) or reinstates (ACTIVE) an enterprise."""
        self.identities.setStatus(
            self.enterprises[who].subject, status, h(f"case:{who}:{status}"),
            sender=self.agency["identity_office"],
        )  # fmt: skip

    def recover(self, subject: bytes, new_wallet: Any) -> None:
        """The identity office hands `subject` to `new_wallet` (recovery, after its delay):
        a controller change that does not depend on the controller-rotation API."""
        self.identities.initiateRecovery(subject, new_wallet, sender=self.agency["identity_office"])
        self.chain.pending_timestamp += int(self.identities.recoveryDelay())
        self.identities.completeRecovery(subject, sender=self.agency["identity_office"])

    def balance(self, account: Any) -> int:
        return self.token.balanceOf(account)

    def conserved(self) -> bool:
        gf = self.gf
        return self.token.balanceOf(gf) == (
            gf.totalDeposited() - gf.totalPaid() - gf.totalReturned()
        )
