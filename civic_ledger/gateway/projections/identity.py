"""Identities, schemas, records and disputes, as IdentityRegistry and RecordRegistry say.

The record columns follow the contract's `Record` struct rule by rule (issuance, supersession,
revocation, dispute stays and outcomes), so `verify` computed from them agrees with
`RecordRegistry.verifyCertificate` - the gateway's tests compare the two after every run.
"""

from __future__ import annotations

from civic_ledger.gateway import schema
from civic_ledger.gateway.projections import Event, Handler, Handlers
from civic_ledger.gateway.store import Store

IDENTITY, RECORDS = "IdentityRegistry", "RecordRegistry"
ACTIVE = 1  # IIdentityRegistry.Status.Active
OPEN, UPHELD = 1, 2  # IRecordRegistry.DisputeStatus
SUPERSEDED = 3  # revocation reason code: replaced by the record named in the reason hash
identity = Handlers(IDENTITY)
records = Handlers(RECORDS)


@identity.on("IdentityRegistered")
def identity_registered(store: Store, e: Event) -> None:
    store.insert(schema.identities, subject=e["subject"], kind=e["kind"], status=ACTIVE,
                 controller=e["controller"], registered_at=e.time)  # fmt: skip


@identity.on("IdentityStatusChanged")
def identity_status_changed(store: Store, e: Event) -> None:
    store.update(schema.identities, {"subject": e["subject"]}, status=e["to"])


@identity.on("ControllerRotated", "RecoveryCompleted")
def controller_changed(store: Store, e: Event) -> None:
    store.update(schema.identities, {"subject": e["subject"]}, controller=e["newController"])


@records.on("SchemaRegistered")
def schema_registered(store: Store, e: Event) -> None:
    store.insert(schema.schemas, schema_id=e["schemaId"], name=e["name"],
                 field_layout=e["fieldLayout"], issuer_role=e["issuerRole"],
                 revocable=e["revocable"], adverse=e["adverse"],
                 default_validity=e["defaultValidity"], dispute_stay=0, active=True,
                 certificate=False)  # fmt: skip


def schema_changed(column: str, argument: str) -> Handler:
    def handle(store: Store, e: Event) -> None:
        store.update(schema.schemas, {"schema_id": e["schemaId"]}, **{column: e[argument]})

    return handle


@records.on("RecordIssued")
def record_issued(store: Store, e: Event) -> None:
    store.insert(schema.records, record_id=e["recordId"], subject=e["subject"],
                 schema_id=e["schemaId"], issuer=e["issuer"], evidence_hash=e["evidenceHash"],
                 data=e["data"], issued_at=e.time, issued_tx=e.tx_hash,
                 expires_at=e["expiresAt"], supersedes=e["supersedes"], revoked_at=0,
                 certificate_reason=0, dispute=0, stay_until=0, decided_tx=e.tx_hash)  # fmt: skip


@records.on("RecordRevoked")
def record_revoked(store: Store, e: Event) -> None:
    key = {"record_id": e["recordId"]}
    record = store.get(schema.records, **key)
    if record is None:
        return
    certificate = store.get(schema.schemas, schema_id=record["schema_id"])
    changes = dict(revoked_at=e.time, revoke_code=e["reasonCode"], stay_until=0,
                   revoke_reason_hash=e["reasonHash"], revoke_tx=e.tx_hash, decided_tx=e.tx_hash)  # fmt: skip
    if certificate and certificate["certificate"]:
        changes["certificate_reason"] = e["reasonCode"]
    if e["reasonCode"] == SUPERSEDED:
        changes["superseded_by"] = e["reasonHash"]
    store.update(schema.records, key, **changes)


@records.on("RecordDisputed")
def record_disputed(store: Store, e: Event) -> None:
    key = {"record_id": e["recordId"]}
    changes: dict[str, object] = {"dispute": OPEN, "decided_tx": e.tx_hash}
    if e["stayUntil"]:
        changes["stay_until"] = e["stayUntil"]
    store.update(schema.records, key, **changes)
    values = dict(subject=e["subject"], raised_by=e.actor, opened_at=e.time,
                  evidence_hash=e["evidenceHash"], status=OPEN, resolved_by=None,
                  resolved_at=None, ruling_hash=None)  # fmt: skip
    if not store.update(schema.disputes, key, **values):
        store.insert(schema.disputes, **key, **values)


@records.on("DisputeStayGranted")
def stay_granted(store: Store, e: Event) -> None:
    store.update(schema.records, {"record_id": e["recordId"]}, stay_until=e["until"])


@records.on("DisputeStayLapsed")
def stay_lapsed(store: Store, e: Event) -> None:
    store.update(schema.records, {"record_id": e["recordId"]}, stay_until=0)


@records.on("DisputeResolved")
def dispute_resolved(store: Store, e: Event) -> None:
    key = {"record_id": e["recordId"]}
    changes: dict[str, object] = {"dispute": e["outcome"], "decided_tx": e.tx_hash}
    if e["outcome"] == UPHELD:
        changes["stay_until"] = 0
    store.update(schema.records, key, **changes)
    store.update(schema.disputes, key, status=e["outcome"], resolved_by=e.actor,
                 resolved_at=e.time, ruling_hash=e["rulingHash"])  # fmt: skip


records.on("SchemaActiveSet")(schema_changed("active", "active"))
records.on("DisputeStaySet")(schema_changed("dispute_stay", "stay"))
records.on("CertificateSchemaSet")(schema_changed("certificate", "certificate"))

HANDLERS = (
    identity,
    records,
)
