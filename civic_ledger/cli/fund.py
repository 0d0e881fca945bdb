"""`ape run admin fund ...`: the fund manager, the treasury, enterprises, the fund committee and
the guardian running a grant round.

Every command that sends a transaction signs with `--account` (an Ape account alias, or TEST::N
on a local chain) and reads contract addresses from the deployment manifest of `--network` (or
`--manifest`). Amounts are in whole tokens ("2500.50"); times are unix seconds, durations from
now ("14d", "12h") or ISO dates; proposals, evidence and reasons are documents: @PATH hashes the
file, text:TEXT hashes the text, 0x + 64 hex digits is the hash as is (documents stay off chain).

A round, start to finish:

    round-create -> fund -> apply -> vote (M members) -> award
      research/project: milestone-submit -> milestone-approve (M members: pays)
      rent:             rent-checkin (anyone, every month the firm is eligible) -> pay-rent
    clawback (M members) -> close (after the decision deadline) -> status

Rent is owed for a month only if the firm was eligible at a check-in during that month
(`rent-checkin`, or `pay-rent`, which checks the current month in); `rent-due` shows what is
payable, forfeitable and whether the current month is checked in. Committee members vote only
through the person identity they control; `conflict-set` (fund manager) and `conflict-declare`
(a member) keep the register of interests.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from civic_ledger.cli.common import (
    DOCUMENT_FORMS,
    EVIDENCE,
    UINT256,
    F,
    Suite,
    chain_time,
    command,
    identity_subject,
    load_account,
    parse_amount,
    parse_document,
    reason_option,
    token_text,
)
from civic_ledger.cli.output import console, send
from civic_ledger.core.encoding import UINT64_MAX, format_time
from civic_ledger.core.names import GRANT_FUND, MANAGER, TOKEN
from civic_ledger.fund import client as fund_client

# --------------------------------------------------------------------------------- plumbing


class _Context:
    """The deployed fund and token, and the signer, for one command."""

    def __init__(self, manifest_file: Path | None, account_alias: str | None = None) -> None:
        self.suite = Suite(manifest_file)
        self.fund = self.suite[GRANT_FUND]
        self.token = self.suite[TOKEN]
        self.sender = None if account_alias is None else load_account(account_alias)
        self.decimals = int(self.token.decimals())

    def units(self, amount: str, hint: str = "--amount") -> int:
        return parse_amount(amount, self.decimals, hint)

    def tokens(self, units: int) -> str:
        return token_text(self.suite, units)

    def act(self, action: Callable[..., Any], *args: Any) -> Any:
        """`action(fund, *args, sender=signer)`, each transaction sent (and reported) by `send`."""
        return action(self.fund, *args, sender=self.sender, transact=send)


def _time(value: str, now: int, hint: str) -> int:
    """A point in time that fits the contracts' uint64 timestamps."""
    try:
        moment = fund_client.parse_when(value, now)
    except (ValueError, OverflowError) as exc:
        raise click.BadParameter(str(exc), param_hint=hint) from None
    if not 0 <= moment <= UINT64_MAX:
        raise click.BadParameter(f"time {value!r} is out of range", param_hint=hint)
    return moment


def _milestone(value: str, now: int, decimals: int) -> tuple[int, int]:
    """`AMOUNT@DUE` -> (base units, due time), both range-checked."""
    amount, sep, due = value.partition("@")
    if not sep or not amount.strip() or not due.strip():
        raise click.BadParameter(
            f"milestone {value!r}: expected AMOUNT@DUE, e.g. 50000@90d", param_hint="--milestone"
        )
    return parse_amount(amount, decimals, "--milestone"), _time(due, now, "--milestone")


def _decision(kind: str, decision: fund_client.Decision) -> str:
    tally = f"{decision.approvals} yes / {decision.rejections} no"
    return f"{kind}: {tally} - {decision.decided}" if decision.decided else f"{kind}: {tally}"


def _on(name: str, *numbers: str, signs: bool = True) -> Callable[[F], F]:
    """`fund NAME` taking the uint256 arguments `numbers` (round_id, app_id, index) first."""

    def wrap(func: F) -> F:
        for number in reversed(numbers):
            func = click.argument(number, type=UINT256)(func)
        return command(fund, name, signs=signs)(func)

    return wrap


