"""Client helpers for PropertyTax: assess, pay (allowance or EIP-2612 permit), status.
Transactions take the keywords `sender` and `transact` (`civic_ledger.core.transact`)."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_account import Account

from civic_ledger.core.eip712 import sign_typed, typed_message
from civic_ledger.core.encoding import DIGITS, UINT64_MAX, shown, to_bytes32
from civic_ledger.core.times import end_of_day
from civic_ledger.core.transact import Transact, direct
from civic_ledger.property.titles import from_units, parcel_ref

PERMIT_TTL = 3600


# Mirror of IPropertyTax.TaxStatus, in declaration order.
TaxStatus = IntEnum("TaxStatus", "NONE DUE OVERDUE PAID VOIDED", start=0)


@dataclass(frozen=True)
class AssessmentInfo:
    """One year's assessment of a parcel and its status now (`PropertyTax.statusOf`)."""

    parcel_id: int
    year: int
    amount: int
    due_date: int
    settled_at: int
    status: TaxStatus


def parse_due(value: str, now: int) -> int:
    """A due date, unix seconds or YYYY-MM-DD (end of that day, UTC), after `now` (the contract
    refuses any other) and within uint64: a clerk's `--due` and a tax roll's column alike;
    ValueError naming the problem."""
    value = value.strip()
    if DIGITS.fullmatch(value):
        if len(value) > 20 or int(value) > UINT64_MAX:
            raise ValueError(f"due date {shown(value)} is too far in the future")
        due = int(value)
    else:
        try:
            day = dt.date.fromisoformat(value) if len(value) <= 30 else None
        except ValueError:
            day = None
        if day is None:
            raise ValueError(f"due date {shown(value)}: expected YYYY-MM-DD or unix seconds")
        due = end_of_day(day)
    if due <= now:
        raise ValueError(f"due date {value} is not in the future")
    return due


def assessment(tax: Any, parcel_id: int, year: int) -> AssessmentInfo:
    a = tax.assessmentOf(parcel_id, year)
    return AssessmentInfo(
        parcel_id, year, int(a.amount), int(a.dueDate), int(a.settledAt),
        TaxStatus(int(tax.statusOf(parcel_id, year))),
    )  # fmt: skip


def status(tax: Any, parcel_id: int, years: list[int] | None = None) -> list[AssessmentInfo]:
    """Assessments of `parcel_id`: the given years, else every unpaid one."""
    wanted = years if years else sorted(int(y) for y in tax.openYearsOf(parcel_id))
    return [assessment(tax, parcel_id, y) for y in wanted]


def assess(
    tax: Any, parcel_id: int, year: int, amount: int, due_date: int,
    *, sender: Any, transact: Transact = direct,
) -> Any:  # fmt: skip
    label = f"assessed parcel {parcel_ref(parcel_id)} for {year}"
    return transact(label, tax.assess, parcel_id, year, amount, due_date, sender=sender)


def void(
    tax: Any, parcel_id: int, year: int, reason_hash: bytes,
    *, sender: Any, transact: Transact = direct,
) -> Any:  # fmt: skip
    label = f"voided {year} assessment of parcel {parcel_ref(parcel_id)}"
    reason = to_bytes32(reason_hash)
    return transact(label, tax.voidAssessment, parcel_id, year, reason, sender=sender)


def pay(
    tax: Any, token: Any, parcel_id: int, year: int,
    *, permit: bool = False, sender: Any, transact: Transact = direct,
) -> Any:  # fmt: skip
    """Pays the assessment from `sender`'s tokens. With `permit`, signs an EIP-2612 permit
    (one transaction; needs the account's key, e.g. a test or unlocked keystore account);
    otherwise approves the exact amount first when the allowance is short. Nothing is signed
    — no approval either — unless the assessment is open and `sender` holds the amount
    (`payable_amount`)."""
    amount = payable_amount(tax, token, parcel_id, year, str(sender.address))
    if permit:
        deadline = int(time.time()) + PERMIT_TTL
        chain_now = _chain_time()
        deadline = max(deadline, chain_now + PERMIT_TTL)
        signature = sign_permit(token, sender, str(tax.address), amount, deadline)
        label = f"paid {year} tax of parcel {parcel_ref(parcel_id)} (permit)"
        return transact(
            label, tax.payWithPermit, parcel_id, year, deadline, *signature, sender=sender
        )
    if int(token.allowance(sender.address, tax.address)) < amount:
        transact("approved the tax payment", token.approve, tax.address, amount, sender=sender)
    return transact(
        f"paid {year} tax of parcel {parcel_ref(parcel_id)}",
        tax.pay,
        parcel_id,
        year,
        sender=sender,
    )


def payable_amount(tax: Any, token: Any, parcel_id: int, year: int, payer: str) -> int:
    """The amount `payer` would pay for `parcel_id`'s `year`; ValueError naming why not when
    the assessment is unknown, already paid or voided, or `payer`'s balance is short."""
    info = assessment(tax, parcel_id, year)
    parcel = parcel_ref(parcel_id)
    if info.status is TaxStatus.NONE:
        raise ValueError(f"parcel {parcel} has no assessment for {year}")
    if info.status in (TaxStatus.PAID, TaxStatus.VOIDED):
        raise ValueError(
            f"the {year} assessment of parcel {parcel} is already {info.status.name.lower()}; "
            "nothing to pay"
        )
    balance = int(token.balanceOf(payer))
    if balance < info.amount:
        decimals, symbol = int(token.decimals()), token.symbol()
        raise ValueError(
            f"{payer} holds {from_units(balance, decimals)} {symbol}, less than the "
            f"{from_units(info.amount, decimals)} {symbol} of the {year} assessment of parcel "
            f"{parcel}"
        )
    return info.amount


#: EIP-2612's Permit (OpenZeppelin ERC20Permit's typehash)
PERMIT_TYPE = "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"


def sign_permit(
    token: Any, owner: Any, spender: str, value: int, deadline: int
) -> tuple[int, bytes, bytes]:
    """An EIP-2612 permit signature of `owner` for `spender`."""
    from ape import networks

    typed = typed_message(
        PERMIT_TYPE,
        (owner.address, spender, value, int(token.nonces(owner.address)), deadline),
        chain_id=networks.provider.chain_id, contract=str(token.address),
        domain_name=token.name(), version="1",
    )  # fmt: skip
    key = getattr(owner, "private_key", None)
    if key is not None:
        signed = Account.sign_typed_data(key, full_message=typed)
        return signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")
    signature = sign_typed(owner, typed)
    return signature.v, bytes(signature.r), bytes(signature.s)


def _chain_time() -> int:
    from ape import chain

    return int(chain.pending_timestamp)
