"""Parcels with their chain of title, sales, liens and tax years, as TitleRegistry,
LienRegistry and PropertyTax say. Owners are identity commitments and lien holders agency
commitments: nothing personal."""

from __future__ import annotations

from civic_ledger.core.encoding import ZERO_ADDRESS
from civic_ledger.gateway import schema
from civic_ledger.gateway.projections import Event, Handlers
from civic_ledger.gateway.store import Store, json_text

TITLES, LIENS, TAX = "TitleRegistry", "LienRegistry", "PropertyTax"
titles = Handlers(TITLES)
liens = Handlers(LIENS)
tax = Handlers(TAX)


def _history(store: Store, e: Event, parcel_id: str, owner: str | None, **detail: object) -> None:
    store.insert(schema.title_history, block=e.block, log_index=e.log_index, parcel_id=parcel_id,
                 time=e.time, tx_hash=e.tx_hash, event=e.name, owner=owner,
                 detail=json_text(detail))  # fmt: skip


@titles.on("ParcelRegistered")
def parcel_registered(store: Store, e: Event) -> None:
    parcel = str(e["parcelId"])
    store.insert(schema.parcels, parcel_id=parcel, owner=e["owner"], data_hash=e["dataHash"],
                 area=str(e["area"]), land_use=e["landUse"], registered_at=e.time, retired=False,
                 holder=store.scratch.pop(("holder", parcel), None))  # fmt: skip
    _history(store, e, parcel, e["owner"])


@titles.on("Transfer")
def title_transferred(store: Store, e: Event) -> None:
    """ERC-721 Transfer: the token's holder (the owner's controller wallet)."""
    parcel = str(e["tokenId"])
    holder = None if e["to"] == ZERO_ADDRESS else e["to"]
    if e["from"] == ZERO_ADDRESS:  # a mint: the parcel's ParcelRegistered follows
        store.scratch[("holder", parcel)] = holder
    else:
        store.update(schema.parcels, {"parcel_id": parcel}, holder=holder)


@titles.on("HolderSynced")
def holder_synced(store: Store, e: Event) -> None:
    store.update(schema.parcels, {"parcel_id": str(e["parcelId"])}, holder=e["to"])


@titles.on("ParcelSplit")
def parcel_split(store: Store, e: Event) -> None:
    parent = str(e["parentId"])
    store.update(schema.parcels, {"parcel_id": parent}, retired=True)
    _history(store, e, parent, None, children=[str(c) for c in e["childIds"]])


@titles.on("ParcelsMerged")
def parcels_merged(store: Store, e: Event) -> None:
    merged = str(e["parcelId"])
    for parent in (str(p) for p in e["parentIds"]):
        store.update(schema.parcels, {"parcel_id": parent}, retired=True)
        _history(store, e, parent, None, merged_into=merged)


@titles.on("SaleProposed")
def sale_proposed(store: Store, e: Event) -> None:
    store.insert(schema.sales, sale_id=str(e["saleId"]), parcel_id=str(e["parcelId"]),
                 seller=e["seller"], buyer=e["buyer"], price=str(e["price"]),
                 deed_hash=e["deedHash"], status="proposed")  # fmt: skip


@titles.on("SaleApproved")
def sale_approved(store: Store, e: Event) -> None:
    sale_id, parcel = str(e["saleId"]), str(e["parcelId"])
    store.update(schema.sales, {"sale_id": sale_id}, status="completed")
    store.update(schema.parcels, {"parcel_id": parcel}, owner=e["buyer"])
    sale = store.get(schema.sales, sale_id=sale_id)
    _history(store, e, parcel, e["buyer"], sale_id=sale_id, seller=e["seller"],
             price=sale["price"] if sale else None)  # fmt: skip


@liens.on("LienProposed")
def lien_proposed(store: Store, e: Event) -> None:
    store.insert(schema.liens, lien_id=str(e["lienId"]), parcel_id=str(e["parcelId"]),
                 holder=e["holder"], amount=str(e["amount"]), status="proposed",
                 by_order=False, evidence_hash=e["evidenceHash"])  # fmt: skip


@liens.on("LienRecorded")
def lien_recorded(store: Store, e: Event) -> None:
    key = {"lien_id": str(e["lienId"])}
    values = dict(holder=e["holder"], amount=str(e["amount"]), status="recorded",
                  by_order=e["byOrder"])  # fmt: skip
    if not store.update(schema.liens, key, **values):
        store.insert(
            schema.liens, **key, parcel_id=str(e["parcelId"]), evidence_hash=None, **values
        )


@tax.on("TaxAssessed")
def tax_assessed(store: Store, e: Event) -> None:
    key = {"parcel_id": str(e["parcelId"]), "year": e["year"]}
    values = dict(amount=str(e["amount"]), due_date=e["dueDate"], status="assessed", paid_at=None)
    if not store.update(schema.tax_years, key, **values):
        store.insert(schema.tax_years, **key, **values)


@tax.on("TaxPaid")
def tax_paid(store: Store, e: Event) -> None:
    key = {"parcel_id": str(e["parcelId"]), "year": e["year"]}
    store.update(schema.tax_years, key, status="paid", paid_at=e.time)


@tax.on("TaxVoided")
def tax_voided(store: Store, e: Event) -> None:
    store.update(schema.tax_years, {"parcel_id": str(e["parcelId"]), "year": e["year"]},
                 status="voided")  # fmt: skip


titles.statuses(schema.sales, "sale_id", "saleId", SaleAccepted="accepted",
                SaleAcceptanceVoided="proposed", SaleCancelled="cancelled",
                SaleRejected="rejected")  # fmt: skip
liens.statuses(schema.liens, "lien_id", "lienId", LienReleased="released",
               LienWithdrawn="withdrawn")  # fmt: skip

HANDLERS = (
    titles,
    liens,
    tax,
)
