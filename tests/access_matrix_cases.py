"""The access-matrix test world and, per state-changing function, valid arguments.

`build_world` sends the transactions that put the suite in a state where every state-changing
function of every deployed contract has a valid call: identities with controllers, schemas and
records (one disputed), parcels with a proposed and an accepted sale, a proposed and an active
lien, an open tax assessment, grant rounds in every stage (open, approved/awarded
applications, submitted/approved milestones, rent due, a round past its decision deadline, a
closed round with released money), a pending recovery that is ready, and CITY tokens plus
allowances for every caller class.

`CASES[(contract, key)]` gives, for each function, the arguments of a call valid for its
intended caller(s) in that world, and optionally `prepare`: transactions run first in the
test's own snapshot (e.g. pausing a contract before `unpause`), reverted after the test.
`key` is the function name, or its ABI signature when the name is overloaded (as in
config/access-matrix.yaml).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_utils import keccak

from civic_ledger.access.roles import ADMIN_ROLE, RoleId
from civic_ledger.core.times import DAY
from civic_ledger.data.client import (
    Consent,
    DataRequest,
    ExemptionInput,
    ResourceInput,
    Sharing,
    sign_consent,
)
from civic_ledger.deploy.proxy import deploy_upgradeable
from civic_ledger.fund.client import RoundKind
from civic_ledger.identity.client import Kind, Status
from civic_ledger.identity.records import (
    RecordRequest,
    RevocationReason,
    issued_record_ids,
    sign_issue,
)
from civic_ledger.property.tax import sign_permit
from civic_ledger.spec import all_contracts

YEAR = 365 * DAY
UNIT = 10**18
MAX_UINT = 2**256 - 1
FUND_POLICY = 901
ASSESSED_YEAR = 2030
# Execution delay given to the tax bureau in the schedule/execute/cancel cases of the manager.
SCHEDULE_DELAY = 3600

DATA_PURPOSE = 3

# The identities of the world: class -> (name, kind, licensed for the fund policy).
IDENTITIES = {
    "subject_controller": ("acme", Kind.ENTERPRISE, True),
    "other_controller": ("dave", Kind.ENTERPRISE, True),
    "buyer": ("bob", Kind.PERSON, False),
    "lien_holder": ("bank", Kind.ENTERPRISE, False),
}


def subject_for(name: str) -> bytes:
    """A stand-in salted commitment for a named party of the access-matrix world."""
    return keccak(b"access-matrix-salt:" + name.encode())


def h(text: str) -> bytes:
    """A content hash (evidence, deed, reason...) for a test document."""
    return keccak(text=f"access-matrix:{text}")


def parcel(code: str, area: int = 1_000) -> tuple[int, bytes, int, int]:
    """A `TitleRegistry.ParcelData` tuple."""
    return (int.from_bytes(keccak(text=f"AM-{code}"), "big"), h(f"survey:{code}:{area}"), area, 1)


@dataclass
class World:
    """Deployed contracts, the account of each caller class and the ids of the prepared state."""

    c: dict[str, Any]  # contract name -> Ape contract instance
    classes: dict[str, Any]  # caller class -> account
    chain: Any
    accounts: Any
    deployer: Any
    ids: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.ids[key]

    def who(self, cls: str) -> Any:
        return self.classes[cls]

    def subject(self, cls: str) -> bytes:
        return subject_for(IDENTITIES[cls][0])

    @property
    def now(self) -> int:
        return int(self.chain.pending_timestamp)

    def fresh(self) -> str:
        """Address of a new wallet with no identity and no role."""
        return self.accounts.generate_test_account().address


def build_world(
    suite: Any,
    agency: dict[str, Any],
    outsider: Any,
    accounts: Any,
    chain: Any,
    agency_names: list[str],
) -> World:
    """Sends the setup transactions on the session's deployed suite (deploys nothing); the
    admin (`deployer`) is the agency table's."""
    deployer = agency["deployer"]
    c = {spec.name: suite[spec.name] for spec in all_contracts()}
    classes: dict[str, Any] = {name: agency[name] for name in agency_names}
    classes["admin"] = agency["deployer"]
    classes["treasury"] = agency["treasury"]
    for cls in (*IDENTITIES, "spender"):
        wallet = accounts.generate_test_account()
        deployer.transfer(wallet, 10**20)
        classes[cls] = wallet
    classes["outsider"] = outsider
    w = World(c=c, classes=classes, chain=chain, accounts=accounts, deployer=deployer)

    _identities(w, agency)
    _records(w, agency)
    _data(w, agency)
    _property(w, agency)
    _tokens(w, agency)
    _fund(w, agency)
    # A recovery of the subject's identity, ready once the clock moves on.
    c["IdentityRegistry"].initiateRecovery(
        w.subject("subject_controller"), w.fresh(), sender=agency["identity_office"]
    )
    chain.pending_timestamp += 3 * DAY
    chain.mine()
    _fund_after_deadline(w, agency)
    return w


COMMITTEE = ("committee_member_1", "committee_member_2", "committee_member_3")


