"""A hypothesis state machine that drives the RecordRegistry (and identity statuses) with random
issuers' and subjects' actions, mirrors everything in plain Python, and after every step checks
record validity, dispute states, per-schema standing and every policy answer against the model.

Time: eth_call reads the head block's timestamp, so the model evaluates validity at `head`.
Durations and time jumps are whole days while transactions add only seconds, so no expiry ever
falls between the head and the next transaction's timestamp — predictions are exact.

Dispute stays (review finding 3): a dispute suspends an adverse record for its schema's stay
(changed per example by `set_dispute_stay`, 0 = none), the arbiter grants longer stays, and
`lapse_stay` (anyone reporting a lapse) is just one more rule that swarm testing sometimes
disables: validity, standing and every policy answer must match the model at every step
whether or not anyone reported a lapse. Revocations use the reason codes (1, 2, 5 for issuers;
0 and 3 refused; 5 needs a document hash).
The pause story (issue #12 finding 12): the guardian pauses and the admin resumes the registry
(`pause_or_resume`). While it is paused, issuance and revocation are refused
(CityContractStopped) and so are the arbiter's and the records administrator's functions
(EnforcedPause), while disputes and lapse reports go on (due process) and every view answers
as the model says; no record appears or is revoked during a pause.
Each example starts from a chain snapshot of the same world and is restored afterwards (and
checks it starts from the same state as the first: record count, block height).
Budget (tests/stateful_budget.py): 8 examples x up to 12 steps in the default suite (each read is
a full EVM call on the embedded chain; CIVIC_STATEFUL_EXAMPLES / CIVIC_STATEFUL_STEPS override);
the `slow` invariant sweep runs SWEEP_BUDGET (CI), raised by CIVIC_SWEEP_EXAMPLES / _STEPS.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import ape
import pytest
from hypothesis import event
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.stateful import initialize, invariant, precondition, rule
from reverts import reverts
from stateful_budget import (
    Budget,
    CountingMachine,
    SweepCounter,
    invariant_sweep,
    run_counted,
    stateful_budget,
)

from civic_ledger.access.roles import role_id
from civic_ledger.core.encoding import NEVER, ZERO32
from civic_ledger.identity.client import Status
from civic_ledger.identity.records import DisputeStatus, RecordRequest, issued_record_ids

from .helpers import DAY, evidence, subject_for

REASON = b"MODEL".ljust(32, b"\x00")
MAX_LIVE = 8
DEFAULT_STAY = 14 * DAY
MAX_STAY = 90 * DAY
ISSUER_CODES = {1, 2, 5}


@dataclass(frozen=True)
class SchemaModel:
    key: str
    issuer_agency: str
    revocable: bool
    adverse: bool
    validity: int  # seconds, 0 = never


SCHEMAS = (
    SchemaModel("compliance", "tax_bureau", True, False, 10 * DAY),
    SchemaModel("licence", "market_regulator", True, False, 0),
    SchemaModel("penalty", "tax_bureau", True, True, 30 * DAY),
    SchemaModel("judgment", "court", False, True, 20 * DAY),
)
SCHEMA_BY_KEY = {s.key: s for s in SCHEMAS}

# policy id -> (required schema keys, disqualifying schema keys)
POLICIES = {
    1: (("compliance",), ("penalty", "judgment")),
    2: (("compliance", "licence"), ("judgment",)),
    3: ((), ("penalty",)),
}

SUBJECTS = ("alice", "bob")
STATUS_TRANSITIONS = {
    (Status.ACTIVE, Status.SUSPENDED),
    (Status.ACTIVE, Status.CLOSED),
    (Status.SUSPENDED, Status.ACTIVE),
    (Status.SUSPENDED, Status.CLOSED),
}


@dataclass
class RecordModel:
    record_id: bytes
    subject: str
    schema: str
    expires_at: int  # 0 = never
    revoked: bool = False
    dispute: DisputeStatus = DisputeStatus.NONE
    stay_until: int = 0  # end of the running dispute stay (0 = none / reported lapsed)

    def expired(self, now: int) -> bool:
        return self.expires_at != 0 and now >= self.expires_at

    def stayed(self, now: int) -> bool:
        return now < self.stay_until

    def valid(self, now: int) -> bool:
        return not self.revoked and not self.stayed(now) and not self.expired(now)


@dataclass
class World:
    """Contracts, actors and ids built once per test (then snapshotted per example)."""

    records: Any
    identity: Any
    agency: dict[str, Any]
    subjects: dict[str, bytes]
    controllers: dict[str, Any]
    schema_ids: dict[str, int]
    outsider: Any
    nonce: list[int] = field(default_factory=lambda: [0])


def build_world(suite: Any, agency: dict[str, Any], citizens: list[Any], outsider: Any) -> World:
    identity, records = suite["IdentityRegistry"], suite["RecordRegistry"]
    subjects, controllers = {}, {}
    for name, account in zip(SUBJECTS, citizens, strict=False):
        subjects[name] = subject_for(f"model-{name}")
        controllers[name] = account
        identity.register(subjects[name], account, 1, sender=agency["identity_office"])
    issuer_roles = {
        "tax_bureau": "TAX_RECORD_ISSUER",
        "market_regulator": "MARKET_RECORD_ISSUER",
        "court": "COURT_RECORD_ISSUER",
    }
    schema_ids = {}
    for s in SCHEMAS:
        receipt = records.registerSchema(
            (
                f"model-{s.key}",
                "",
                role_id(issuer_roles[s.issuer_agency]),
                s.revocable,
                s.adverse,
                s.validity,
            ),
            sender=agency["data_bureau"],
        )
        schema_ids[s.key] = int(records.SchemaRegistered.from_receipt(receipt)[0].schemaId)
        assert int(records.getSchema(schema_ids[s.key]).disputeStay) == DEFAULT_STAY
    for policy_id, (required, disqualifying) in POLICIES.items():
        records.setPolicy(
            policy_id,
            f"model-{policy_id}",
            [schema_ids[k] for k in required],
            [schema_ids[k] for k in disqualifying],
            sender=agency["data_bureau"],
        )
    return World(records, identity, agency, subjects, controllers, schema_ids, outsider)


class RegistryMachine(CountingMachine):
    world: World  # set by the test before running
    outcomes: Counter[str] = Counter()  # rule -> outcome tallies across examples

    def __init__(self) -> None:
        super().__init__()
        self.snapshot = ape.chain.snapshot()
        self.status = dict.fromkeys(SUBJECTS, Status.ACTIVE)
        self.model: list[RecordModel] = []
        self.live: dict[tuple[str, str], list[RecordModel]] = {}
        self.touched: list[RecordModel] = []
        self.stays = {s.key: DEFAULT_STAY for s in SCHEMAS}  # schema -> dispute stay
        self.paused = False
        self.start_count = int(self.world.records.recordCount())
        self.count_example()

    def start_state(self) -> tuple[int, int]:
        return ape.chain.blocks.height, int(self.records.recordCount())

    def teardown(self) -> None:
        try:
            self._full_check()
        finally:
            ape.chain.restore(self.snapshot)

    # -- helpers -------------------------------------------------------------------------------

    @property
    def records(self) -> Any:
        return self.world.records

    @staticmethod
    def head() -> int:
        return ape.chain.blocks.head.timestamp

    def tx_time(self) -> int:
        return self.head() + 1

    def expect(self, label: str, error: str | None, send: Any) -> Any:
        if currently_in_test_context():  # also driven directly by the regression tests
            event(f"{label} -> {error or 'ok'}")
        self.outcomes[f"{label} -> {error or 'ok'}"] += 1
        if error is None:
            return send()
        with reverts(error):
            send()
        return None

    def pick(self, data: st.DataObject, prefer: Any = None) -> RecordModel | None:
        """A model record; when `prefer` is given, usually one satisfying it (so the success
        paths of dispute/resolve are reached), sometimes any (for the refusal paths)."""
        if not self.model:
            return None
        preferred = [r for r in self.model if prefer(r)] if prefer else []
        if preferred and data.draw(st.integers(0, 3), label="focus") > 0:
            return data.draw(st.sampled_from(preferred), label="record")
        return data.draw(st.sampled_from(self.model), label="record")

    # -- initial state -------------------------------------------------------------------------

    @initialize(key=st.sampled_from(["penalty", "judgment"]))
    def seed_adverse_records(self, key: str) -> None:
        """Each example starts with one adverse record per subject (something to dispute)."""
        for subject in SUBJECTS:
            self.issue(subject, key, 0, False, None)

    # -- rules ---------------------------------------------------------------------------------

    @rule(
        subject=st.sampled_from(SUBJECTS),
        key=st.sampled_from([s.key for s in SCHEMAS]),
        explicit_days=st.sampled_from([0, 0, 2, 5]),
        supersede=st.booleans(),
        data=st.data(),
    )
    def issue(self, subject: str, key: str, explicit_days: int, supersede: bool, data) -> None:
        schema = SCHEMA_BY_KEY[key]
        live = self.live.setdefault((subject, key), [])
        target = None
        if supersede:
            candidates = [r for r in self.model if (r.subject, r.schema) == (subject, key)]
            if candidates:
                target = data.draw(st.sampled_from(candidates), label="supersedes")
        expires = self.head() + explicit_days * DAY if explicit_days else 0

        now = self.tx_time()
        after_supersede = [r for r in live if r is not target]
        pruned = after_supersede
        if len(after_supersede) >= MAX_LIVE:
            pruned = [r for r in after_supersede if not r.expired(now)]
        error = None
        if self.paused:
            error = "CityContractStopped"
        elif self.status[subject] != Status.ACTIVE:
            error = "RecordSubjectNotActive"
        elif target is not None and target.revoked:
            error = "RecordAlreadyRevoked"
        elif target is not None and not schema.revocable:
            error = "RecordNotRevocable"
        elif target is not None and target.dispute == DisputeStatus.OPEN:
            error = "RecordUnderDispute"
        elif len(pruned) >= MAX_LIVE:
            error = "RecordTooManyLive"

        request = RecordRequest(
            schema_id=self.world.schema_ids[key],
            subject=self.world.subjects[subject],
            evidence_hash=evidence(f"model-{len(self.model)}"),
            expires_at=expires,
            supersedes=target.record_id if target else ZERO32,
        )
        sender = self.world.agency[schema.issuer_agency]
        receipt = self.expect(
            "issue", error, lambda: self.records.issue(request.as_tuple(), sender=sender)
        )
        if receipt is None:
            return
        [event] = self.records.RecordIssued.from_receipt(receipt)
        block_time = ape.chain.blocks.head.timestamp
        expected_expiry = expires or (block_time + schema.validity if schema.validity else 0)
        assert event.expiresAt == expected_expiry
        record = RecordModel(
            issued_record_ids(self.records, receipt)[0], subject, key, int(event.expiresAt)
        )
        if target is not None:
            target.revoked = True
            self.touched.append(target)
        self.live[(subject, key)] = [*pruned, record]
        self.model.append(record)
        self.touched.append(record)

    @rule(
        data=st.data(),
        rightful=st.sampled_from([True, True, True, False]),
        code=st.sampled_from([1, 2, 5, 5, 3, 0]),
        with_hash=st.sampled_from([True, True, False]),
    )
    def revoke(self, data, rightful: bool, code: int, with_hash: bool) -> None:
        record = self.pick(data, prefer=lambda r: not r.revoked)
        if record is not None:
            self.revoke_record(record, rightful, code, with_hash)

    def revoke_record(
        self, record: RecordModel, rightful: bool = True, code: int = 2, with_hash: bool = True
    ) -> None:
        self.touched.append(record)
        schema = SCHEMA_BY_KEY[record.schema]
        wrong = "market_regulator" if schema.issuer_agency != "market_regulator" else "court"
        sender = self.world.agency[schema.issuer_agency if rightful else wrong]
        reason_hash = evidence(f"reason-{code}") if with_hash else ZERO32
        error = None
        if self.paused:
            error = "CityContractStopped"
        elif code not in ISSUER_CODES:
            error = "RecordInvalidReasonCode"
        elif code == 5 and not with_hash:
            error = "RecordMissingEvidence"
        elif not rightful:
            error = "RecordUnauthorizedIssuer"
        elif not schema.revocable:
            error = "RecordNotRevocable"
        elif record.revoked:
            error = "RecordAlreadyRevoked"
        receipt = self.expect(
            "revoke",
            error,
            lambda: self.records.revoke(record.record_id, code, reason_hash, sender=sender),
        )
        if receipt is None:
            return
        [revoked] = self.records.RecordRevoked.from_receipt(receipt)
        assert (revoked.reasonCode, bytes(revoked.reasonHash)) == (code, reason_hash)
        record.revoked = True
        record.stay_until = 0
        if record.dispute == DisputeStatus.OPEN:
            record.dispute = DisputeStatus.WITHDRAWN
        self._drop_live(record)

    def _drop_live(self, record: RecordModel) -> None:
        """A revoked record leaves the live set - unless a full set already pruned it (expired
        records are dropped when a new one needs the room, but stay revocable)."""
        live = self.live.get((record.subject, record.schema), [])
        if record in live:
            live.remove(record)

    @rule(
        data=st.data(),
        by_controller=st.sampled_from([True, True, True, False]),
        then=st.sampled_from(["leave open", "uphold", "overturn"]),
    )
    def dispute(self, data, by_controller: bool, then: str) -> None:
        """Dispute a record; a successful dispute is sometimes decided in the same step (swarm
        testing may disable the separate `resolve` rule for a whole example)."""
        record = self.pick(
            data,
            prefer=lambda r: (
                SCHEMA_BY_KEY[r.schema].adverse
                and not r.revoked
                and r.dispute == DisputeStatus.NONE
            ),
        )
        if record is None:
            return
        self.touched.append(record)
        schema = SCHEMA_BY_KEY[record.schema]
        other = next(s for s in SUBJECTS if s != record.subject)
        sender = self.world.controllers[record.subject if by_controller else other]
        error = None
        if not schema.adverse:
            error = "RecordNotAdverse"
        elif record.revoked:
            error = "RecordAlreadyRevoked"
        elif record.expired(self.tx_time()):
            error = "RecordExpired"
        elif record.dispute != DisputeStatus.NONE:
            error = "RecordAlreadyDisputed"
        elif not by_controller:
            error = "RecordNotSubjectController"
        receipt = self.expect(
            "dispute",
            error,
            lambda: self.records.dispute(record.record_id, evidence("why"), sender=sender),
        )
        if receipt is None:
            return
        record.dispute = DisputeStatus.OPEN
        stay = self.stays[record.schema]
        record.stay_until = ape.chain.blocks.head.timestamp + stay if stay else 0
        [disputed] = self.records.RecordDisputed.from_receipt(receipt)
        assert disputed.stayUntil == record.stay_until
        if then != "leave open":
            self._resolve(record, then == "uphold")

    @precondition(lambda self: any(r.dispute == DisputeStatus.OPEN for r in self.model))
    @rule(data=st.data(), upheld=st.booleans())
    def resolve(self, data, upheld: bool) -> None:
        """Decide a dispute left open earlier (sometimes try a record without one)."""
        record = self.pick(data, prefer=lambda r: r.dispute == DisputeStatus.OPEN)
        if record is not None:
            self.touched.append(record)
            self._resolve(record, upheld)

    def _resolve(self, record: RecordModel, upheld: bool) -> None:
        error = None if record.dispute == DisputeStatus.OPEN else "RecordNoOpenDispute"
        if self.paused:
            error = "EnforcedPause"
        arbiter = self.world.agency["arbitration_office"]
        receipt = self.expect(
            "resolve",
            error,
            lambda: self.records.resolveDispute(record.record_id, upheld, ZERO32, sender=arbiter),
        )
        if receipt is None:
            return
        record.stay_until = 0
        if upheld:
            record.dispute = DisputeStatus.UPHELD
        else:
            record.dispute = DisputeStatus.OVERTURNED
            record.revoked = True
            self._drop_live(record)

    @precondition(lambda self: any(r.dispute == DisputeStatus.OPEN for r in self.model))
    @rule(data=st.data(), days=st.sampled_from([1, 20, 60, 100]))
    def grant_stay(self, data, days: int) -> None:
        """The arbiter grants a (longer) stay; sometimes on a record without an open dispute,
        a stay not longer than the running one, or beyond 90 days (refused)."""
        record = self.pick(data, prefer=lambda r: r.dispute == DisputeStatus.OPEN)
        if record is None:
            return
        self.touched.append(record)
        until = self.head() + days * DAY
        tx_time = self.tx_time()
        error = None
        if self.paused:
            error = "EnforcedPause"
        elif record.dispute != DisputeStatus.OPEN:
            error = "RecordNoOpenDispute"
        elif until <= tx_time or until <= record.stay_until or until > tx_time + MAX_STAY:
            error = "RecordInvalidStay"
        arbiter = self.world.agency["arbitration_office"]
        receipt = self.expect(
            "grant_stay",
            error,
            lambda: self.records.grantStay(
                record.record_id, until, evidence("order"), sender=arbiter
            ),
        )
        if receipt is not None:
            record.stay_until = until

    @precondition(lambda self: any(r.stay_until for r in self.model))
    @rule(data=st.data(), wait=st.sampled_from([True, True, False]))
    def lapse_stay(self, data, wait: bool) -> None:
        """Anyone reports a lapsed stay (refused while it runs or when there is none). With
        `wait`, first mine to the end of a running stay and check everything there, before
        the report."""
        running = [r for r in self.model if r.stay_until > self.head()]
        if wait and running:
            record = data.draw(st.sampled_from(running), label="stayed")
            ape.chain.mine(timestamp=record.stay_until)
            self.chain_matches_model()  # counts again at its stay's last second, unreported
            self.touched.append(record)
        else:
            record = self.pick(
                data, prefer=lambda r: r.stay_until and r.stay_until <= self.tx_time()
            )
        if record is None:
            return
        self.touched.append(record)
        error = None
        if record.stay_until == 0 or self.tx_time() < record.stay_until:
            error = "RecordStayNotLapsed"
        receipt = self.expect(
            "lapse_stay",
            error,
            lambda: self.records.lapseStay(record.record_id, sender=self.world.outsider),
        )
        if receipt is not None:
            [lapsed] = self.records.DisputeStayLapsed.from_receipt(receipt)
            assert lapsed.stayUntil == record.stay_until
            record.stay_until = 0

    @rule(
        key=st.sampled_from(["penalty", "judgment"]),
        days=st.sampled_from([0, 1, 14, 30, 91]),
    )
    def set_dispute_stay(self, key: str, days: int) -> None:
        """The records administrator changes a schema's stay (for later disputes)."""
        error = "RecordInvalidStay" if days * DAY > MAX_STAY else None
        if self.paused:
            error = "EnforcedPause"
        receipt = self.expect(
            "set_dispute_stay",
            error,
            lambda: self.records.setDisputeStay(
                self.world.schema_ids[key], days * DAY, sender=self.world.agency["data_bureau"]
            ),
        )
        if receipt is not None:
            self.stays[key] = days * DAY

    @rule(
        subject=st.sampled_from(SUBJECTS),
        status=st.sampled_from(
            [Status.ACTIVE, Status.SUSPENDED, Status.ACTIVE, Status.SUSPENDED, Status.CLOSED]
        ),
    )
    def set_status(self, subject: str, status: int) -> None:
        current = self.status[subject]
        error = (
            None if (current, status) in STATUS_TRANSITIONS else ("IdentityInvalidStatusTransition")
        )
        office = self.world.agency["identity_office"]
        receipt = self.expect(
            "set_status",
            error,
            lambda: self.world.identity.setStatus(
                self.world.subjects[subject], status, REASON, sender=office
            ),
        )
        if receipt is not None:
            self.status[subject] = status

    @precondition(lambda self: any(r.stay_until > self.head() for r in self.model))
    @rule(data=st.data())
    def wait_for_a_stay_to_end(self, data) -> None:
        """Mine exactly to the end of a running stay: at that second the record counts again
        (the invariants check it before anyone can report the lapse)."""
        running = [r for r in self.model if r.stay_until > self.head()]
        record = data.draw(st.sampled_from(running), label="stayed")
        self.outcomes["wait_for_a_stay_to_end"] += 1
        ape.chain.mine(timestamp=record.stay_until)

    @rule()
    def pause_or_resume(self) -> None:
        """The guardian pauses the registry; the admin resumes it."""
        if self.paused:
            self.expect(
                "unpause", None, lambda: self.records.unpause(sender=self.world.agency["deployer"])
            )
        else:
            self.expect(
                "pause",
                None,
                lambda: self.records.pause(sender=self.world.agency["emergency_guardian"]),
            )
        self.paused = not self.paused

    @rule(days=st.sampled_from([1, 2, 5, 11, 15]))
    def advance_time(self, days: int) -> None:
        self.outcomes[f"advance_time {days}d"] += 1
        ape.chain.mine(timestamp=self.head() + days * DAY)

    # -- invariants ----------------------------------------------------------------------------
    # After every step: validity of every record, every policy answer for every subject, and the
    # stored state / standing / live set of whatever the step touched. At teardown: everything.

    @invariant()
    def pause_matches_model(self) -> None:
        """Paused exactly when the model says; while paused, nothing was issued (the record
        count is the model's)."""
        assert self.records.paused() == self.paused
        assert self.records.isOpen() == (not self.paused)
        assert int(self.records.recordCount()) - self.start_count == len(self.model)

    @invariant()
    def chain_matches_model(self) -> None:
        now = self.head()
        for record in self.model:
            assert self.records.isValid(record.record_id) == record.valid(now), (record, now)
        has = self._standing(now)
        for subject in SUBJECTS:
            s = self.world.subjects[subject]
            for policy_id, (required, disqualifying) in POLICIES.items():
                expected = (
                    self.status[subject] == Status.ACTIVE
                    and all(has[(subject, k)] for k in required)
                    and not any(has[(subject, k)] for k in disqualifying)
                )
                assert self.records.meetsPolicy(s, policy_id) == expected, (subject, policy_id)
        for record in self.touched:
            self._check_record(record)
        for pair in {(r.subject, r.schema) for r in self.touched}:
            self._check_pair(pair, now, has)
        self.touched.clear()

    def _standing(self, now: int) -> dict[tuple[str, str], bool]:
        return {
            (subject, key): any(
                r.valid(now) for r in self.model if (r.subject, r.schema) == (subject, key)
            )
            for subject in SUBJECTS
            for key in SCHEMA_BY_KEY
        }

    def _check_record(self, record: RecordModel) -> None:
        on_chain = self.records.getRecord(record.record_id)
        assert bool(on_chain.revokedAt) == record.revoked, record
        assert DisputeStatus(int(on_chain.dispute)) == record.dispute, record
        assert int(on_chain.stayUntil) == record.stay_until, record

    def _check_pair(self, pair: tuple[str, str], now: int, has: dict) -> None:
        subject, key = pair
        s, schema_id = self.world.subjects[subject], self.world.schema_ids[key]
        assert self.records.hasValidRecord(s, schema_id) == has[pair], pair
        on_chain = {bytes(x) for x in self.records.liveRecordsOf(s, schema_id)}
        live = self.live.get(pair, [])
        counting = [r.expires_at or NEVER for r in live if not r.stayed(now)]
        assert self.records.validUntil(s, schema_id) == max(counting, default=0), pair
        assert on_chain == {r.record_id for r in live}, pair
        assert all(not r.revoked for r in live)
        unexpired = {
            r.record_id
            for r in self.model
            if (r.subject, r.schema) == pair and not r.revoked and not r.expired(now)
        }
        assert unexpired <= on_chain, pair

    def _full_check(self) -> None:
        now = self.head()
        has = self._standing(now)
        for record in self.model:
            self._check_record(record)
        for subject in SUBJECTS:
            for key in SCHEMA_BY_KEY:
                self._check_pair((subject, key), now, has)
            assert (
                int(self.world.identity.statusOf(self.world.subjects[subject]))
                == (self.status[subject])
            )


