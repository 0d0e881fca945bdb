"""Identities, schemas, records and disputes, as IdentityRegistry and RecordRegistry say.

The record columns follow the contract's `Record` struct rule by rule (issuance, supersession,
revocation, dispute stays and outcomes), so `verify` computed from them agrees with
`RecordRegistry.verifyCertificate` - the gateway's tests compare the two after every run.
"""

from __future__ import annotations

from civic_ledger.gateway import schema
from civic_ledger.gateway.projections import Event, Handler
from civic_ledger.gateway.store import Store

IDENTITY, RECORDS = "IdentityRegistry", "RecordRegistry"
ACTIVE = 1  # IIdentityRegistry.Status.Active
OPEN, UPHELD = 1, 2  # IRecordRegistry.DisputeStatus
SUPERSEDED = 3  # revocation reason code: replaced by the record named in the reason hash


def identity_registered(store: Store, e: Event) -> None:
    store.insert(schema.identities, subject=e["subject"], kind=e["kind"], status=ACTIVE,
                 controller=e["controller"], registered_at=e.time)  # fmt: skip


def identity_status_changed(store: Store, e: Event) -> None:
    store.update(schema.identities, {"subject": e["subject"]}, status=e["to"])


def controller_changed(store: Store, e: Event) -> None:
    store.update(schema.identities, {"subject": e["subject"]}, controller=e["newController"])


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


def record_issued(store: Store, e: Event) -> None:
    store.insert(schema.records, record_id=e["recordId"], subject=e["subject"],
                 schema_id=e["schemaId"], issuer=e["issuer"], evidence_hash=e["evidenceHash"],
                 data=e["data"], issued_at=e.time, issued_tx=e.tx_hash,
                 expires_at=e["expiresAt"], supersedes=e["supersedes"], revoked_at=0,
                 certificate_reason=0, dispute=0, stay_until=0, decided_tx=e.tx_hash)  # fmt: skip


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


def stay_granted(store: Store, e: Event) -> None:
    store.update(schema.records, {"record_id": e["recordId"]}, stay_until=e["until"])


def stay_lapsed(store: Store, e: Event) -> None:
    store.update(schema.records, {"record_id": e["recordId"]}, stay_until=0)


def dispute_resolved(store: Store, e: Event) -> None:
    key = {"record_id": e["recordId"]}
    changes: dict[str, object] = {"dispute": e["outcome"], "decided_tx": e.tx_hash}
    if e["outcome"] == UPHELD:
        changes["stay_until"] = 0
    store.update(schema.records, key, **changes)
    store.update(schema.disputes, key, status=e["outcome"], resolved_by=e.actor,
                 resolved_at=e.time, ruling_hash=e["rulingHash"])  # fmt: skip


HANDLERS: dict[tuple[str, str], Handler] = {
    (IDENTITY, "IdentityRegistered"): identity_registered,
    (IDENTITY, "IdentityStatusChanged"): identity_status_changed,
    (IDENTITY, "ControllerRotated"): controller_changed,
    (IDENTITY, "RecoveryCompleted"): controller_changed,
    (RECORDS, "SchemaRegistered"): schema_registered,
    (RECORDS, "SchemaActiveSet"): schema_changed("active", "active"),
    (RECORDS, "DisputeStaySet"): schema_changed("dispute_stay", "stay"),
    (RECORDS, "CertificateSchemaSet"): schema_changed("certificate", "certificate"),
    (RECORDS, "RecordIssued"): record_issued,
    (RECORDS, "RecordRevoked"): record_revoked,
    (RECORDS, "RecordDisputed"): record_disputed,
    (RECORDS, "DisputeStayGranted"): stay_granted,
    (RECORDS, "DisputeStayLapsed"): stay_lapsed,
    (RECORDS, "DisputeResolved"): dispute_resolved,
}