def _identities(w: World, agency: dict[str, Any]) -> None:
    # committee members vote only through an Active identity of their own (GrantFund)
    w.c["IdentityRegistry"].registerBatch(
        [(w.subject(cls), w.who(cls).address, kind) for cls, (_, kind, _) in IDENTITIES.items()]
        + [(subject_for(member), agency[member].address, Kind.PERSON) for member in COMMITTEE],
        sender=agency["identity_office"],
    )


def _records(w: World, agency: dict[str, Any]) -> None:
    records, bureau = w.c["RecordRegistry"], agency["data_bureau"]

    def schema(name: str, role: int, adverse: bool, validity: int) -> int:
        records.registerSchema((name, "", role, True, adverse, validity), sender=bureau)
        return int(records.schemaCount())

    w.ids["tax_ok"] = schema("am-tax-compliance", RoleId.TAX_RECORD_ISSUER, False, YEAR)
    w.ids["penalty"] = schema("am-tax-penalty", RoleId.TAX_RECORD_ISSUER, True, YEAR)
    w.ids["licence"] = schema("am-licence", RoleId.MARKET_RECORD_ISSUER, False, 0)
    records.setPolicy(FUND_POLICY, "am grant eligible", [w["licence"]], [], sender=bureau)

    licensed = [cls for cls, (_, _, ok) in IDENTITIES.items() if ok]
    records.issueBatch(
        [
            RecordRequest(w["licence"], w.subject(cls), h(f"licence:{cls}")).as_tuple()
            for cls in licensed
        ],
        sender=agency["market_regulator"],
    )
    acme = w.subject("subject_controller")
    receipt = records.issueBatch(
        [
            RecordRequest(w["tax_ok"], acme).as_tuple(),
            RecordRequest(w["penalty"], acme, h("penalty-a")).as_tuple(),
            RecordRequest(w["penalty"], acme, h("penalty-b")).as_tuple(),
        ],
        sender=agency["tax_bureau"],
    )
    w.ids["rec_tax_ok"], w.ids["rec_penalty"], w.ids["rec_disputed"] = issued_record_ids(
        records, receipt
    )
    records.dispute(w["rec_disputed"], h("appeal"), sender=w.who("subject_controller"))


def _data_request(w: World, resource: str, subject: bool = False, exemption: int = 0) -> tuple:
    """A DataExchange.RequestInput tuple of the tax bureau (TAX_ASSESSOR) for `resource`."""
    who = w.subject("subject_controller") if subject else b"\x00" * 32
    return DataRequest(
        w[resource],
        RoleId.TAX_ASSESSOR,
        DATA_PURPOSE,
        30 * DAY,
        h("basis"),
        h("fields"),
        who,
        exemption,
    ).as_tuple()


def _consent(w: World, resource: str, salt: str) -> tuple[tuple, bytes]:
    """acme's controller consents to the tax bureau receiving `resource` about acme."""
    consent = Consent(
        w.subject("subject_controller"),
        w[resource],
        RoleId.TAX_ASSESSOR,
        DATA_PURPOSE,
        w.now + 60 * DAY,
        h(f"salt:{salt}"),
    )
    signature = sign_consent(w.c["DataExchange"], consent, w.who("subject_controller"))
    return consent.as_tuple(), signature


def _exemption_input(w: World, resource: str) -> tuple:
    return ExemptionInput(
        w.subject("subject_controller"),
        w[resource],
        RoleId.TAX_ASSESSOR,
        DATA_PURPOSE,
        w.now + 60 * DAY,
        h("statute"),
    ).as_tuple()


def _data(w: World, agency: dict[str, Any]) -> None:
    """DataExchange: resources of the land registry (owner role REGISTRAR), requests of the tax
    bureau (recipient role RoleId.TAX_ASSESSOR) about acme: a pending one, live grants (one under
    acme's consent), a deletion asked, exemptions active and disputed, an anchored batch."""
    ex, steward, bureau = w.c["DataExchange"], agency["land_registry"], agency["tax_bureau"]

    def resource(key: str, sharing: Sharing, personal: bool) -> None:
        spec = ResourceInput(
            RoleId.REGISTRAR,
            sharing,
            personal,
            7 * DAY,
            h("mandate"),
            h(key),
            h(f"{key}:v1"),
            h("schema"),
        )
        ex.registerResource(spec.as_tuple(), sender=steward)
        w.ids[key] = int(ex.counts()[0])

    def request(*args: Any, consent: tuple[tuple, bytes] | None = None) -> int:
        if consent is None:
            ex.request(*args, sender=bureau)
        else:
            ex.requestWithConsent(*args, *consent, sender=bureau)
        return int(ex.counts()[1])

    resource("data_open", Sharing.OPEN, False)
    resource("data_cond", Sharing.CONDITIONAL, True)
    resource("data_personal", Sharing.OPEN, True)
    w.ids["data_grant"] = request(_data_request(w, "data_open"))
    w.ids["data_pending"] = request(
        _data_request(w, "data_cond", True), consent=_consent(w, "data_cond", "pending")
    )
    w.ids["data_consent_grant"] = request(
        _data_request(w, "data_personal", True), consent=_consent(w, "data_personal", "grant")
    )
    deleted = request(
        _data_request(w, "data_personal", True), consent=_consent(w, "data_personal", "deleted")
    )
    ex.requestDeletion(deleted, h("erase"), sender=steward)
    w.ids["data_deleted"] = deleted
    w.ids["data_fresh_consent"] = _consent(w, "data_personal", "fresh")
    ex.recordExemption(_exemption_input(w, "data_personal"), sender=bureau)
    w.ids["data_exemption"] = int(ex.counts()[2])
    ex.recordExemption(_exemption_input(w, "data_personal"), sender=bureau)
    w.ids["data_disputed"] = int(ex.counts()[2])
    ex.disputeExemption(w["data_disputed"], h("appeal"), sender=w.who("subject_controller"))