# --------------------------------------------------------------------------------- commands


@click.group()
def fund() -> None:
    """Grant fund: rounds, applications, committee decisions, payouts, clawbacks."""


@command(fund, "round-create")
@click.option("--name", required=True, help="Public name of the round.")
@click.option(
    "--kind", type=click.Choice(list(fund_client.KIND_NAMES)), required=True,
    help="rent (monthly subsidy) | research | project (milestones).",
)  # fmt: skip
@click.option("--policy", "policy_id", type=UINT256, required=True, help="Eligibility policy id.")
@click.option("--budget", required=True, help="Budget in tokens (caps deposits).")
@click.option("--opens", default="0s", show_default=True, help="Applications open (time).")
@click.option("--closes", required=True, help="Applications close (e.g. 14d, 2027-03-31).")
@click.option("--decide-by", required=True, help="Decision deadline (e.g. 21d, 2027-04-15).")
def round_create(
    account_alias: str, manifest_file: Path | None, name: str, kind: str, policy_id: int,
    budget: str, opens: str, closes: str, decide_by: str,
) -> None:  # fmt: skip
    """Open a grant round (fund manager)."""
    ctx, now = _Context(manifest_file, account_alias), chain_time()
    round_id = ctx.act(
        fund_client.create_round, name, fund_client.parse_kind(kind), policy_id,
        ctx.units(budget, "--budget"), _time(opens, now, "--opens"), _time(closes, now, "--closes"),
        _time(decide_by, now, "--decide-by"),
    )  # fmt: skip
    console.print(f"round {round_id}")


@_on("fund", "round_id")
@click.option("--amount", required=True, help="Tokens to deposit.")
def fund_round(account_alias: str, manifest_file: Path | None, round_id: int, amount: str) -> None:
    """Deposit tokens into a round (treasurer, or anyone): approves the fund if needed."""
    ctx = _Context(manifest_file, account_alias)
    units = ctx.units(amount)
    # The deposit is two transactions (approve, then fundRound): check what would make the
    # second one fail before the first is sent, so a refusal leaves no stray approval.
    info = ctx.fund.getRound(round_id)  # reverts for an unknown round
    if info.closed:
        raise click.ClickException(f"round {round_id} is closed")
    room = int(info.budget) - int(info.deposited)
    if units == 0:
        raise click.BadParameter("the deposit must be more than 0", param_hint="--amount")
    if units > room:
        raise click.BadParameter(
            f"{ctx.tokens(units)} exceeds what round {round_id} can still take "
            f"({ctx.tokens(room)} of its budget)",
            param_hint="--amount",
        )
    balance = int(ctx.token.balanceOf(ctx.sender))
    if units > balance:
        raise click.BadParameter(
            f"{ctx.sender.address} holds {ctx.tokens(balance)}, less than the deposit",
            param_hint="--amount",
        )
    fund_client.fund_round(ctx.fund, ctx.token, round_id, units, sender=ctx.sender, transact=send)
    console.print(f"round {round_id}: {ctx.tokens(ctx.fund.availableOf(round_id))} available")


