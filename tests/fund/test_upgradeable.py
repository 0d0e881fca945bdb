"""GrantFund as an upgradeable CityManaged contract: deployed behind a CityProxy and
initialised once, its state in the ERC-7201 namespace `civic.GrantFund` (no loose variables,
no immutables), and every event in the ids-operator-data argument order."""

from __future__ import annotations

import re
from typing import Any

from eth_utils import keccak
from reverts import reverts

from civic_ledger.core.introspect import project_ast
from civic_ledger.core.paths import ROOT
from civic_ledger.deploy.layout import layout_of
from civic_ledger.deploy.proxy import implementation_of

from .fund_world import FundWorld

SOURCE = ROOT / "contracts" / "fund" / "GrantFund.sol"
NAMESPACE = "civic.GrantFund"

# Every event of IGrantFund: (argument, indexed) in order. The object's id(s) come first
# (indexed), then the acting account `operator` (indexed), then the data; events about no
# object start with `operator`.
EVENT_ORDER = {
    "CommitteeSet": [("operator", True), ("threshold", False), ("committeeSize", False)],
    "TreasurySet": [("operator", True), ("treasury", True)],
    "RoundCreated": [
        ("roundId", True), ("operator", True), ("kind", False), ("policyId", False),
        ("budget", False), ("opensAt", False), ("closesAt", False),
        ("decisionDeadline", False), ("name", False),
    ],
    "RoundFunded": [("roundId", True), ("operator", True), ("amount", False)],
    "RoundClosed": [("roundId", True), ("operator", True)],
    "FundsReturned": [
        ("roundId", True), ("operator", True), ("treasury", True), ("amount", False),
    ],
    "ApplicationSubmitted": [
        ("appId", True), ("operator", True), ("subject", True), ("roundId", False),
        ("proposalHash", False), ("amount", False), ("leaseHash", False),
    ],
    "ApplicationVoted": [
        ("appId", True), ("operator", True), ("support", False), ("approvals", False),
        ("rejections", False),
    ],
    "ApplicationApproved": [("appId", True), ("operator", True), ("approvers", False)],
    "ApplicationRejected": [("appId", True), ("operator", True), ("rejecters", False)],
    "AwardMade": [
        ("appId", True), ("operator", True), ("subject", True), ("roundId", False),
        ("amount", False),
    ],
    "AwardCompleted": [("appId", True), ("operator", True)],
    "MilestoneSubmitted": [
        ("appId", True), ("index", True), ("operator", True), ("evidenceHash", False),
        ("submission", False),
    ],
    "MilestoneVoted": [
        ("appId", True), ("index", True), ("operator", True), ("approve", False),
        ("approvals", False), ("rejections", False),
    ],
    "MilestoneApproved": [
        ("appId", True), ("index", True), ("operator", True), ("approvers", False),
    ],
    "MilestoneRejected": [
        ("appId", True), ("index", True), ("operator", True), ("evidenceHash", False),
        ("rejecters", False),
    ],
    "MilestonePaid": [
        ("appId", True), ("index", True), ("operator", True), ("payee", False),
        ("amount", False),
    ],
    "RentEligibilityRecorded": [("appId", True), ("month", True), ("operator", True)],
    "RentPaid": [
        ("appId", True), ("operator", True), ("payee", True), ("firstMonth", False),
        ("monthCount", False), ("amount", False),
    ],
    "RentPaymentSkipped": [
        ("appId", True), ("operator", True), ("firstMonth", False), ("monthCount", False),
        ("amount", False),
    ],
    "ConflictSet": [
        ("memberSubject", True), ("subject", True), ("operator", True), ("conflicted", False),
    ],
    "ConflictDeclared": [("memberSubject", True), ("subject", True), ("operator", True)],
    "ClawbackVoted": [
        ("appId", True), ("operator", True), ("reasonHash", False), ("approvals", False),
    ],
    "AwardClawedBack": [
        ("appId", True), ("operator", True), ("released", False), ("approvers", False),
    ],
}  # fmt: skip
# Events the fund inherits from OpenZeppelin (Initializable, Pausable, ERC-1967, AccessManaged).
INHERITED = {"Initialized", "Paused", "Unpaused", "Upgraded", "AuthorityUpdated"}


def test_storage_slot_is_the_erc7201_namespace() -> None:
    expected = int.from_bytes(keccak((int.from_bytes(keccak(text=NAMESPACE), "big") - 1)
                                     .to_bytes(32, "big")), "big") & ~0xFF  # fmt: skip
    (declared,) = re.findall(r"GRANT_FUND_STORAGE = (0x[0-9a-fA-F]{64});", SOURCE.read_text())
    assert int(declared, 16) == expected
    assert f"@custom:storage-location erc7201:{NAMESPACE}" in SOURCE.read_text()


def test_layout_is_one_namespace_without_loose_variables() -> None:
    layout = layout_of("GrantFund", project_ast())
    assert layout.loose == [], layout.loose  # no state variables outside, no immutables
    own = layout.namespaces[NAMESPACE]
    assert [m.name for m in own[:6]] == [
        "identity", "threshold", "committeeSize", "records", "token", "treasury",
    ]  # fmt: skip
    assert {"Round", "Application", "Award", "Milestone", "Ballot"} <= set(layout.structs)
    assert "openzeppelin.storage.ReentrancyGuard" in layout.namespaces


def test_deployed_behind_a_proxy_and_initialised_once(
    world: FundWorld, chain: Any, project: Any
) -> None:
    gf = world.gf
    implementation = implementation_of(chain.provider.web3, gf.address)
    assert int(implementation, 16) != 0 and implementation != gf.address
    assert gf.version() == "1.0.0" and gf.isOpen()
    args = (world.manager, world.token, world.identities, world.records, world.treasury, 2, 3)
    with reverts("InvalidInitialization"):  # the proxy ran it once
        gf.initialize(*args, sender=world.agency["deployer"])
    bare = project.GrantFund.at(implementation)
    with reverts("InvalidInitialization"):  # the implementation can never be initialised
        bare.initialize(*args, sender=world.outsider)


def test_every_event_puts_ids_then_operator_then_data(world: FundWorld) -> None:
    events = {e.name: e for e in world.gf.contract_type.events}
    assert set(events) - INHERITED == set(EVENT_ORDER)
    for name, expected in EVENT_ORDER.items():
        actual = [(i.name, bool(i.indexed)) for i in events[name].inputs]
        assert actual == expected, f"{name}: {actual}"
