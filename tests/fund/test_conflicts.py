"""Issue #12, finding 7: conflicts of interest are judged by identity, not by wallet.

A committee member votes only while it controls an Active registered identity, and never on
matters of that identity or of any identity declared conflicted with it in the fund's register
of interests (`setConflict` by the fund manager, `declareConflict` by the member itself).
Controller changes here use the identity office's recovery (not the rotation API)."""

from __future__ import annotations

from typing import Any

from eth_utils import keccak
from reverts import reverts

from civic_ledger.access.roles import RoleId
from civic_ledger.fund.client import ApplicationStatus, RoundKind
from civic_ledger.identity.client import Kind, Status

from .fund_world import DAY, FundWorld, h, subject_for


def _fresh(world: FundWorld, accounts: Any) -> Any:
    wallet = accounts.generate_test_account()
    world.agency["deployer"].transfer(wallet, 10**20)
    return wallet


def _enterprise(world: FundWorld, label: str, wallet: Any) -> bytes:
    """A licensed (eligible) enterprise controlled by `wallet`."""
    subject = subject_for(label)
    world.identities.register(
        subject, wallet, Kind.ENTERPRISE, sender=world.agency["identity_office"]
    )
    world.license(subject, label)
    return subject


def _apply(world: FundWorld, round_id: int, wallet: Any, label: str) -> int:
    world.gf.applyForGrant(
        round_id, h(f"plan:{label}"), [10**18], [world.now + 60 * DAY], sender=wallet
    )
    return int(world.gf.applicationCount())


def test_member_who_moved_its_enterprise_to_a_side_wallet_cannot_vote_on_it(
    world: FundWorld, accounts: Any
) -> None:
    """The exploit: a member's wallet controls enterprise E; E moves to a side wallet (here by
    the identity office's recovery) and the member, now a bare wallet, votes on E. The old check
    compared wallets only (`subjectOf(voter) == E`) and let the vote through."""
    gf, admin = world.gf, world.agency["deployer"]
    member, side = _fresh(world, accounts), _fresh(world, accounts)
    world.manager.grantRole(RoleId.FUND_COMMITTEE, member, 0, sender=admin)
    world.chain.pending_timestamp += DAY + 1  # FUND_COMMITTEE's grant delay
    subject = _enterprise(world, "member-owned firm", member)
    round_id = world.create_round(kind=RoundKind.PROJECT)
    own = _apply(world, round_id, member, "own")
    with reverts("GrantFundConflictOfInterest", member=member.address, subject=subject):
        gf.voteOnApplication(own, True, sender=member)  # its own identity: refused as before

    world.recover(subject, side)  # E now answers to the side wallet; the member's is bare
    assert bytes(world.identities.subjectOf(member)) == b"\x00" * 32
    next_round = world.create_round(kind=RoundKind.PROJECT)
    app_id = _apply(world, next_round, side, "moved")
    with reverts("GrantFundMemberWithoutIdentity", member=member.address):
        gf.voteOnApplication(app_id, True, sender=member)
    yes, no = gf.applicationVotes(app_id)
    assert list(yes) == [] and list(no) == []


def test_declared_conflict_follows_the_identity_to_any_wallet(
    world: FundWorld, accounts: Any
) -> None:
    """Member 3 (its own person identity) is declared conflicted with enterprise E, whose
    controller is a side wallet; E's controller changes again: every vote on E is refused."""
    gf = world.gf
    m1, m2, m3 = world.committee
    member_3 = world.members[2].subject
    side, other_side = _fresh(world, accounts), _fresh(world, accounts)
    subject = _enterprise(world, "spouse's firm", side)
    receipt = gf.setConflict(member_3, subject, True, sender=world.fund_manager)
    (event,) = gf.ConflictSet.from_receipt(receipt)
    assert (bytes(event.memberSubject), bytes(event.subject), event.operator, event.conflicted) == (
        member_3,
        subject,
        world.fund_manager.address,
        True,
    )
    assert gf.isConflicted(member_3, subject)

    round_id = world.create_round(kind=RoundKind.PROJECT)
    app_id = _apply(world, round_id, side, "spouse")
    with reverts("GrantFundConflictOfInterest", member=m3.address, subject=subject):
        gf.voteOnApplication(app_id, True, sender=m3)
    world.recover(subject, other_side)
    with reverts("GrantFundConflictOfInterest", member=m3.address, subject=subject):
        gf.voteOnApplication(app_id, False, sender=m3)
    gf.voteOnApplication(app_id, True, sender=m1)
    gf.voteOnApplication(app_id, True, sender=m2)
    assert gf.applicationStatus(app_id) == ApplicationStatus.APPROVED
    gf.award(app_id, sender=m1)
    gf.submitMilestone(app_id, 0, h("report"), sender=other_side)
    with reverts("GrantFundConflictOfInterest", member=m3.address):
        gf.voteOnMilestone(app_id, 0, True, sender=m3)
    with reverts("GrantFundConflictOfInterest", member=m3.address):
        gf.voteClawback(app_id, h("spite"), sender=m3)


