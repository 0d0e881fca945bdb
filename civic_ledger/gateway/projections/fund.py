"""Rounds, applications and payouts, as GrantFund says: the public spending record (budgets,
awards, every payment with its purpose and month). Applicants appear as identity commitments."""

from __future__ import annotations

from civic_ledger.gateway import schema
from civic_ledger.gateway.projections import Event, Handler, Handlers
from civic_ledger.gateway.store import Store

FUND = "GrantFund"
fund = Handlers(FUND)


@fund.on("RoundCreated")
def round_created(store: Store, e: Event) -> None:
    store.insert(schema.rounds, round_id=str(e["roundId"]), kind=e["kind"], name=e["name"],
                 policy_id=str(e["policyId"]), budget=str(e["budget"]), funded="0",
                 awarded="0", paid="0", returned="0", opens_at=e["opensAt"],
                 closes_at=e["closesAt"], decision_deadline=e["decisionDeadline"],
                 closed=False)  # fmt: skip


@fund.on("RoundFunded")
def round_funded(store: Store, e: Event) -> None:
    store.add(schema.rounds, {"round_id": str(e["roundId"])}, funded=e["amount"])


@fund.on("RoundClosed")
def round_closed(store: Store, e: Event) -> None:
    store.update(schema.rounds, {"round_id": str(e["roundId"])}, closed=True)


@fund.on("FundsReturned")
def funds_returned(store: Store, e: Event) -> None:
    store.add(schema.rounds, {"round_id": str(e["roundId"])}, returned=e["amount"])


@fund.on("ApplicationSubmitted")
def application_submitted(store: Store, e: Event) -> None:
    store.insert(schema.applications, app_id=str(e["appId"]), round_id=str(e["roundId"]),
                 subject=e["subject"], amount=str(e["amount"]), status="submitted",
                 paid="0")  # fmt: skip


@fund.on("AwardMade")
def award_made(store: Store, e: Event) -> None:
    store.update(schema.applications, {"app_id": str(e["appId"])}, status="awarded",
                 amount=str(e["amount"]))  # fmt: skip
    store.add(schema.rounds, {"round_id": str(e["roundId"])}, awarded=e["amount"])


def paid(kind: str) -> Handler:
    """A milestone or rent payment: a payout row, and the application's and round's totals."""

    def handle(store: Store, e: Event) -> None:
        app_id = str(e["appId"])
        application = store.get(schema.applications, app_id=app_id)
        round_id = application["round_id"] if application else ""
        store.insert(schema.payouts, block=e.block, log_index=e.log_index, app_id=app_id,
                     round_id=round_id, kind=kind, payee=e["payee"], amount=str(e["amount"]),
                     time=e.time, tx_hash=e.tx_hash)  # fmt: skip
        store.add(schema.applications, {"app_id": app_id}, paid=e["amount"])
        if application:
            store.add(schema.rounds, {"round_id": round_id}, paid=e["amount"])

    return handle


@fund.on("AwardClawedBack")
def award_clawed_back(store: Store, e: Event) -> None:
    app_id = str(e["appId"])
    application = store.get(schema.applications, app_id=app_id)
    store.update(schema.applications, {"app_id": app_id}, status="clawed back")
    if application:
        store.add(schema.rounds, {"round_id": application["round_id"]}, awarded=-e["released"])


fund.statuses(schema.applications, "app_id", "appId", ApplicationApproved="approved",
              ApplicationRejected="rejected", AwardCompleted="completed")  # fmt: skip
fund.on("MilestonePaid")(paid("milestone"))
fund.on("RentPaid")(paid("rent"))

HANDLERS = (fund,)