DEFAULT_BUDGET = (8, 12)
SWEEP_BUDGET = (10, 16)  # CI: ~2 minutes on a 2-core runner (~0.7-1 s per step)


def run_registry_machine(world: World, budget: Budget) -> SweepCounter:
    RegistryMachine.world = world
    RegistryMachine.outcomes = Counter()
    counter = run_counted(RegistryMachine, "identity/RecordRegistry", budget)
    print(sorted(RegistryMachine.outcomes.items()))
    return counter


def test_registry_matches_model(
    suite: Any, agency: dict[str, Any], citizens: list[Any], outsider: Any
) -> None:
    world = build_world(suite, agency, citizens, outsider)
    run_registry_machine(world, stateful_budget(*DEFAULT_BUDGET))


@pytest.mark.slow
def test_registry_invariant_sweep(
    suite: Any,
    agency: dict[str, Any],
    citizens: list[Any],
    outsider: Any,
    capsys: Any,
    record_property: Any,
) -> None:
    """The invariant sweep (issue #8): the same machine with a larger budget."""
    world = build_world(suite, agency, citizens, outsider)
    invariant_sweep(partial(run_registry_machine, world), SWEEP_BUDGET, capsys, record_property)


def test_revoking_a_record_pruned_from_a_full_live_set(
    suite: Any, agency: dict[str, Any], citizens: list[Any], outsider: Any
) -> None:
    """Regression (model gap found reviewing the sweep): eight expired records fill alice's
    live set, a ninth issuance prunes them, and revoking one of the pruned (expired, never
    revoked) records is still accepted. The model used to assume a revoked record is always in
    the live set and crashed on this path; the chain must agree with the model throughout."""
    RegistryMachine.world = build_world(suite, agency, citizens, outsider)
    m = RegistryMachine()
    try:
        for _ in range(MAX_LIVE):
            m.issue("alice", "compliance", 2, False, None)  # expires in 2 days
        m.chain_matches_model()
        m.advance_time(5)  # all eight expired, still live
        m.chain_matches_model()
        first = m.model[0]
        m.issue("alice", "compliance", 0, False, None)  # full set: the expired ones are pruned
        live = m.live[("alice", "compliance")]
        assert first not in live and len(live) == 1
        m.chain_matches_model()
        m.revoke_record(first)  # pruned but not revoked: the issuer may still revoke it
        assert first.revoked
        m.chain_matches_model()
    finally:
        m.teardown()


