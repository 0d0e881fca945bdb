"""The city scenario, chapter by chapter. Every transaction goes through the domain client
modules (the same code the admin commands run) and every step is read back from the chain."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.table import Table

from civic_ledger.core.times import DAY
from civic_ledger.demo import data_chapter
from civic_ledger.demo.cast import Cast
from civic_ledger.demo.narrator import Narrator, doc, refused
from civic_ledger.fund import client as fund_client
from civic_ledger.identity import client as identity_client
from civic_ledger.identity import records as record_client
from civic_ledger.property import liens as lien_client
from civic_ledger.property import tax as tax_client
from civic_ledger.property import titles as title_client

UNIT = 10**18
YEAR = 365 * DAY
GRANT_POLICY = 1


@dataclass
class Outcome:
    identities: int = 0
    records: int = 0
    titles: int = 0
    fund_in: int = 0
    fund_out: int = 0
    notes: list[str] = field(default_factory=list)


class CityScenario:
    def __init__(self, suite: Any, cast: Cast, narrator: Narrator, chain: Any) -> None:
        self.s, self.cast, self.n, self.chain = suite, cast, narrator, chain
        self.out = Outcome()
        #: Where the land registry keeps its access receipts (None: a temporary folder; the
        #: demo's gateway publishes them from here with --serve).
        self.receipts_dir: Path | None = None
        self.subjects: dict[str, bytes] = {}
        for name, account in cast.agencies.items():
            narrator.name(account, name.replace("_", " "))
        for label, account in zip(
            ("Li Wei", "Zhang Min", "Chain Labs Ltd", "Data Forge Co"), cast.residents, strict=False
        ):
            narrator.name(account, label)
        self.li, self.zhang, self.labs, self.forge = cast.residents[:4]

    @property
    def now(self) -> int:
        return int(self.chain.pending_timestamp)

    def play(self) -> Outcome:
        self.identities()
        self.credit_records()
        self.property_sale()
        self.grant_round()
        data_chapter.play(self)  # 5 · data exchange (its own module)
        return self.out

    # -- 1. identity office ----------------------------------------------------------------

    def identities(self) -> None:
        n, office = self.n, self.cast["identity_office"]
        registry = self.s["IdentityRegistry"]
        n.section("1 · Identity office registers residents and firms")
        n.say("Only salted commitments go on chain; names and ID numbers stay in the office.")
        people = [
            ("110101199001011234", self.li, "person", "Li Wei"),
            ("110101198505054321", self.zhang, "person", "Zhang Min"),
            ("91110000MA01ABCD1X", self.labs, "enterprise", "Chain Labs Ltd"),
            ("91110000MA02EFGH2Y", self.forge, "enterprise", "Data Forge Co"),
        ]
        # The fund committee votes through identities: conflicts of interest are judged by
        # identity (and the fund's register of interests), never by wallet.
        people += [
            (f"11010119700101{i:04d}", self.cast[f"committee_member_{i}"], "person",
             f"committee member {i}")
            for i in (1, 2, 3)
        ]  # fmt: skip
        registrations = [
            identity_client.Registration.new(official_id, account.address, kind)
            for official_id, account, kind, _ in people
        ]
        for (_, _, _, label), registration in zip(people, registrations, strict=True):
            self.subjects[label] = registration.subject
        n.act(
            office,
            f"registers {len(registrations)} identities in one batch",
            lambda: identity_client.register_batch(
                registry, registrations, sender=office, transact=n.transact
            ),
            lambda: (
                all(registry.isActive(r.subject) for r in registrations)
                and all(registry.controllerOf(r.subject) == r.controller for r in registrations)
            ),
        )
        self.out.identities = len(registrations)

    # -- 2. credit records ------------------------------------------------------------------

    def credit_records(self) -> None:
        n, rr = self.n, self.s["RecordRegistry"]
        admin, market, tax, arbiter = (
            self.cast["data_bureau"], self.cast["market_regulator"], self.cast["tax_bureau"],
            self.cast["arbitration_office"],
        )  # fmt: skip
        n.section("2 · Agencies issue credit records; a penalty is disputed and overturned")
        self.licence = n.act(admin, "registers schema 'business-licence' (market regulator)",
            lambda: record_client.register_schema(
                rr, name="business-licence", field_layout="uint64 licenceNo,uint16 sector",
                issuer_role="MARKET_RECORD_ISSUER", revocable=True, adverse=False,
                default_validity=3 * YEAR, sender=admin, transact=n.transact))  # fmt: skip
        self.compliance = n.act(admin, "registers schema 'tax-compliance' (tax bureau)",
            lambda: record_client.register_schema(
                rr, name="tax-compliance", field_layout="uint16 year,bool compliant",
                issuer_role="TAX_RECORD_ISSUER", revocable=True, adverse=False,
                default_validity=YEAR, sender=admin, transact=n.transact))  # fmt: skip
        self.penalty = n.act(admin, "registers adverse schema 'tax-penalty' (tax bureau)",
            lambda: record_client.register_schema(
                rr, name="tax-penalty", field_layout="uint256 amount,uint16 article",
                issuer_role="TAX_RECORD_ISSUER", revocable=True, adverse=True,
                default_validity=2 * YEAR, sender=admin, transact=n.transact))  # fmt: skip
        n.act(admin, f"defines policy {GRANT_POLICY} 'grant-eligible': licence + tax compliance, "
              "no tax penalty",
            lambda: record_client.set_policy(
                rr, policy_id=GRANT_POLICY, name="grant-eligible",
                required=[self.licence, self.compliance], disqualifying=[self.penalty],
                sender=admin, transact=n.transact),
            lambda: rr.getPolicy(GRANT_POLICY).exists)  # fmt: skip

        firms = {"Chain Labs Ltd": 2021_000_042, "Data Forge Co": 2022_000_117}
        licences = [
            record_client.RecordRequest(
                schema_id=self.licence,
                subject=self.subjects[name],
                evidence_hash=doc(f"licence {number}"),
                data=record_client.encode_data(
                    "uint64 licenceNo,uint16 sector", {"licenceNo": number, "sector": 62}
                ),
            )
            for name, number in firms.items()
        ]
        ids = n.act(market, "issues business licences to both firms (batch)",
            lambda: record_client.issue_batch(rr, licences, sender=market, transact=n.transact),
            lambda: True)  # fmt: skip
        n.check("both licences are valid", all(rr.isValid(i) for i in ids))

        compliance = record_client.RecordRequest(
            schema_id=self.compliance, subject=self.subjects["Chain Labs Ltd"],
            evidence_hash=doc("tax return 2025 Chain Labs"),
            data=record_client.encode_data("uint16 year,bool compliant",
                                           {"year": 2025, "compliant": True}),
        )  # fmt: skip
        signed = record_client.sign_issue(rr, compliance, tax, deadline=self.now + DAY)
        n.say(
            "The tax bureau signs Chain Labs' compliance record off-line (EIP-712); the firm "
            "relays it and pays the gas."
        )
        comp_id = n.act(self.labs, "relays the tax bureau's signed compliance record",
            lambda: record_client.relay_signed_issue(rr, signed, sender=self.labs,
                                                     transact=n.transact),
        )  # fmt: skip
        n.check(
            "the relayed record names the tax bureau as issuer",
            record_client.get_record(rr, comp_id).issuer == tax.address,
        )
        forge_comp = record_client.RecordRequest(
            schema_id=self.compliance, subject=self.subjects["Data Forge Co"],
            evidence_hash=doc("tax return 2025 Data Forge"),
            data=record_client.encode_data("uint16 year,bool compliant",
                                           {"year": 2025, "compliant": True}))  # fmt: skip
        n.act(
            tax,
            "issues Data Forge's tax-compliance record",
            lambda: record_client.issue(rr, forge_comp, sender=tax, transact=n.transact),
        )

        forge = self.subjects["Data Forge Co"]
        penalty = record_client.RecordRequest(
            schema_id=self.penalty, subject=forge, evidence_hash=doc("audit finding 2026-17"),
            data=record_client.encode_data("uint256 amount,uint16 article",
                                           {"amount": 50_000, "article": 63}))  # fmt: skip
        penalty_id = n.act(
            tax,
            "issues an adverse tax-penalty record against Data Forge",
            lambda: record_client.issue(rr, penalty, sender=tax, transact=n.transact),
            lambda: not rr.meetsPolicy(forge, GRANT_POLICY) and "Data Forge no longer eligible",
        )
        n.act(self.forge, "disputes the penalty with its bank statements as evidence",
            lambda: record_client.dispute(rr, penalty_id, doc("bank statements 2025"),
                                          sender=self.forge, transact=n.transact),
            lambda: not rr.isValid(penalty_id) and rr.meetsPolicy(forge, GRANT_POLICY)
            and "disputed: the penalty does not count during the 14-day stay")  # fmt: skip
        n.act(
            arbiter,
            "overturns the penalty (the payment was on time)",
            lambda: record_client.resolve(
                rr,
                penalty_id,
                upheld=False,
                ruling_hash=doc("ruling 2026-17"),
                sender=arbiter,
                transact=n.transact,
            ),
            lambda: (
                record_client.get_record(rr, penalty_id).revoked_at > 0
                and rr.meetsPolicy(forge, GRANT_POLICY)
                and "penalty revoked; eligible again"
            ),
        )
        self.out.records = int(sum(len(record_client.records_of(rr, s))
                                   for s in self.subjects.values()))  # fmt: skip

    # -- 3. property --------------------------------------------------------------------------

    def property_sale(self) -> None:
        n = self.n
        titles, liens, tax, token = (self.s["TitleRegistry"], self.s["LienRegistry"],
                                     self.s["PropertyTax"], self.s["CityToken"])  # fmt: skip
        registrar, assessor, treasurer = (self.cast["land_registry"], self.cast["tax_bureau"],
                                          self.cast["finance_bureau"])  # fmt: skip
        li, zhang = self.subjects["Li Wei"], self.subjects["Zhang Min"]
        bank, bank_account = self.subjects["Chain Labs Ltd"], self.labs
        n.section("3 · Land registry: a sale with a mortgage and property tax")
        parcels = []
        for code, area in (("BJ-DC-0001", 120), ("BJ-DC-0002", 95)):
            pid = n.act(registrar, f"registers parcel {code} ({area} m²) to Li Wei",
                lambda code=code, area=area: title_client.register(
                    titles, li, code, doc(f"survey {code}"), area, 1, sender=registrar,
                    transact=n.transact),
            )  # fmt: skip
            parcels.append(pid)
        pid = parcels[0]
        n.check("Li Wei's wallet holds title BJ-DC-0001", titles.ownerOf(pid) == self.li.address)
        mortgage = n.act(bank_account, "proposes, as lender, a 500 CITY mortgage on BJ-DC-0001",
            lambda: lien_client.propose(liens, pid, bank, 500 * UNIT, doc("loan agreement 7"),
                                        sender=bank_account, transact=n.transact))  # fmt: skip
        n.act(
            self.li,
            "consents to the mortgage",
            lambda: lien_client.consent(liens, mortgage, sender=self.li, transact=n.transact),
            lambda: lien_client.show(liens, mortgage).state is lien_client.LienState.ACTIVE,
        )
        n.act(assessor, "assesses 2026 property tax: 36 CITY, due in 30 days",
              lambda: tax_client.assess(tax, pid, 2026, 36 * UNIT, self.now + 30 * DAY,
                                        sender=assessor, transact=n.transact))  # fmt: skip
        n.act(
            treasurer,
            "issues 100 CITY to Li Wei (settlement token)",
            lambda: n.transact("mint", token.mint, self.li, 100 * UNIT, sender=treasurer),
            lambda: token.balanceOf(self.li) >= 100 * UNIT,
        )
        treasury = self.s.manifest.data["roles"]["treasury"]
        before = token.balanceOf(treasury)
        n.act(self.li, "pays the tax with a signed permit (one transaction)",
              lambda: tax_client.pay(tax, token, pid, 2026, sender=self.li, permit=True,
                                     transact=n.transact),
              lambda: token.balanceOf(treasury) - before == 36 * UNIT
              and "36 CITY reached the treasury")  # fmt: skip
        sale_id = n.act(
            self.li,
            "proposes to sell BJ-DC-0001 to Zhang Min for 2,500 CITY",
            lambda: title_client.propose(
                titles,
                pid,
                zhang,
                2500 * UNIT,
                doc("deed of sale 88"),
                sender=self.li,
                transact=n.transact,
            ),
        )
        n.check(
            "the buyer cannot accept yet: the lienholder has not answered",
            lien_client.encumbrance(liens, sale_id).unanswered == [mortgage]
            and "lienholder has not answered"
            in " ".join(title_client.readiness(titles, sale_id).blockers),
        )
        n.act(
            bank_account,
            "answers the sale: the mortgage is discharged at closing",
            lambda: lien_client.consent_to_sale(
                liens, mortgage, sale_id, sender=bank_account, discharge=True, transact=n.transact
            ),
        )
        accepted = n.act(
            self.zhang,
            "accepts the sale with the liens shown: mortgage discharged at closing",
            lambda: title_client.accept(
                titles, liens, sale_id, sender=self.zhang, transact=n.transact
            ),
            lambda: title_client.sale(titles, sale_id).state is title_client.SaleState.ACCEPTED,
        )
        n.check(
            f"the accepted encumbrance {title_client.hex32(accepted.hash)[:10]}… binds the "
            "lender: switching to keeping the mortgage is refused (LienSaleAccepted)",
            accepted.discharged == [mortgage]
            and not accepted.kept
            and refused(
                liens.consentToSale,
                mortgage,
                sale_id,
                False,
                sender=bank_account,
                error="LienSaleAccepted",
            ),
        )
        n.act(registrar, "approves the sale: the title moves",
              lambda: title_client.approve(titles, sale_id, sender=registrar, transact=n.transact),
              lambda: titles.ownerOf(pid) == self.zhang.address
              and lien_client.show(liens, mortgage).state is lien_client.LienState.RELEASED
              and "Zhang Min owns it; mortgage released")  # fmt: skip
        chain_of_title = [e.cause.name for e in title_client.history(titles, pid)]
        n.check(
            f"chain of title: {' → '.join(chain_of_title)}",
            chain_of_title == ["REGISTRATION", "SALE"],
        )
        self.out.titles = len(parcels)

    # -- 4. grant fund ------------------------------------------------------------------------

    def grant_round(self) -> None:
        n = self.n
        gf, token = self.s["GrantFund"], self.s["CityToken"]
        manager, treasurer = self.cast["fund_office"], self.cast["finance_bureau"]
        committee = [self.cast[f"committee_member_{i}"] for i in (1, 2, 3)]
        n.section("4 · Grant fund: rent and research subsidies, decided 2-of-3")
        now = self.now
        rent_round = n.act(manager, "opens a rent-subsidy round (budget 600 CITY)",
            lambda: fund_client.create_round(gf, "2026 rent subsidy",
                fund_client.RoundKind.RENT, GRANT_POLICY, 600 * UNIT, now,
                now + 14 * DAY, now + 28 * DAY, sender=manager, transact=n.transact))  # fmt: skip
        research_round = n.act(manager, "opens a research round (budget 1,000 CITY)",
            lambda: fund_client.create_round(gf, "2026 research",
                fund_client.RoundKind.RESEARCH, GRANT_POLICY, 1_000 * UNIT, now,
                now + 14 * DAY, now + 28 * DAY, sender=manager, transact=n.transact))  # fmt: skip
        for round_id, amount in ((rent_round, 600 * UNIT), (research_round, 1_000 * UNIT)):
            n.act(treasurer, f"mints and deposits {amount // UNIT:,} CITY into round {round_id}",
                lambda round_id=round_id, amount=amount: (
                    n.transact("mint", token.mint, treasurer, amount, sender=treasurer),
                    fund_client.fund_round(gf, token, round_id, amount, sender=treasurer,
                                           transact=n.transact)))  # fmt: skip
            self.out.fund_in += amount
        n.check("fund balance equals deposits", token.balanceOf(gf) == self.out.fund_in)

        lease = doc("lease 2026: Chain Labs, Zhongguancun Tower 7F")
        rent_app = n.act(
            self.labs,
            "applies for 6 months x 50 CITY office rent on its lease",
            lambda: fund_client.apply_for_rent(
                gf,
                rent_round,
                doc("rent application 2026"),
                lease,
                50 * UNIT,
                6,
                sender=self.labs,
                transact=n.transact,
            ),
            lambda: (
                gf.leaseHolder(lease)[1]
                and "the lease is reserved: no other round may subsidise it meanwhile"
            ),
        )
        research_app = n.act(self.forge, "applies for a 2-milestone research grant (300 + 400)",
            lambda: fund_client.apply_for_grant(gf, research_round,
                doc("proposal: privacy-preserving registry"),
                [(300 * UNIT, now + 60 * DAY), (400 * UNIT, now + 120 * DAY)], sender=self.forge,
                transact=n.transact))  # fmt: skip
        n.act(
            committee[0],
            "declares an interest in Data Forge (a relative works there) and recuses itself",
            lambda: fund_client.declare_conflict(
                gf, self.subjects["Data Forge Co"], sender=committee[0], transact=n.transact
            ),
            lambda: gf.isConflicted(self.subjects["committee member 1"],
                                    self.subjects["Data Forge Co"]),
        )  # fmt: skip
        for app_id, label, voters in (
            (rent_app, "rent", committee[:2]),
            (research_app, "research", committee[1:]),
        ):
            for member in voters:
                n.act(
                    member,
                    f"votes yes on the {label} application",
                    lambda app_id=app_id, member=member: fund_client.vote(
                        gf, app_id, True, sender=member, transact=n.transact
                    ),
                )
            n.act(
                self.cast["deployer"],
                f"awards the {label} grant (threshold reached)",
                lambda app_id=app_id: fund_client.award(
                    gf, app_id, sender=self.cast["deployer"], transact=n.transact
                ),
            )
        n.say(
            "Rent is owed for a month only if the firm was eligible at a check-in during that "
            "month; the award itself checks the first month in."
        )
        n.check("month 1 of the rent award is checked in",
                fund_client.rent_due(gf, rent_app).current_checked_in)  # fmt: skip
        before = token.balanceOf(self.labs)
        n.act(self.zhang, "triggers the first rent payment (anyone may)",
              lambda: fund_client.pay_rent(gf, rent_app, sender=self.zhang, transact=n.transact),
              lambda: token.balanceOf(self.labs) - before == 50 * UNIT
              and "50 CITY paid to Chain Labs")  # fmt: skip
        self.out.fund_out += 50 * UNIT
        n.act(
            self.forge,
            "submits milestone 1 evidence",
            lambda: fund_client.submit_milestone(
                gf,
                research_app,
                0,
                doc("milestone 1 report"),
                sender=self.forge,
                transact=n.transact,
            ),
        )
        before = token.balanceOf(self.forge)
        for member in committee[1:]:  # member 1 recused itself from Data Forge's matters
            n.act(
                member,
                "approves milestone 1",
                lambda member=member: fund_client.vote_milestone(
                    gf, research_app, 0, True, sender=member, transact=n.transact
                ),
            )
        if _milestone_unpaid(gf, research_app, 0):  # approval may already have paid it
            n.act(
                self.forge,
                "collects the approved milestone payment",
                lambda: fund_client.pay_milestone(
                    gf, research_app, 0, sender=self.forge, transact=n.transact
                ),
            )
        n.check(
            "300 CITY paid to Data Forge for milestone 1",
            token.balanceOf(self.forge) - before == 300 * UNIT,
        )
        self.out.fund_out += 300 * UNIT
        for member in committee[1:]:
            n.act(member, "votes to claw back the rest of the rent award (firm moved out)",
                  lambda member=member: fund_client.clawback(gf, rent_app,
                      doc("site inspection: office vacated"), sender=member,
                      transact=n.transact))  # fmt: skip
        status = fund_client.status(gf, rent_round)
        n.check(
            f"rent award clawed back: {status.owed // UNIT} CITY still owed in the round",
            status.owed == 0,
        )
        n.check(
            "token conservation: fund balance = deposits - payouts - returns",
            token.balanceOf(gf) == gf.totalDeposited() - gf.totalPaid() - gf.totalReturned(),
        )

    def summary(self) -> Table:
        table = Table(title="The city ledger after the demo")
        table.add_column("what")
        table.add_column("count / amount", justify="right")
        gf = self.s["GrantFund"]
        rows = [
            ("identities registered", str(self.out.identities)),
            ("credit records issued", str(self.out.records)),
            ("land titles registered", str(self.out.titles)),
            ("CITY into the fund", f"{int(gf.totalDeposited()) // UNIT:,}"),
            ("CITY paid out of the fund", f"{int(gf.totalPaid()) // UNIT:,}"),
            ("CITY still held by the fund",
             f"{int(self.s['CityToken'].balanceOf(gf)) // UNIT:,}"),
            ("transactions", str(self.n.transactions)),
            ("total gas", f"{self.n.total_gas:,}"),
        ]  # fmt: skip
        for row in rows:
            table.add_row(*row)
        return table


def _milestone_unpaid(gf: Any, app_id: int, index: int) -> bool:
    return any(m[0] == index and m[3] != fund_client.MilestoneStatus.PAID
               for m in fund_client.milestones(gf, app_id))  # fmt: skip
