"""Grant-fund test world: constants mirroring the contract's enums, eligible enterprises
(identity + licence record + standing policy), rounds created and funded, and shortcuts for
committee decisions. Imported by the tests and by `conftest.py` (which builds it)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import ape
from eth_utils import keccak

from civic_ledger.core.revert import decode_revert, project_registry, raw_revert_data

PERSON = 1
ENTERPRISE = 2
ACTIVE, SUSPENDED = 1, 2  # IIdentityRegistry.Status
DAY = 24 * 60 * 60
MONTH = 30 * DAY
YEAR = 365 * DAY

RENT, RESEARCH, PROJECT = 0, 1, 2  # IGrantFund.RoundKind
# IGrantFund.ApplicationStatus
APP_PENDING, APP_APPROVED, APP_REJECTED, APP_AWARDED, APP_EXPIRED = 1, 2, 3, 4, 5
# IGrantFund.AwardStatus
AWARD_ACTIVE, AWARD_COMPLETED, AWARD_CLAWED_BACK = 1, 2, 3
# IGrantFund.MilestoneStatus
MS_PENDING, MS_SUBMITTED, MS_REJECTED, MS_APPROVED, MS_PAID = 1, 2, 3, 4, 5

POLICY_ID = 501
MARKET_RECORD_ISSUER = 21
TAX_RECORD_ISSUER = 20
UNIT = 10**18


@contextmanager
def reverts(error: str, **inputs: Any) -> Iterator[Any]:
    """Expect a revert with custom error `error` (by name) and, optionally, these arguments.

    Stricter than `ape.reverts(contract.Error)`, which lets any non-custom revert pass."""
    with ape.reverts() as info:
        yield info
    actual, arguments = decoded_error(info.value)
    assert actual == error, f"expected {error}, got {actual}: {info.value}"
    for name, expected in inputs.items():
        assert name in arguments, f"{error} has no argument {name!r} ({arguments})"
        value = arguments[name]
        if isinstance(expected, bytes):
            value = bytes(value)
        elif isinstance(expected, str) and isinstance(value, str):
            value, expected = value.lower(), expected.lower()
        assert value == expected, f"{error}.{name} = {value!r}, expected {expected!r}"


def decoded_error(exc: Any) -> tuple[str, dict[str, Any]]:
    """(error name, arguments) of a revert. Ape sometimes leaves a custom error undecoded (a
    plain ContractLogicError carrying the raw bytes): decode those against the project's ABIs."""
    if isinstance(getattr(exc, "inputs", None), dict):
        return type(exc).__name__, exc.inputs
    data = raw_revert_data(exc)
    if data is not None and (decoded := decode_revert(data, project_registry())):
        definition, arguments = decoded
        return definition.name, arguments
    return type(exc).__name__, {}


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


@dataclass
class FundWorld:
    """The deployed contracts, the agencies and eligibility levers one test needs."""

    gf: Any
    token: Any
    identities: Any
    records: Any
    manager: Any
    chain: Any
    agency: dict[str, Any]
    enterprises: dict[str, Enterprise]
    person: Enterprise
    members: list[Enterprise]  # the committee members' person identities (member_1..3)
    licence_schema: int
    penalty_schema: int
    outsider: Any = None
    penalties: dict[str, bytes] = field(default_factory=dict)

    @property
    def fund_manager(self) -> Any:
        return self.agency["fund_office"]

    @property
    def treasurer(self) -> Any:
        return self.agency["finance_bureau"]

    @property
    def treasury(self) -> Any:
        return self.agency["treasury"]

    @property
    def guardian(self) -> Any:
        return self.agency["emergency_guardian"]

    @property
    def committee(self) -> list[Any]:
        return [self.agency[f"committee_member_{i}"] for i in (1, 2, 3)]

    @property
    def now(self) -> int:
        return self.chain.pending_timestamp

    def create_round(
        self,
        kind: int = PROJECT,
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
            name,
            kind,
            policy,
            budget,
            start,
            start + window,
            start + decision,
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
            h(f"lease:{who}:{round_id}"),
            monthly,
            months,
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
            (self.penalty_schema, subject, h(f"penalty:{who}"), bytes(32), 0, b"\x00" * 32),
            sender=self.agency["tax_bureau"],
        )
        record_id = self.records.liveRecordsOf(subject, self.penalty_schema)[-1]
        self.penalties[who] = record_id
        return record_id

    def make_eligible(self, who: str) -> None:
        """The tax bureau revokes the penalty again."""
        self.records.revoke(
            self.penalties.pop(who), 2, b"\x00" * 32, sender=self.agency["tax_bureau"]
        )  # 2 = remedied

    def license(self, subject: bytes, label: str) -> None:
        """The market regulator licenses `subject`: with no penalty it meets policy 501."""
        self.records.issue(
            (
                self.licence_schema,
                subject,
                h(f"licence:{label}"),
                (1).to_bytes(32, "big"),
                0,
                b"\x00" * 32,
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