def test_a_member_recuses_itself_and_cannot_undo_it(world: FundWorld) -> None:
    gf = world.gf
    m1 = world.committee[0]
    member_1, ent_b = world.members[0].subject, world.enterprises["ent_b"].subject
    receipt = gf.declareConflict(ent_b, sender=m1)
    (event,) = gf.ConflictDeclared.from_receipt(receipt)
    assert (bytes(event.memberSubject), bytes(event.subject), event.operator) == (
        member_1,
        ent_b,
        m1.address,
    )
    round_id = world.create_round(kind=RoundKind.PROJECT)
    app_id = world.apply_grant(round_id, "ent_b")
    with reverts("GrantFundConflictOfInterest", member=m1.address, subject=ent_b):
        gf.voteOnApplication(app_id, True, sender=m1)
    with reverts("AccessManagedUnauthorized"):  # the register is the fund manager's
        gf.setConflict(member_1, ent_b, False, sender=m1)
    gf.setConflict(member_1, ent_b, False, sender=world.fund_manager)
    gf.voteOnApplication(app_id, True, sender=m1)


def test_only_members_with_an_active_identity_vote(world: FundWorld, accounts: Any) -> None:
    gf, admin = world.gf, world.agency["deployer"]
    bare = _fresh(world, accounts)
    world.manager.grantRole(RoleId.FUND_COMMITTEE, bare, 0, sender=admin)
    world.chain.pending_timestamp += DAY + 1
    round_id = world.create_round(kind=RoundKind.PROJECT)
    app_id = world.apply_grant(round_id, "ent_a")
    with reverts("GrantFundMemberWithoutIdentity", member=bare.address):
        gf.voteOnApplication(app_id, True, sender=bare)
    with reverts("GrantFundMemberWithoutIdentity", member=bare.address):
        gf.declareConflict(world.enterprises["ent_a"].subject, sender=bare)

    m2 = world.committee[1]
    world.identities.setStatus(
        world.members[1].subject,
        Status.SUSPENDED,
        h("inquiry"),
        sender=world.agency["identity_office"],
    )
    with reverts("GrantFundMemberWithoutIdentity", member=m2.address):
        gf.voteOnApplication(app_id, True, sender=m2)


def test_register_of_interests_is_the_fund_managers(world: FundWorld, outsider: Any) -> None:
    gf = world.gf
    member, subject = world.members[0].subject, world.enterprises["ent_a"].subject
    for caller in (outsider, world.committee[0], world.guardian):
        with reverts("AccessManagedUnauthorized"):
            gf.setConflict(member, subject, True, sender=caller)
    zero = b"\x00" * 32
    for args in ((zero, subject), (member, zero)):
        with reverts("GrantFundZeroHash"):
            gf.setConflict(*args, True, sender=world.fund_manager)
    with reverts("GrantFundZeroHash"):
        gf.declareConflict(zero, sender=world.committee[0])
    with reverts("GrantFundNotCommitteeMember", account=outsider.address):
        gf.declareConflict(subject, sender=outsider)
    assert not gf.isConflicted(member, subject)
    assert gf.isConflicted(member, member)  # its own identity, always
    assert not gf.isConflicted(member, keccak(text="nobody"))