@_on("apply", "round_id")
@click.option("--proposal", required=True, help=f"Proposal document ({DOCUMENT_FORMS}).")
@click.option(
    "--milestone", "milestones", multiple=True, metavar="AMOUNT@DUE",
    help="Research/project rounds, repeatable: tokens @ due time (e.g. 50000@90d).",
)  # fmt: skip
@click.option("--monthly", help="Rent rounds: tokens per month.")
@click.option("--months", type=click.IntRange(1, 60), help="Rent rounds: number of months.")
@click.option(
    "--lease",
    help=f"Rent rounds: the lease document subsidised ({DOCUMENT_FORMS}); a lease backs one "
    "rent subsidy at a time, across rounds.",
)
def apply(
    account_alias: str, manifest_file: Path | None, round_id: int, proposal: str,
    milestones: tuple[str, ...], monthly: str | None, months: int | None, lease: str | None,
) -> None:  # fmt: skip
    """An enterprise applies to a round (signed by its controller)."""
    ctx = _Context(manifest_file, account_alias)
    # Every value is parsed before the chain is asked anything about the round.
    proposal_hash, now = parse_document(proposal, "--proposal"), chain_time()
    lease_hash = parse_document(lease, "--lease") if lease is not None else None
    plan = [_milestone(m, now, ctx.decimals) for m in milestones]
    monthly_units = ctx.units(monthly, "--monthly") if monthly is not None else None
    kind = fund_client.RoundKind(int(ctx.fund.getRound(round_id).kind))
    if kind is fund_client.RoundKind.RENT:
        if milestones or monthly_units is None or months is None or lease_hash is None:
            raise click.UsageError(
                "rent rounds take --monthly, --months and --lease (no --milestone)"
            )
        holder, reserved = ctx.fund.leaseHolder(lease_hash)
        if reserved:
            raise click.BadParameter(
                f"this lease already backs application {int(holder)} (a live rent application "
                "or an active rent award)",
                param_hint="--lease",
            )
        app_id = ctx.act(
            fund_client.apply_for_rent, round_id, proposal_hash, lease_hash, monthly_units, months
        )
    else:
        if not milestones or monthly is not None or months is not None or lease is not None:
            raise click.UsageError(f"{kind.name.lower()} rounds take --milestone AMOUNT@DUE")
        app_id = ctx.act(fund_client.apply_for_grant, round_id, proposal_hash, plan)
    console.print(f"application {app_id}")


@_on("vote", "app_id")
@click.option("--approve/--reject", "support", required=True, help="Vote to approve or to reject.")
def vote(account_alias: str, manifest_file: Path | None, app_id: int, support: bool) -> None:
    """A committee member votes on an application (M approvals approve it, M rejections
    reject it)."""
    ctx = _Context(manifest_file, account_alias)
    decision = ctx.act(fund_client.vote, app_id, support)
    console.print(_decision(f"application {app_id}", decision))


@_on("award", "app_id")
def award(account_alias: str, manifest_file: Path | None, app_id: int) -> None:
    """Turn an approved application into an award (anyone; reserves the round's budget)."""
    ctx = _Context(manifest_file, account_alias)
    amount = ctx.act(fund_client.award, app_id)
    console.print(f"award {app_id}: {ctx.tokens(amount)} reserved")


@_on("milestone-submit", "app_id", "index")
@click.option("--evidence", required=True, help=f"Deliverable ({DOCUMENT_FORMS}).")
def milestone_submit(
    account_alias: str, manifest_file: Path | None, app_id: int, index: int, evidence: str
) -> None:
    """The grantee submits evidence for milestone INDEX (0-based) of award APP_ID."""
    ctx = _Context(manifest_file, account_alias)
    deliverable = parse_document(evidence, "--evidence")
    submission = ctx.act(fund_client.submit_milestone, app_id, index, deliverable)
    console.print(f"milestone {index} of award {app_id}: submission {submission}")


@_on("milestone-approve", "app_id", "index")
@click.option("--reject", is_flag=True, help="Vote to reject the submission instead.")
def milestone_approve(
    account_alias: str, manifest_file: Path | None, app_id: int, index: int, reject: bool
) -> None:
    """A committee member votes on a milestone submission; the M-th yes pays it."""
    ctx = _Context(manifest_file, account_alias)
    decision = ctx.act(fund_client.vote_milestone, app_id, index, not reject)
    console.print(_decision(f"milestone {index} of award {app_id}", decision))
    if decision.paid:
        console.print(f"paid {ctx.tokens(decision.paid)} to the grantee")
    elif decision.decided == "approved":
        console.print("[yellow]payment deferred[/] (fund paused or grantee not eligible): "
                      f"run `milestone-pay {app_id} {index}` later")  # fmt: skip


@_on("milestone-pay", "app_id", "index")
def milestone_pay(account_alias: str, manifest_file: Path | None, app_id: int, index: int) -> None:
    """Pay an approved milestone whose payment was deferred (anyone)."""
    ctx = _Context(manifest_file, account_alias)
    amount = ctx.act(fund_client.pay_milestone, app_id, index)
    console.print(f"paid {ctx.tokens(amount)}")