def _property(w: World, agency: dict[str, Any]) -> None:
    titles, liens = w.c["TitleRegistry"], w.c["LienRegistry"]
    owner, buyer, bank = (w.who(c) for c in ("subject_controller", "buyer", "lien_holder"))
    acme, bob = w.subject("subject_controller"), w.subject("buyer")
    plots = {code: parcel(code) for code in ("P1", "P2", "P3", "P4", "P5")}
    titles.registerBatch([acme] * 5, list(plots.values()), sender=agency["land_registry"])
    w.ids.update({code: data[0] for code, data in plots.items()})
    # P1, P2: clean (proposals, splits, merges). P3: sale proposed, no liens (acceptance).
    # P4: an active lien that answered "discharge at closing", then the sale accepted with that
    # encumbrance, and an open, not yet due, tax assessment. P5: an active lien and a proposed
    # sale it has not answered yet (the lienholder's answers).
    titles.proposeSale(w["P3"], bob, 100 * UNIT, h("deed-3"), sender=owner)
    w.ids["sale_proposed"] = int(titles.openSaleOf(w["P3"]))
    titles.proposeSale(w["P4"], bob, 100 * UNIT, h("deed-4"), sender=owner)
    w.ids["sale_accepted"] = int(titles.openSaleOf(w["P4"]))
    titles.proposeSale(w["P5"], bob, 100 * UNIT, h("deed-5"), sender=owner)
    w.ids["sale_unanswered"] = int(titles.openSaleOf(w["P5"]))

    holder = w.subject("lien_holder")
    liens.proposeLien(w["P1"], holder, 50 * UNIT, h("mortgage-1"), sender=bank)
    w.ids["lien_proposed"] = int(liens.lienCount())
    liens.proposeLien(w["P4"], holder, 50 * UNIT, h("mortgage-4"), sender=bank)
    w.ids["lien_active"] = int(liens.lienCount())
    liens.consentLien(w["lien_active"], sender=owner)
    liens.consentToSale(w["lien_active"], w["sale_accepted"], True, sender=bank)
    sale = w["sale_accepted"]
    titles.acceptSale(sale, liens.saleEncumbranceHash(sale), sender=buyer)
    liens.proposeLien(w["P5"], holder, 50 * UNIT, h("mortgage-5"), sender=bank)
    w.ids["lien_unanswered"] = int(liens.lienCount())
    liens.consentLien(w["lien_unanswered"], sender=owner)

    w.c["PropertyTax"].assess(
        w["P4"], ASSESSED_YEAR, 10 * UNIT, w.now + YEAR, sender=agency["tax_bureau"]
    )
    # The call scheduled in the manager's schedule/execute/cancel cases.
    w.ids["assess_call"] = bytes(
        w.c["PropertyTax"].assess.encode_input(w["P1"], 2031, 10 * UNIT, w.now + YEAR)
    )


def _tokens(w: World, agency: dict[str, Any]) -> None:
    token, treasurer = w.c["CityToken"], agency["finance_bureau"]
    spenders = (w.c["PropertyTax"], w.c["GrantFund"])
    for account in w.classes.values():
        token.mint(account, 10_000 * UNIT, sender=treasurer)
        for spender in spenders:
            token.approve(spender, MAX_UINT, sender=account)
    token.approve(treasurer, 1_000 * UNIT, sender=w.who("treasury"))  # burnFrom
    token.approve(w.who("spender"), 1_000 * UNIT, sender=w.who("subject_controller"))


