"""Gas of every property operation (receipts' gas_used), printed as a table (`pytest -s`) and
held under ceilings so a regression shows up as a failure."""

from __future__ import annotations

from typing import Any

from eth_utils import keccak

from civic_ledger.property.tax import sign_permit

from .helpers import DAY, accept_sale, parcel_data

# Every property contract runs behind a CityProxy (issue #20): each call pays the proxy's
# DELEGATECALL and its cold implementation slot (~4.7k for each proxied contract a transaction
# touches: the title registry's approval also enters the lien registry and the tax module), the
# former immutables (identity/title registries, token, treasury) are storage reads (2,100 each
# when cold), and self-checked functions ask the AccessManager whether the target is closed
# (`whenOpen` / `whenNotClosed`, ~7k cold). The ceilings below were raised only where those
# costs pushed an operation over (the previous ceiling in each comment).
CEILINGS = {
    "register (single)": 260_000,
    "registerBatch x100 (per parcel)": 175_000,
    "proposeSale": 250_000,
    # + one new slot (the accepted encumbrance hash, 22,100) and the lien registry's hash
    "acceptSale": 100_000,  # was 80,000 (73.4k before the proxies, 93.2k after)
    "acceptSale (1 lien answered)": 110_000,  # was 95,000 (83.4k -> 103.3k)
    "approveSale (no liens)": 210_000,  # was 190,000 (167.0k -> 196.4k: three proxies)
    "approveSale (1 lien discharged)": 230_000,
    "cancelSale": 65_000,  # was 60,000 (44.4k -> 59.2k)
    "proposeLien": 210_000,  # was 200,000 (174.4k -> 199.0k)
    "consentLien": 130_000,  # was 120,000 (98.6k -> 123.7k)
    "recordLienByOrder": 250_000,
    "consentToSale": 100_000,  # was 90,000 (66.8k -> 91.0k)
    "releaseLien": 85_000,  # was 60,000 (48.7k -> 78.1k: also the title registry's hook)
    "orderRelease": 80_000,  # was 60,000 (55.3k -> 74.8k: idem)
    "assess": 180_000,
    "pay (after approve)": 140_000,
    "payWithPermit": 170_000,
    "split into 2": 600_000,
    "merge 2": 460_000,
}


def test_gas_table(suite, parties, registrar, assessor, fund, chain):
    titles, liens, tax, token = (
        suite["TitleRegistry"], suite["LienRegistry"], suite["PropertyTax"], suite["CityToken"],
    )  # fmt: skip
    alice, bob, bank = parties["alice"], parties["bob"], parties["bank"]
    gas: dict[str, int] = {}

    def record(name: str, receipt: Any, per: int = 1) -> None:
        gas[name] = receipt.gas_used // per

    data = parcel_data(area=1_000)
    pid = data[0]
    record("register (single)", titles.register(alice.subject, data, sender=registrar))
    batch = [parcel_data() for _ in range(100)]
    record(
        "registerBatch x100 (per parcel)",
        titles.registerBatch([alice.subject] * 100, batch, sender=registrar),
        per=100,
    )

    deed = keccak(text="deed")
    record("proposeSale", titles.proposeSale(pid, bob.subject, 1, deed, sender=alice.account))
    sale = titles.openSaleOf(pid)
    record("cancelSale", titles.cancelSale(sale, sender=bob.account))
    titles.proposeSale(pid, bob.subject, 1, deed, sender=alice.account)
    sale = titles.openSaleOf(pid)
    record("acceptSale", accept_sale(titles, liens, sale, bob.account))
    record("approveSale (no liens)", titles.approveSale(sale, sender=registrar))

    other = batch[0][0]
    record(
        "proposeLien",
        liens.proposeLien(other, bank.subject, 5, keccak(text="loan"), sender=bank.account),
    )
    lien = liens.lienCount()
    record("consentLien", liens.consentLien(lien, sender=alice.account))
    record("releaseLien", liens.releaseLien(lien, sender=bank.account))
    record(
        "recordLienByOrder",
        liens.recordLienByOrder(other, bank.subject, 5, keccak(text="order"), sender=registrar),
    )
    lien = liens.lienCount()
    record("orderRelease", liens.orderRelease(lien, keccak(text="court"), sender=registrar))
    liens.recordLienByOrder(other, bank.subject, 5, keccak(text="order 2"), sender=registrar)
    lien = liens.lienCount()
    titles.proposeSale(other, bob.subject, 1, deed, sender=alice.account)
    sale = titles.openSaleOf(other)
    record("consentToSale", liens.consentToSale(lien, sale, True, sender=bank.account))
    record("acceptSale (1 lien answered)", accept_sale(titles, liens, sale, bob.account))
    record("approveSale (1 lien discharged)", titles.approveSale(sale, sender=registrar))

    taxed = batch[1][0]
    due = chain.pending_timestamp + 30 * DAY
    record("assess", tax.assess(taxed, 2026, 10**18, due, sender=assessor))
    tax.assess(taxed, 2027, 10**18, due, sender=assessor)
    fund(alice.account, 10 * 10**18)
    token.approve(tax, 10**18, sender=alice.account)
    record("pay (after approve)", tax.pay(taxed, 2026, sender=alice.account))
    deadline = chain.pending_timestamp + DAY
    v, r, s = sign_permit(token, alice.account, tax.address, 10**18, deadline)
    record("payWithPermit", tax.payWithPermit(taxed, 2027, deadline, v, r, s, sender=alice.account))

    halves = [parcel_data(area=batch[2][2] // 2), parcel_data(area=batch[2][2] - batch[2][2] // 2)]
    record("split into 2", titles.split(batch[2][0], halves, sender=registrar))
    merged = parcel_data(area=batch[3][2] + batch[4][2])
    record("merge 2", titles.merge([batch[3][0], batch[4][0]], merged, sender=registrar))

    print("\n  operation                          gas")
    for name, used in gas.items():
        print(f"  {name:<34} {used:>9,}")
    over = {name: (used, CEILINGS[name]) for name, used in gas.items() if used > CEILINGS[name]}
    assert not over, over
    assert set(gas) == set(CEILINGS)
