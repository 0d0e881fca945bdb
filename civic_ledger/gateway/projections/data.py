"""The directory of data resources, requests and grants (a granted request's id is its grant
id), deletions and anchored receipt batches, as DataExchange says."""

from __future__ import annotations

from functools import partial

from civic_ledger.gateway import schema
from civic_ledger.gateway.projections import Event, Handlers, status_change
from civic_ledger.gateway.store import Store

DATA = "DataExchange"
data = Handlers(DATA)


@data.on("ResourceRegistered")
def resource_registered(store: Store, e: Event) -> None:
    store.insert(schema.data_resources, resource_id=e["resourceId"], owner_role=e["ownerRole"],
                 sharing=e["sharing"], personal=e["personal"],
                 deletion_period=e["deletionPeriod"], mandate_hash=e["mandateHash"],
                 description_hash=e["descriptionHash"], versions=0, retired=False)  # fmt: skip


@data.on("ResourceVersionAdded")
def version_added(store: Store, e: Event) -> None:
    store.update(schema.data_resources, {"resource_id": e["resourceId"]}, versions=e["version"])


@data.on("ResourceRetired")
def resource_retired(store: Store, e: Event) -> None:
    store.update(schema.data_resources, {"resource_id": e["resourceId"]}, retired=True)


@data.on("DataRequested")
def data_requested(store: Store, e: Event) -> None:
    store.insert(schema.data_requests, request_id=e["requestId"], resource_id=e["resourceId"],
                 recipient_role=e["recipientRole"], subject=e["subject"], purpose=e["purpose"],
                 basis=e["basis"], legal_basis_hash=e["legalBasisHash"], requested_by=e.actor,
                 requested_at=e.time, status="requested")  # fmt: skip


@data.on("ReceiptsAnchored")
def receipts_anchored(store: Store, e: Event) -> None:
    store.insert(schema.receipt_batches, root=e["root"], agency_role=e["agencyRole"],
                 operator=e["operator"], leaf_count=e["leafCount"], time=e.time,
                 tx_hash=e.tx_hash)  # fmt: skip


request_status = partial(status_change, schema.data_requests, "request_id", "grantId")
data.on("GrantIssued")(request_status("granted", expires_at="expiresAt"))
data.on("RequestDenied")(status_change(schema.data_requests, "request_id", "requestId", "denied"))
data.on("GrantRevoked")(request_status("revoked"))
data.on("DeletionRequested")(request_status("deletion asked", deletion_due="dueAt"))
data.on("DeletionConfirmed")(request_status("deleted", deletion_overdue="overdue"))

HANDLERS = (data,)