def _round(w: World, agency: dict[str, Any], kind: int, days: int, fund: int) -> int:
    gf, start = w.c["GrantFund"], w.now
    closes = start + (3600 if days == 1 else days // 2 * DAY)
    gf.createRound(
        (
            f"am round {gf.roundCount() + 1}",
            kind,
            FUND_POLICY,
            10_000 * UNIT,
            start,
            closes,
            start + days * DAY,
        ),
        sender=agency["fund_office"],
    )
    round_id = int(gf.roundCount())
    if fund:
        gf.fundRound(round_id, fund, sender=agency["finance_bureau"])
    return round_id


def _apply(w: World, round_id: int, cls: str, amounts: list[int]) -> int:
    gf = w.c["GrantFund"]
    due = [w.now + 90 * DAY] * len(amounts)
    gf.applyForGrant(round_id, h(f"proposal:{cls}:{round_id}"), amounts, due, sender=w.who(cls))
    return int(gf.applicationCount())


def _votes(w: World, agency: dict[str, Any], vote: Callable[..., Any], *args: Any) -> None:
    for member in ("committee_member_1", "committee_member_2"):
        vote(*args, sender=agency[member])


def _fund(w: World, agency: dict[str, Any]) -> None:
    gf, anyone = w.c["GrantFund"], w.deployer
    # Short rounds: past their decision deadline once the world's clock moves 3 days on.
    w.ids["round_to_close"] = _round(w, agency, RoundKind.PROJECT, 1, 100 * UNIT)
    w.ids["round_to_sweep"] = _round(w, agency, RoundKind.PROJECT, 1, 1_000 * UNIT)
    app = _apply(w, w["round_to_sweep"], "subject_controller", [100 * UNIT])
    _votes(w, agency, gf.voteOnApplication, app, True)
    gf.award(app, sender=anyone)
    w.ids["app_swept"] = app

    # Long rounds (applications open 30 days, decisions 60).
    main = w.ids["round_main"] = _round(w, agency, RoundKind.PROJECT, 60, 5_000 * UNIT)
    w.ids["app_pending"] = _apply(w, main, "subject_controller", [100 * UNIT])
    w.ids["app_approved"] = _apply(w, main, "other_controller", [100 * UNIT])
    _votes(w, agency, gf.voteOnApplication, w["app_approved"], True)

    grant_round = _round(w, agency, RoundKind.PROJECT, 60, 1_000 * UNIT)
    app = w.ids["app_grant"] = _apply(w, grant_round, "subject_controller", [100 * UNIT] * 3)
    _votes(w, agency, gf.voteOnApplication, app, True)
    gf.award(app, sender=anyone)
    grantee = w.who("subject_controller")
    gf.submitMilestone(app, 0, h("evidence-0"), sender=grantee)
    gf.submitMilestone(app, 1, h("evidence-1"), sender=grantee)
    # Milestone 0 approved while paused: stays Approved and unpaid (payMilestone's case).
    gf.pause(sender=agency["emergency_guardian"])
    _votes(w, agency, gf.voteOnMilestone, app, 0, True)
    gf.unpause(sender=agency["deployer"])  # the guardian stops, the admin resumes

    rent_round = _round(w, agency, RoundKind.RENT, 60, 1_000 * UNIT)
    gf.applyForRent(rent_round, h("rent proposal"), (h("lease"), 10 * UNIT, 6), sender=grantee)
    app = w.ids["app_rent"] = int(gf.applicationCount())
    _votes(w, agency, gf.voteOnApplication, app, True)
    gf.award(app, sender=anyone)

    # Untouched open rounds for the application cases.
    w.ids["round_apply"] = _round(w, agency, RoundKind.PROJECT, 60, 0)
    w.ids["round_apply_rent"] = _round(w, agency, RoundKind.RENT, 60, 0)


def _fund_after_deadline(w: World, agency: dict[str, Any]) -> None:
    """Close the short round holding an award, then claw it back: released money to sweep."""
    gf = w.c["GrantFund"]
    gf.closeRound(w["round_to_sweep"], sender=agency["fund_office"])
    _votes(w, agency, gf.voteClawback, w["app_swept"], h("clawback"))


# ------------------------------------------------------------------------------------ cases


@dataclass(frozen=True)
class Case:
    """Valid arguments of one function in the world (and what to send first, if anything)."""

    args: Callable[[World], tuple[Any, ...]]
    prepare: Callable[[World], None] | None = None
    # the contract to call when not the suite's own instance (read after `prepare`)
    target: Callable[[World], str] | None = None


def _sign_permit(w: World, owner: Any, spender: str, value: int, deadline: int) -> tuple:
    return sign_permit(w.c["CityToken"], owner, spender, value, deadline)


def _permit_args(w: World) -> tuple:
    owner, spender, deadline = w.who("subject_controller"), w.who("spender").address, w.now + DAY
    return (
        owner.address,
        spender,
        5 * UNIT,
        deadline,
        *_sign_permit(w, owner, spender, 5 * UNIT, deadline),
    )


def _pay_with_permit_args(w: World) -> tuple:
    deadline, tax = w.now + DAY, w.c["PropertyTax"].address
    v, r, s = _sign_permit(w, w.who("subject_controller"), tax, 10 * UNIT, deadline)
    return (w["P4"], ASSESSED_YEAR, deadline, v, r, s)


def _signed_issue_args(w: World) -> tuple:
    request = RecordRequest(w["tax_ok"], w.subject("subject_controller"))
    signed = sign_issue(w.c["RecordRegistry"], request, w.who("tax_bureau"), deadline=w.now + DAY)
    return (request.as_tuple(), signed.signer, signed.deadline, signed.signature)


def _delay_tax_bureau(w: World) -> None:
    """The tax bureau's TAX_ASSESSOR membership gets an execution delay (effective at once)."""
    w.c["CityAccessManager"].grantRole(
        RoleId.TAX_ASSESSOR, w.who("tax_bureau"), SCHEDULE_DELAY, sender=w.who("admin")
    )


def _schedule_assess(w: World) -> None:
    _delay_tax_bureau(w)
    w.c["CityAccessManager"].schedule(
        w.c["PropertyTax"], w["assess_call"], 0, sender=w.who("tax_bureau")
    )


def _schedule_assess_and_wait(w: World) -> None:
    _schedule_assess(w)
    w.chain.pending_timestamp += SCHEDULE_DELAY + 1
    w.chain.mine()


def _pause(contract: str) -> Callable[[World], None]:
    def prepare(w: World) -> None:
        w.c[contract].pause(sender=w.who("emergency_guardian"))

    return prepare


def _unlinked_title_registry(w: World) -> None:
    """A second TitleRegistry with its own, not yet linked, lien registry and tax module (the
    suite's registry has its modules set for good). Its functions default to ADMIN_ROLE."""
    from ape import project

    manager, identities, me = w.c["CityAccessManager"], w.c["IdentityRegistry"], w.deployer
    bare = deploy_upgradeable(project, "TitleRegistry", manager, identities, sender=me)
    liens = deploy_upgradeable(project, "LienRegistry", manager, bare, identities, sender=me)
    tax = deploy_upgradeable(
        project, "PropertyTax", manager, bare, w.c["CityToken"], w.who("treasury").address,
        sender=me,
    )  # fmt: skip
    w.ids["unlinked"] = (bare.address, liens.address, tax.address)


def _next_month(w: World) -> None:
    w.chain.pending_timestamp += 30 * DAY
    w.chain.mine()


def _addr(contract: str) -> Callable[[World], str]:
    return lambda w: w.c[contract].address


def _propose_outsider(w: World) -> None:
    """acme's controller proposes the outsider's wallet (no identity) as its new controller."""
    w.c["IdentityRegistry"].proposeController(w.who("outsider"), sender=w.who("subject_controller"))


def _every_controller_proposes(w: World) -> None:
    """Every class controlling an identity (the parties and the committee members, who
    control person identities) has a pending proposal to cancel."""
    committee = ("committee_member_1", "committee_member_2", "committee_member_3")
    for cls in (*IDENTITIES, *committee):
        w.c["IdentityRegistry"].proposeController(w.fresh(), sender=w.who(cls))


def _past_the_stay(w: World) -> None:
    """The disputed record's stay has ended (nobody reported it yet)."""
    w.chain.pending_timestamp = int(w.c["RecordRegistry"].getRecord(w["rec_disputed"]).stayUntil)
    w.chain.mine()


def _request(w: World, schema: str = "tax_ok") -> tuple:
    return RecordRequest(w[schema], w.subject("subject_controller")).as_tuple()


CASES: dict[tuple[str, str], Case] = {
    # ---------------------------------------------------------------- CityAccessManager
    ("CityAccessManager", "grantRole"): Case(lambda w: (RoleId.TAX_ASSESSOR, w.fresh(), 0)),
    ("CityAccessManager", "revokeRole"): Case(
        lambda w: (RoleId.ARBITER, w.who("arbitration_office").address)
    ),
    ("CityAccessManager", "renounceRole"): Case(
        lambda w: (RoleId.REGISTRAR, w.who("land_registry").address)
    ),
    ("CityAccessManager", "labelRole"): Case(lambda w: (RoleId.ARBITER, "Arbiter (relabelled)")),
    ("CityAccessManager", "setGrantDelay"): Case(lambda w: (RoleId.ARBITER, 2 * DAY)),
    ("CityAccessManager", "setRoleAdmin"): Case(lambda w: (RoleId.ARBITER, ADMIN_ROLE)),
    ("CityAccessManager", "setRoleGuardian"): Case(lambda w: (RoleId.ARBITER, RoleId.GUARDIAN)),
    ("CityAccessManager", "setTargetAdminDelay"): Case(lambda w: (w.c["PropertyTax"].address, DAY)),
    ("CityAccessManager", "setTargetClosed"): Case(lambda w: (w.c["PropertyTax"].address, True)),
    ("CityAccessManager", "setTargetFunctionRole"): Case(
        lambda w: (w.c["PropertyTax"].address, [w["assess_call"][:4]], RoleId.TAX_ASSESSOR)
    ),
    ("CityAccessManager", "updateAuthority"): Case(
        lambda w: (w.c["PropertyTax"].address, w.c["CityAccessManager"].address)
    ),
    ("CityAccessManager", "multicall"): Case(
        lambda w: (
            [
                bytes(
                    w.c["CityAccessManager"].labelRole.encode_input(
                        RoleId.ARBITER, "Arbiter (batch)"
                    )
                )
            ],
        )
    ),
    ("CityAccessManager", "schedule"): Case(
        lambda w: (w.c["PropertyTax"].address, w["assess_call"], 0), prepare=_delay_tax_bureau
    ),
    ("CityAccessManager", "execute"): Case(
        lambda w: (w.c["PropertyTax"].address, w["assess_call"]),
        prepare=_schedule_assess_and_wait,
    ),
    ("CityAccessManager", "cancel"): Case(
        lambda w: (w.who("tax_bureau").address, w.c["PropertyTax"].address, w["assess_call"]),
        prepare=_schedule_assess,
    ),
    ("CityAccessManager", "consumeScheduledOp"): Case(
        lambda w: (w.who("tax_bureau").address, w["assess_call"]), prepare=_schedule_assess
    ),
    # ---------------------------------------------------------------- CityToken
    ("CityToken", "mint"): Case(lambda w: (w.fresh(), UNIT)),
    ("CityToken", "burn"): Case(lambda w: (UNIT,)),
    ("CityToken", "burnFrom"): Case(lambda w: (w.who("treasury").address, UNIT)),
    ("CityToken", "transfer"): Case(lambda w: (w.fresh(), UNIT)),
    ("CityToken", "approve"): Case(lambda w: (w.fresh(), UNIT)),
    ("CityToken", "transferFrom"): Case(
        lambda w: (w.who("subject_controller").address, w.fresh(), UNIT)
    ),
    ("CityToken", "permit"): Case(_permit_args),
    ("CityToken", "setAuthority"): Case(lambda w: (w.c["CityAccessManager"].address,)),
    # ---------------------------------------------------------------- IdentityRegistry
    ("IdentityRegistry", "register"): Case(lambda w: (subject_for("new"), w.fresh(), Kind.PERSON)),
    ("IdentityRegistry", "registerBatch"): Case(
        lambda w: (
            [
                (subject_for("new-1"), w.fresh(), Kind.PERSON),
                (subject_for("new-2"), w.fresh(), Kind.ENTERPRISE),
            ],
        )
    ),
    ("IdentityRegistry", "setStatus"): Case(
        lambda w: (w.subject("subject_controller"), Status.SUSPENDED, h("reason"))
    ),
    ("IdentityRegistry", "initiateRecovery"): Case(
        lambda w: (w.subject("subject_controller"), w.fresh())
    ),
    ("IdentityRegistry", "setRecoveryDelay"): Case(lambda w: (DAY,)),
    ("IdentityRegistry", "completeRecovery"): Case(lambda w: (w.subject("subject_controller"),)),
    ("IdentityRegistry", "cancelRecovery"): Case(lambda w: (w.subject("subject_controller"),)),
    ("IdentityRegistry", "proposeController"): Case(lambda w: (w.fresh(),)),
    ("IdentityRegistry", "acceptController"): Case(
        lambda w: (w.subject("subject_controller"),), prepare=_propose_outsider
    ),
    ("IdentityRegistry", "cancelControllerProposal"): Case(
        lambda w: (), prepare=_every_controller_proposes
    ),
    ("IdentityRegistry", "setAuthority"): Case(lambda w: (w.c["CityAccessManager"].address,)),
    # ---------------------------------------------------------------- RecordRegistry
    ("RecordRegistry", "registerSchema"): Case(
        lambda w: (("am-new-schema", "uint8 x", RoleId.TAX_RECORD_ISSUER, True, False, 0),)
    ),
    ("RecordRegistry", "setSchemaActive"): Case(lambda w: (w["tax_ok"], False)),
    ("RecordRegistry", "setDisputeStay"): Case(lambda w: (w["penalty"], 30 * DAY)),
    ("RecordRegistry", "setCertificate"): Case(lambda w: (w["licence"], True)),
    ("RecordRegistry", "setPolicy"): Case(
        lambda w: (902, "am policy", [w["licence"]], [w["penalty"]])
    ),
    ("RecordRegistry", "issue"): Case(lambda w: (_request(w),)),
    ("RecordRegistry", "issueBatch"): Case(lambda w: ([_request(w), _request(w)],)),
    ("RecordRegistry", "issueWithSignature"): Case(_signed_issue_args),
    ("RecordRegistry", "invalidateNonces"): Case(lambda w: (1,)),
    ("RecordRegistry", "revoke"): Case(
        lambda w: (w["rec_tax_ok"], RevocationReason.ISSUED_IN_ERROR, h("audit"))
    ),
    ("RecordRegistry", "revokeBatch"): Case(
        lambda w: ([w["rec_tax_ok"]], RevocationReason.ISSUED_IN_ERROR, h("audit"))
    ),
    ("RecordRegistry", "dispute"): Case(lambda w: (w["rec_penalty"], h("dispute-evidence"))),
    ("RecordRegistry", "resolveDispute"): Case(lambda w: (w["rec_disputed"], True, h("ruling"))),
    ("RecordRegistry", "grantStay"): Case(
        lambda w: (w["rec_disputed"], w.now + 30 * DAY, h("stay order"))
    ),
    ("RecordRegistry", "lapseStay"): Case(lambda w: (w["rec_disputed"],), prepare=_past_the_stay),
    ("RecordRegistry", "setAuthority"): Case(lambda w: (w.c["CityAccessManager"].address,)),
    # ---------------------------------------------------------------- TitleRegistry
    ("TitleRegistry", "register"): Case(lambda w: (w.subject("subject_controller"), parcel("N1"))),
    ("TitleRegistry", "registerBatch"): Case(
        lambda w: ([w.subject("subject_controller")] * 2, [parcel("N2"), parcel("N3")])
    ),
    ("TitleRegistry", "proposeSale"): Case(
        lambda w: (w["P1"], w.subject("buyer"), 100 * UNIT, h("deed-1"))
    ),
    ("TitleRegistry", "acceptSale"): Case(
        lambda w: (
            w["sale_proposed"],
            w.c["LienRegistry"].saleEncumbranceHash(w["sale_proposed"]),
        )
    ),
    ("TitleRegistry", "cancelSale"): Case(lambda w: (w["sale_proposed"],)),
    ("TitleRegistry", "rejectSale"): Case(lambda w: (w["sale_proposed"], h("defective deed"))),
    ("TitleRegistry", "approveSale"): Case(lambda w: (w["sale_accepted"],)),
    ("TitleRegistry", "split"): Case(lambda w: (w["P1"], [parcel("S1", 400), parcel("S2", 600)])),
    ("TitleRegistry", "merge"): Case(lambda w: ([w["P1"], w["P2"]], parcel("M1", 2_000))),
    ("TitleRegistry", "syncHolder"): Case(lambda w: (w["P1"],)),
    ("TitleRegistry", "setModules"): Case(
        lambda w: w["unlinked"][1:],
        prepare=_unlinked_title_registry,
        target=lambda w: w["unlinked"][0],
    ),
    ("TitleRegistry", "setBaseURI"): Case(lambda w: ("https://land.city.example/parcels/",)),
    ("TitleRegistry", "onEncumbranceChanged"): Case(
        lambda w: (w["P4"], w.who("land_registry").address)
    ),
    ("TitleRegistry", "transferFrom"): Case(
        lambda w: (w.who("subject_controller").address, w.who("buyer").address, w["P1"])
    ),
    ("TitleRegistry", "safeTransferFrom(address,address,uint256)"): Case(
        lambda w: (w.who("subject_controller").address, w.who("buyer").address, w["P1"])
    ),
    ("TitleRegistry", "safeTransferFrom(address,address,uint256,bytes)"): Case(
        lambda w: (w.who("subject_controller").address, w.who("buyer").address, w["P1"], b"")
    ),
    ("TitleRegistry", "approve"): Case(lambda w: (w.who("buyer").address, w["P1"])),
    ("TitleRegistry", "setApprovalForAll"): Case(lambda w: (w.who("buyer").address, True)),
    ("TitleRegistry", "setAuthority"): Case(lambda w: (w.c["CityAccessManager"].address,)),
    # ---------------------------------------------------------------- LienRegistry
    ("LienRegistry", "proposeLien"): Case(
        lambda w: (w["P2"], w.subject("lien_holder"), 20 * UNIT, h("mortgage-2"))
    ),
    ("LienRegistry", "consentLien"): Case(lambda w: (w["lien_proposed"],)),
    ("LienRegistry", "withdrawLien"): Case(lambda w: (w["lien_proposed"],)),
    ("LienRegistry", "recordLienByOrder"): Case(
        lambda w: (w["P2"], w.subject("lien_holder"), 20 * UNIT, h("court order"))
    ),
    ("LienRegistry", "releaseLien"): Case(lambda w: (w["lien_active"],)),
    ("LienRegistry", "orderRelease"): Case(lambda w: (w["lien_active"], h("release order"))),
    ("LienRegistry", "consentToSale"): Case(
        lambda w: (w["lien_unanswered"], w["sale_unanswered"], False)
    ),
    ("LienRegistry", "withdrawSaleConsent"): Case(
        lambda w: (w["lien_unanswered"], w["sale_unanswered"])
    ),
    ("LienRegistry", "onSaleClosed"): Case(lambda w: (w["P4"], w["sale_accepted"])),
    ("LienRegistry", "setAuthority"): Case(lambda w: (w.c["CityAccessManager"].address,)),
    # ---------------------------------------------------------------- PropertyTax
    ("PropertyTax", "assess"): Case(lambda w: (w["P1"], 2031, 10 * UNIT, w.now + YEAR)),
    ("PropertyTax", "voidAssessment"): Case(lambda w: (w["P4"], ASSESSED_YEAR, h("appeal won"))),
    ("PropertyTax", "pay"): Case(lambda w: (w["P4"], ASSESSED_YEAR)),
    ("PropertyTax", "payWithPermit"): Case(_pay_with_permit_args),
    ("PropertyTax", "setAuthority"): Case(lambda w: (w.c["CityAccessManager"].address,)),
    # ---------------------------------------------------------------- GrantFund
    ("GrantFund", "createRound"): Case(
        lambda w: (
            (
                "am new round",
                RoundKind.PROJECT,
                FUND_POLICY,
                1_000 * UNIT,
                w.now,
                w.now + 30 * DAY,
                w.now + 60 * DAY,
            ),
        )
    ),
    ("GrantFund", "closeRound"): Case(lambda w: (w["round_to_close"],)),
    ("GrantFund", "fundRound"): Case(lambda w: (w["round_main"], UNIT)),
    ("GrantFund", "sweep"): Case(lambda w: (w["round_to_sweep"],)),
    ("GrantFund", "applyForGrant"): Case(
        lambda w: (w["round_apply"], h("new proposal"), [10 * UNIT], [w.now + 90 * DAY])
    ),
    ("GrantFund", "applyForRent"): Case(
        lambda w: (w["round_apply_rent"], h("new proposal"), (h("new lease"), UNIT, 6))
    ),
    ("GrantFund", "voteOnApplication"): Case(lambda w: (w["app_pending"], True)),
    ("GrantFund", "award"): Case(lambda w: (w["app_approved"],)),
    ("GrantFund", "submitMilestone"): Case(lambda w: (w["app_grant"], 2, h("evidence-2"))),
    ("GrantFund", "voteOnMilestone"): Case(lambda w: (w["app_grant"], 1, True)),
    ("GrantFund", "payMilestone"): Case(lambda w: (w["app_grant"], 0)),
    ("GrantFund", "payRent"): Case(lambda w: (w["app_rent"],)),
    # month 0 was checked in at the award: the case runs in month 1
    ("GrantFund", "recordRentEligibility"): Case(lambda w: (w["app_rent"],), prepare=_next_month),
    ("GrantFund", "declareConflict"): Case(lambda w: (w.subject("other_controller"),)),
    ("GrantFund", "setConflict"): Case(
        lambda w: (subject_for("committee_member_1"), w.subject("other_controller"), True)
    ),
    ("GrantFund", "voteClawback"): Case(lambda w: (w["app_grant"], h("misuse"))),
    ("GrantFund", "setCommittee"): Case(lambda w: (2, 3)),
    ("GrantFund", "setTreasury"): Case(lambda w: (w.who("treasury").address,)),
    ("GrantFund", "setAuthority"): Case(lambda w: (w.c["CityAccessManager"].address,)),
    # ---------------------------------------------------------------- DataExchange
    ("DataExchange", "registerResource"): Case(
        lambda w: (
            ResourceInput(
                RoleId.REGISTRAR, Sharing.OPEN, False, DAY, h("m"), h("new"), h("c"), h("s")
            ).as_tuple(),
        )
    ),
    ("DataExchange", "addVersion"): Case(lambda w: (w["data_open"], h("v2"), h("schema2"))),
    ("DataExchange", "retireResource"): Case(lambda w: (w["data_open"], h("retired"))),
    ("DataExchange", "request"): Case(lambda w: (_data_request(w, "data_open"),)),
    ("DataExchange", "requestWithConsent"): Case(
        lambda w: (_data_request(w, "data_personal", True), *w["data_fresh_consent"])
    ),
    ("DataExchange", "decide"): Case(lambda w: (w["data_pending"], True, 0)),
    ("DataExchange", "revokeGrant"): Case(lambda w: (w["data_grant"], 1)),
    ("DataExchange", "revokeConsent"): Case(lambda w: (w["data_fresh_consent"][0],)),
    ("DataExchange", "recordExemption"): Case(lambda w: (_exemption_input(w, "data_personal"),)),
    ("DataExchange", "disputeExemption"): Case(lambda w: (w["data_exemption"], h("appeal"))),
    ("DataExchange", "resolveExemptionDispute"): Case(
        lambda w: (w["data_disputed"], True, h("ruling"))
    ),
    ("DataExchange", "anchorReceipts"): Case(lambda w: (RoleId.REGISTRAR, h("receipts root"), 100)),
    ("DataExchange", "requestDeletion"): Case(lambda w: (w["data_consent_grant"], h("erase"))),
    ("DataExchange", "confirmDeletion"): Case(lambda w: (w["data_deleted"], h("erased"))),
    ("DataExchange", "setAuthority"): Case(lambda w: (w.c["CityAccessManager"].address,)),
}


# ---------------------------------------------------------------- every upgradeable contract
# The functions contracts/common/CityManaged.sol gives every upgradeable contract (and the
# initializer each one has), one case per function for any such contract.


class _SpecContext:
    """The deploy plan's resolver context, answered from the world (for initializer args)."""

    def __init__(self, w: World) -> None:
        self.w = w

    def address_of(self, contract: str) -> str:
        return self.w.c[contract].address

    @property
    def treasury(self) -> str:
        return self.w.who("treasury").address

    @property
    def admin(self) -> str:
        return self.w.deployer.address


def _initializer_args(contract: str) -> Callable[[World], tuple[Any, ...]]:
    spec = next(s for s in all_contracts() if s.name == contract)
    return lambda w: tuple(spec.args(_SpecContext(w)))


def _new_implementation(contract: str) -> Callable[[World], None]:
    def prepare(w: World) -> None:
        from ape import project

        implementation = getattr(project, contract).deploy(sender=w.deployer)
        w.ids[f"implementation:{contract}"] = implementation.address

    return prepare


def upgradeable_case(contract: str, key: str) -> Case | None:
    """The case of a CityManaged function of upgradeable `contract` (None for other keys)."""
    if key == "initialize":
        return Case(_initializer_args(contract))
    if key == "pause":
        return Case(lambda w: ())
    if key == "unpause":
        return Case(lambda w: (), prepare=_pause(contract))
    if key == "upgradeToAndCall":
        return Case(
            lambda w: (w[f"implementation:{contract}"], b""),
            prepare=_new_implementation(contract),
        )
    return None