def _rent_state(ctx: _Context, app_id: int) -> None:
    """The current month's check-in and any payment waiting for the grantee's identity."""
    due = fund_client.rent_due(ctx.fund, app_id)
    term = int(ctx.fund.getApplication(app_id).months)
    if due.waiting_months:
        console.print(
            f"[yellow]{due.waiting_months} checked-in month(s) waiting[/]: the enterprise's "
            "identity is not active; they are paid once it is (nothing is forfeited)"
        )
    if term and due.current_month < term:
        month = f"month {due.current_month + 1} (current, until {format_time(due.next_due_at, seconds=False)})"
        if due.current_checked_in:
            console.print(f"{month}: checked in")
        else:
            console.print(
                f"{month}: [yellow]not checked in[/] - run `rent-checkin {app_id}` while the "
                "enterprise is eligible, or the month is forfeited when it ends"
            )


@_on("rent-checkin", "app_id")
def rent_checkin(account_alias: str, manifest_file: Path | None, app_id: int) -> None:
    """Record that a rent grantee is eligible now, for the current month (anyone; also while
    the fund is paused). Rent is owed only for months with such a check-in."""
    ctx = _Context(manifest_file, account_alias)
    month = ctx.act(fund_client.record_rent_eligibility, app_id)
    console.print(f"award {app_id}: month {month + 1} checked in")


@_on("pay-rent", "app_id")
def pay_rent(account_alias: str, manifest_file: Path | None, app_id: int) -> None:
    """Settle the rent months of an award that can be settled now (anyone): checked-in months
    are paid, months that ended without a check-in are forfeited to the round."""
    ctx = _Context(manifest_file, account_alias)
    outcome = ctx.act(fund_client.pay_rent, app_id)
    runs = [(r, True) for r in outcome.paid] + [(r, False) for r in outcome.forfeited]
    for run, paid in sorted(runs, key=lambda item: item[0].first_month):
        if paid:
            console.print(f"{run.label}: paid {ctx.tokens(run.amount)} to {outcome.payee}")
        else:
            console.print(f"[yellow]{run.label}: forfeited[/] - no eligibility check-in during "
                          f"the month; {ctx.tokens(run.amount)} released to the round")  # fmt: skip
    _rent_state(ctx, app_id)


@_on("rent-due", "app_id", signs=False)
def rent_due(manifest_file: Path | None, app_id: int) -> None:
    """What `pay-rent` would pay and forfeit now, and the current month's check-in."""
    ctx = _Context(manifest_file)
    status = fund_client.AwardStatus(int(ctx.fund.getAward(app_id).status))
    if status is not fund_client.AwardStatus.ACTIVE or not int(
        ctx.fund.getApplication(app_id).months
    ):
        raise click.ClickException(f"application {app_id} is not an active rent award")
    due = fund_client.rent_due(ctx.fund, app_id)
    console.print(f"payable now: {due.payable_months} month(s), {ctx.tokens(due.payable_amount)}")
    console.print(
        f"forfeitable now: {due.forfeitable_months} month(s), "
        f"{ctx.tokens(due.forfeitable_amount)} (ended without an eligibility check-in)"
    )
    console.print("eligible now: " + ("yes" if due.eligible_now else "[yellow]no[/]"))
    _rent_state(ctx, app_id)


@_on("clawback", "app_id")
@reason_option(f"The finding behind the clawback ({DOCUMENT_FORMS}).")
def clawback(account_alias: str, manifest_file: Path | None, app_id: int, reason: str) -> None:
    """A committee member votes to claw an award back; the M-th vote releases its unpaid rest."""
    ctx = _Context(manifest_file, account_alias)
    decision = ctx.act(fund_client.clawback, app_id, parse_document(reason, EVIDENCE))
    console.print(_decision(f"clawback of award {app_id}", decision))
    if decision.decided:
        console.print(f"{ctx.tokens(decision.released)} released to the round")


@command(fund, "conflict-set")
@click.argument("member")
@click.argument("subject")
@click.option("--clear", is_flag=True, help="Remove the entry instead of recording it.")
def conflict_set(
    account_alias: str, manifest_file: Path | None, member: str, subject: str, clear: bool
) -> None:
    """Record in the register of interests that the committee member MEMBER (its identity, or
    its wallet) may not vote on matters of SUBJECT (identity or controller) - fund manager."""
    ctx = _Context(manifest_file, account_alias)
    member_subject = identity_subject(ctx.suite, member, "MEMBER")
    subject_id = identity_subject(ctx.suite, subject, "SUBJECT")
    ctx.act(fund_client.set_conflict, member_subject, subject_id, not clear)
    state = "conflicted" if ctx.fund.isConflicted(member_subject, subject_id) else "not conflicted"
    console.print(f"{member_subject.hex()[:8]}… / {subject_id.hex()[:8]}…: {state}")


