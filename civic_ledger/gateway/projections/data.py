"""The directory of data resources, requests and grants (a granted request's id is its grant
id), deletions and anchored receipt batches, as DataExchange says."""

from __future__ import annotations

from civic_ledger.gateway import schema
from civic_ledger.gateway.projections import Event, Handlers
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


@data.on("GrantIssued")
def grant_issued(store: Store, e: Event) -> None:
    store.update(schema.data_requests, {"request_id": e["grantId"]}, status="granted",
                 expires_at=e["expiresAt"])  # fmt: skip


@data.on("RequestDenied")
def request_denied(store: Store, e: Event) -> None:
    store.update(schema.data_requests, {"request_id": e["requestId"]}, status="denied")


@data.on("GrantRevoked")
def grant_revoked(store: Store, e: Event) -> None:
    store.update(schema.data_requests, {"request_id": e["grantId"]}, status="revoked")


@data.on("DeletionRequested")
def deletion_requested(store: Store, e: Event) -> None:
    store.update(schema.data_requests, {"request_id": e["grantId"]}, status="deletion asked",
                 deletion_due=e["dueAt"])  # fmt: skip


@data.on("DeletionConfirmed")
def deletion_confirmed(store: Store, e: Event) -> None:
    store.update(schema.data_requests, {"request_id": e["grantId"]}, status="deleted",
                 deletion_overdue=e["overdue"])  # fmt: skip


@data.on("ReceiptsAnchored")
def receipts_anchored(store: Store, e: Event) -> None:
    store.insert(schema.receipt_batches, root=e["root"], agency_role=e["agencyRole"],
                 operator=e["operator"], leaf_count=e["leafCount"], time=e.time,
                 tx_hash=e.tx_hash)  # fmt: skip


HANDLERS = (data,)