def test_lapsed_stays_count_with_and_without_a_report(
    suite: Any, agency: dict[str, Any], citizens: list[Any], outsider: Any
) -> None:
    """Regression for the model (finding 3): disputed records stop counting during their stay
    and count again once it ends - checked before anyone reports the lapse, after a report,
    after an arbiter's longer stay and after the schema's stay changed."""
    RegistryMachine.world = build_world(suite, agency, citizens, outsider)
    m = RegistryMachine()
    try:
        m.issue("alice", "penalty", 0, False, None)
        m.issue("alice", "penalty", 0, False, None)
        first, second = m.model[-2:]
        m.set_dispute_stay("penalty", 1)
        m.dispute(_Pick(first), True, "leave open")
        m.set_dispute_stay("penalty", 14)
        m.dispute(_Pick(second), True, "leave open")
        assert (first.stay_until, second.stay_until) != (0, 0)
        m.chain_matches_model()
        m.advance_time(2)  # first's 1-day stay lapsed, nobody reported it
        m.chain_matches_model()
        assert first.valid(m.head()) and not second.valid(m.head())
        m.grant_stay(_Pick(second), 20)
        m.chain_matches_model()
        m.lapse_stay(_Pick(first), False)
        assert first.stay_until == 0
        m.chain_matches_model()
        m.advance_time(15)
        m.chain_matches_model()
        m.advance_time(11)  # second's granted stay (20 days) lapsed too
        m.chain_matches_model()
        m.lapse_stay(_Pick(second), False)
        m.chain_matches_model()
        assert RegistryMachine.outcomes["lapse_stay -> ok"] >= 2
    finally:
        m.teardown()


class _Pick:
    """A stand-in for hypothesis' `data` that always draws `record` (focus first)."""

    def __init__(self, record: RecordModel) -> None:
        self.record = record

    def draw(self, strategy: Any, label: str = "") -> Any:
        return 1 if label == "focus" else self.record