@command(fund, "conflict-declare")
@click.argument("subject")
def conflict_declare(account_alias: str, manifest_file: Path | None, subject: str) -> None:
    """A committee member recuses itself from every matter of SUBJECT (identity or controller).
    Only the fund manager can lift it again."""
    ctx = _Context(manifest_file, account_alias)
    subject_id = identity_subject(ctx.suite, subject, "SUBJECT")
    ctx.act(fund_client.declare_conflict, subject_id)
    console.print(f"recused from matters of 0x{subject_id.hex()}")


@_on("close", "round_id")
def close(account_alias: str, manifest_file: Path | None, round_id: int) -> None:
    """Close a round after its decision deadline; unspent budget returns to the treasury."""
    ctx = _Context(manifest_file, account_alias)
    returned = ctx.act(fund_client.close_round, round_id)
    console.print(f"round {round_id} closed: {ctx.tokens(returned)} returned to the treasury")


@_on("sweep", "round_id")
def sweep(account_alias: str, manifest_file: Path | None, round_id: int) -> None:
    """Return money released in a closed round (clawbacks, forfeits) to the treasury (anyone)."""
    ctx = _Context(manifest_file, account_alias)
    returned = ctx.act(fund_client.sweep, round_id)
    console.print(f"{ctx.tokens(returned)} returned to the treasury")


@command(fund, "pause")
def pause(account_alias: str, manifest_file: Path | None) -> None:
    """Stop every outflow of the fund (guardian)."""
    ctx = _Context(manifest_file, account_alias)
    send("paused the grant fund", ctx.fund.pause, sender=ctx.sender)


@command(fund, "unpause")
def unpause(account_alias: str, manifest_file: Path | None) -> None:
    """Resume outflows (admin: the guardian can only stop them)."""
    ctx = _Context(manifest_file, account_alias)
    send("unpaused the grant fund", ctx.fund.unpause, sender=ctx.sender)


@_on("status", "round_id", signs=False)
def status(manifest_file: Path | None, round_id: int) -> None:
    """A readable table of a round's money and of every application in it."""
    ctx = _Context(manifest_file)
    info = fund_client.status(ctx.fund, round_id)
    t = ctx.tokens
    state = "closed" if info.closed else "open"
    stopped = fund_client.stopped(ctx.fund, ctx.suite[MANAGER])
    console.print(
        f"[bold]round {info.round_id}: {info.name}[/] · {info.kind.name.lower()} · "
        f"policy {info.policy_id} · {state}"
    )
    console.print(
        f"applications {format_time(info.opens_at, seconds=False)} → {format_time(info.closes_at, seconds=False)} · "
        f"decisions by {format_time(info.decision_deadline, seconds=False)}"
        + (f"  [yellow](fund {stopped})[/]" if stopped else "")
    )
    money = Table("", "tokens", title="money", show_header=False)
    for label, value, note in (
        ("budget", info.budget, "cap on deposits"),
        ("deposited", info.deposited, ""),
        ("awarded", info.committed, "net of forfeits and clawbacks"),
        ("paid", info.paid, "to grantees"),
        ("owed", info.owed, "awarded, not yet paid"),
        ("available", info.available, "funded, not awarded"),
        ("returned", info.returned, "to the treasury"),
        ("held", info.held, "in the fund for this round"),
    ):
        money.add_row(label, t(value), f"[dim]{note}[/]")
    money.columns[1].justify = "right"
    console.print(money)
    if not info.lines:
        console.print("no applications yet")
        return
    apps = Table("app", "enterprise", "status", "amount", "paid", "owed", "progress",
                 title="applications")  # fmt: skip
    for column in apps.columns[3:6]:
        column.justify = "right"
    for line in info.lines:
        apps.add_row(
            str(line.app_id), f"{line.subject[:8]}…", line.status, t(line.amount), t(line.paid),
            t(line.owed), line.progress,
        )  # fmt: skip
    console.print(apps)
