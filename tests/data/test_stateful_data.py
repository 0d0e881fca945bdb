"""Hypothesis stateful model of the data exchange: requests and grants, consents and their
revocation, exemptions and their disputes, deliveries (receipts), anchoring, deletion and time.

A Python model predicts, for every random action, whether the contract must accept or refuse
it. After every step:

- the chain's `isGrantLive` equals the model's for every request ever made;
- no delivery without a live grant: a delivery is recorded exactly when the model says the
  grant is live (the client refuses the others), and the model's liveness is checked
  against the chain's before each delivery;
- no personal-data grant is live without live consent (signed, unexpired, not revoked) or a
  recorded exemption that is not overturned, read from the chain, not the model;
- every anchored receipt verifies against its root on chain, and the same receipt with any
  field changed does not.

Budget (tests/stateful_budget.py): 10 examples x 15 steps in the default suite; the `slow`
sweep runs SWEEP_BUDGET. Every example starts from a snapshot of the same state (checked: block
height and the exchange's counters) and restores it.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from eth_utils import keccak
from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule, run_state_machine_as_test
from stateful_budget import (
    Budget,
    CountingMachine,
    SweepCounter,
    invariant_sweep,
    stateful_budget,
)

from civic_ledger.core.exceptions import ReceiptError
from civic_ledger.data import client, receipts
from civic_ledger.data.client import Basis, Consent, Sharing
from civic_ledger.data.receipts import LeafStore, Receipt

from .conftest import DAY, OWNER_ROLE, PURPOSE, RECIPIENT_ROLE, THIRD_ROLE, data_request, h

OUTCOMES: Counter[str] = Counter()
DEFAULT_BUDGET = (10, 15)
SWEEP_BUDGET = (15, 20)
# (sharing, personal) of the world's resources
RESOURCES = ((Sharing.OPEN, False), (Sharing.CONDITIONAL, True), (Sharing.OPEN, True))
PURPOSES = (PURPOSE, PURPOSE + 1)
TAMPER = ("none", "none", "none", "resource", "purpose")  # a consent replayed for other terms


@dataclass
class World:
    exchange: Any
    chain: Any
    steward: Any
    requester: Any
    arbiter: Any
    person: Any
    resources: list[int]


@dataclass
class MConsent:
    consent: Consent
    signature: bytes
    revoked: bool = False


@dataclass
class MExemption:
    id: int
    resource: int
    purpose: int
    expires_at: int
    status: str = "active"  # active, disputed, upheld, overturned


@dataclass
class MGrant:
    id: int
    resource: int
    personal: bool
    duration: int
    status: str  # pending, granted, denied
    basis: MConsent | MExemption | None
    basis_expires_at: int
    expires_at: int = 0
    revoked: bool = False
    deletion: bool = False


class DataMachine(CountingMachine):
    world: World

    def __init__(self) -> None:
        super().__init__()
        w = self.w = self.world
        self.ex = w.exchange
        self.snapshot = w.chain.snapshot()
        self.consents: list[MConsent] = []
        self.exemptions: list[MExemption] = []
        self.grants: list[MGrant] = []
        self.delivered: list[Receipt] = []
        self.anchored: list[Receipt] = []
        self.tmp = tempfile.TemporaryDirectory(prefix="civic-receipts-")
        self.store = LeafStore(Path(self.tmp.name))
        self.count_example()

    def start_state(self) -> tuple[int, ...]:
        return (self.w.chain.blocks.height, *map(int, self.ex.counts()))

    def teardown(self) -> None:
        try:
            self.tmp.cleanup()
        finally:
            self.w.chain.restore(self.snapshot)

    # ------------------------------------------------------------------ helpers

    @property
    def now(self) -> int:
        return int(self.w.chain.pending_timestamp)

    def note(self, label: str) -> None:
        OUTCOMES[label] += 1

    def basis_live(self, basis: MConsent | MExemption | None) -> bool:
        if isinstance(basis, MConsent):
            return not basis.revoked
        if isinstance(basis, MExemption):
            return basis.status != "overturned"
        return True

    def live(self, g: MGrant, at: int | None = None) -> bool:
        at = self.now if at is None else at
        return (
            g.status == "granted"
            and not g.revoked
            and at < g.expires_at
            and self.basis_live(g.basis)
        )

    def latest_block_time(self) -> int:
        return int(self.w.chain.blocks.head.timestamp)

    def grant_now(self, g: MGrant) -> None:
        g.status = "granted"
        g.expires_at = min(self.latest_block_time() + g.duration, g.basis_expires_at)

    def record_request(self, receipt: Any, index: int, basis: Any, basis_expires_at: int) -> None:
        rid = self.w.resources[index]
        sharing, personal = RESOURCES[index]
        grant_id = int(self.ex.DataRequested.from_receipt(receipt)[0].requestId)
        g = MGrant(grant_id, rid, personal, 5 * DAY, "pending", basis, basis_expires_at)
        if sharing == Sharing.OPEN:
            self.grant_now(g)
        self.grants.append(g)

    # ------------------------------------------------------------------ consents, exemptions

    @rule(
        index=st.integers(1, 2),
        purpose=st.sampled_from(PURPOSES),
        third=st.sampled_from([False, False, False, True]),
        days=st.integers(1, 10),
    )
    def give_consent(self, index: int, purpose: int, third: bool, days: int) -> None:
        self.sign(index, purpose, third, days)

    def sign(self, index: int, purpose: int, third: bool, days: int) -> MConsent:
        consent = Consent(
            self.w.person.subject,
            self.w.resources[index],
            THIRD_ROLE if third else RECIPIENT_ROLE,
            purpose,
            self.now + days * DAY,
            salt=keccak(len(self.consents).to_bytes(32, "big")),
        )
        signature = client.sign_consent(self.ex, consent, self.w.person.controller)
        self.consents.append(MConsent(consent, signature))
        return self.consents[-1]

    @rule(index=st.integers(1, 2), purpose=st.sampled_from(PURPOSES), days=st.integers(1, 10))
    def consent_and_request(self, index: int, purpose: int, days: int) -> None:
        """The subject consents, and the agency requests on those terms at once."""
        self.use_consent(self.sign(index, purpose, False, days), "none")

    @precondition(lambda self: self.consents)
    @rule(pick=st.integers(0, 99), tamper=st.sampled_from(TAMPER))
    def request_with_consent(self, pick: int, tamper: str) -> None:
        """A request under one of the consents: on its own terms, or replayed for another
        resource or purpose."""
        self.use_consent(self.consents[pick % len(self.consents)], tamper)

    def use_consent(self, c: MConsent, tamper: str) -> None:
        index = self.w.resources.index(c.consent.resource_id)
        purpose = c.consent.purpose
        if tamper == "resource":
            index = (index + 1) % len(RESOURCES)
        elif tamper == "purpose":
            purpose = PURPOSES[(PURPOSES.index(purpose) + 1) % len(PURPOSES)]
        rid = self.w.resources[index]
        personal = RESOURCES[index][1]
        request = data_request(rid, self.w.person.subject, purpose=purpose, duration=5 * DAY)
        ok = (
            personal
            and tamper == "none"
            and c.consent.recipient_role == RECIPIENT_ROLE
            and not c.revoked
            and self.now < c.consent.expires_at
        )
        receipt = self.attempt(
            ok,
            self.ex.requestWithConsent,
            request.as_tuple(),
            c.consent.as_tuple(),
            c.signature,
            sender=self.w.requester,
        )
        if receipt is not None:
            self.record_request(receipt, index, c, c.consent.expires_at)

    @rule(index=st.integers(0, 2), purpose=st.sampled_from(PURPOSES), days=st.integers(1, 10))
    def record_exemption(self, index: int, purpose: int, days: int) -> None:
        self.exempt(index, purpose, days)

    @rule(index=st.integers(1, 2), purpose=st.sampled_from(PURPOSES), days=st.integers(1, 10))
    def exemption_and_request(self, index: int, purpose: int, days: int) -> None:
        """The agency's officer records an exemption, and the agency requests under it."""
        self.ask(index, purpose, self.exempt(index, purpose, days), subject=True)

    def exempt(self, index: int, purpose: int, days: int) -> MExemption | None:
        """Record an exemption (refused on non-personal data: it could never be a basis)."""
        expires = self.now + days * DAY
        spec = client.ExemptionInput(
            self.w.person.subject,
            self.w.resources[index],
            RECIPIENT_ROLE,
            purpose,
            expires,
            h("statute"),
        )
        receipt = self.attempt(
            RESOURCES[index][1], self.ex.recordExemption, spec.as_tuple(), sender=self.w.requester
        )
        if receipt is None:
            return None
        exemption_id = int(self.ex.ExemptionRecorded.from_receipt(receipt)[0].exemptionId)
        self.exemptions.append(MExemption(exemption_id, self.w.resources[index], purpose, expires))
        return self.exemptions[-1]

    @rule(index=st.integers(0, 2), pick=st.integers(0, 99), purpose=st.sampled_from(PURPOSES))
    def request_plain(self, index: int, pick: int, purpose: int) -> None:
        """A request with no basis, or naming one of the exemptions (on its terms when `pick`
        is odd, else on this rule's random resource and purpose)."""
        e = self.exemptions[pick % len(self.exemptions)] if self.exemptions and pick % 4 else None
        if e is not None and pick % 2:
            index, purpose = self.w.resources.index(e.resource), e.purpose
        self.ask(index, purpose, e, subject=bool(pick % 3))

    def ask(self, index: int, purpose: int, e: MExemption | None, *, subject: bool) -> None:
        """Request resource `index` for `purpose` under exemption `e` (or none), naming the
        subject when `subject` (always, for personal data)."""
        rid = self.w.resources[index]
        personal = RESOURCES[index][1]
        subject_id = self.w.person.subject if personal or subject else b"\x00" * 32
        request = data_request(
            rid, subject_id, purpose=purpose, duration=5 * DAY, exemption_id=e.id if e else 0
        )
        if personal:
            ok = (
                e is not None
                and e.resource == rid
                and e.purpose == purpose
                and e.status != "overturned"
                and self.now < e.expires_at
            )
        else:
            ok = e is None
        receipt = self.attempt(ok, self.ex.request, request.as_tuple(), sender=self.w.requester)
        if receipt is not None:
            self.record_request(receipt, index, e, e.expires_at if e else 2**64 - 1)

    @precondition(lambda self: self.consents)
    @rule(pick=st.integers(0, 99))
    def revoke_consent(self, pick: int) -> None:
        c = self.consents[pick % len(self.consents)]
        sent = self.attempt(
            not c.revoked,
            self.ex.revokeConsent,
            c.consent.as_tuple(),
            sender=self.w.person.controller,
        )
        c.revoked = c.revoked or sent is not None

    @precondition(lambda self: self.exemptions)
    @rule(pick=st.integers(0, 99))
    def dispute_exemption(self, pick: int) -> None:
        e = self.exemptions[pick % len(self.exemptions)]
        ok = e.status == "active"
        if self.attempt(
            ok, self.ex.disputeExemption, e.id, h("appeal"), sender=self.w.person.controller
        ):
            e.status = "disputed"

    @precondition(lambda self: self.exemptions)
    @rule(pick=st.integers(0, 99), uphold=st.booleans())
    def resolve_exemption(self, pick: int, uphold: bool) -> None:
        e = self.exemptions[pick % len(self.exemptions)]
        ok = e.status == "disputed"
        method = self.ex.resolveExemptionDispute
        if self.attempt(ok, method, e.id, uphold, h("ruling"), sender=self.w.arbiter):
            e.status = "upheld" if uphold else "overturned"

    # ------------------------------------------------------------------ the owner

    @precondition(lambda self: self.grants)
    @rule(pick=st.integers(0, 99), approve=st.booleans())
    def decide(self, pick: int, approve: bool) -> None:
        g = self.grants[pick % len(self.grants)]
        ok = g.status == "pending" and (
            not approve or (self.basis_live(g.basis) and self.now < g.basis_expires_at)
        )
        if self.attempt(
            ok, self.ex.decide, g.id, approve, 0 if approve else 2, sender=self.w.steward
        ):
            if approve:
                self.grant_now(g)
            else:
                g.status = "denied"

    @precondition(lambda self: self.grants)
    @rule(pick=st.integers(0, 99))
    def revoke_grant(self, pick: int) -> None:
        g = self.grants[pick % len(self.grants)]
        if self.attempt(self.live(g), self.ex.revokeGrant, g.id, 1, sender=self.w.steward):
            g.revoked = True

    @precondition(lambda self: self.grants)
    @rule(pick=st.integers(0, 99))
    def request_deletion(self, pick: int) -> None:
        g = self.grants[pick % len(self.grants)]
        ok = g.status == "granted" and not g.deletion
        if self.attempt(ok, self.ex.requestDeletion, g.id, h("erase"), sender=self.w.steward):
            g.deletion = True
            g.revoked = True

    # ------------------------------------------------------------------ receipts and time

    @precondition(lambda self: self.grants)
    @rule(pick=st.integers(0, 99))
    def deliver(self, pick: int) -> None:
        g = self.grants[pick % len(self.grants)]
        at = self.latest_block_time()
        subject = self.w.person.subject if g.personal else b"\x00" * 32
        receipt = Receipt(g.id, subject, h(f"payload-{len(self.delivered)}-{at}"), at)
        # isGrantLive is read at the latest block's time (eth_call)
        expected = self.live(g, at)
        try:
            receipts.record_delivery(self.ex, self.store, receipt)
        except ReceiptError:
            assert not expected, f"grant {g.id} is live in the model, the client refused"
            return
        assert expected, f"delivery recorded under grant {g.id}, which the model says is not live"
        self.delivered.append(receipt)

    @precondition(lambda self: len(self.delivered) > len(self.anchored))
    @rule()
    def anchor(self) -> None:
        receipts.anchor_pending(self.ex, self.store, OWNER_ROLE, sender=self.w.steward, max_batch=3)
        self.anchored = list(self.delivered)

    @rule(days=st.integers(1, 4))
    def advance(self, days: int) -> None:
        self.w.chain.pending_timestamp += days * DAY
        self.w.chain.mine()

    # ------------------------------------------------------------------ invariants

    @invariant()
    def grants_match_the_model(self) -> None:
        at = self.latest_block_time()
        for g in self.grants:
            assert bool(self.ex.isGrantLive(g.id)) == self.live(g, at), f"grant {g.id}"

    @invariant()
    def no_personal_grant_without_basis(self) -> None:
        for g in self.grants:
            if not (g.personal and self.ex.isGrantLive(g.id)):
                continue
            view = client.grant(self.ex, g.id)
            if view.basis == Basis.CONSENT:
                assert int(self.ex.consentRevokedAt(view.basis_id)) == 0
                assert view.expires_at <= view.basis_expires_at
            else:
                assert view.basis == Basis.EXEMPTION, f"personal grant {g.id} without a basis"
                exemption = self.ex.exemptionOf(int.from_bytes(view.basis_id, "big"))
                assert exemption.status != client.ExemptionStatus.OVERTURNED
                assert view.expires_at <= int(exemption.expiresAt)

    @invariant()
    def anchored_receipts_verify_forged_do_not(self) -> None:
        for r in self.anchored[-3:]:  # the latest batch (earlier ones were checked already)
            assert receipts.verify(self.ex, self.store, r)
            root = self.store.root_of(r)
            proof = self.store.batch(root).proof(r.leaf)
            forged = replace(r, payload_hash=keccak(r.payload_hash))
            assert not self.ex.verifyReceipt(root, forged.as_tuple(), proof)


@pytest.fixture
def world(exchange, make_resource, steward, requester, arbiter, person, chain) -> World:
    resources = [make_resource(sharing, personal) for sharing, personal in RESOURCES]
    return World(exchange, chain, steward, requester, arbiter, person, resources)


def run_data_machine(world: World, budget: Budget, **settings: Any) -> SweepCounter:
    class Machine(DataMachine):
        pass

    Machine.world = world
    counter = Machine.counter = SweepCounter("data/DataExchange", budget)
    OUTCOMES.clear()
    run_state_machine_as_test(Machine, settings=budget.settings(**settings))
    print("stateful outcomes:", dict(sorted(OUTCOMES.items())))
    return counter


def test_data_state_machine(world: World) -> None:
    run_data_machine(world, stateful_budget(*DEFAULT_BUDGET), derandomize=True)


@pytest.mark.slow
def test_data_invariant_sweep(world: World, capsys: Any, record_property: Any) -> None:
    """The invariant sweep (issue #8): the same machine with a larger budget."""
    invariant_sweep(partial(run_data_machine, world), SWEEP_BUDGET, capsys, record_property)
