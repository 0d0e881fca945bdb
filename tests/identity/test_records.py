"""RecordRegistry issuance and revocation: who may issue what about whom, expiry rules,
supersession, batches, the bounded live set, paged views — and every unauthorised caller."""

from __future__ import annotations

import ape

from civic_ledger.clients import records as rec_client
from civic_ledger.clients.records import RecordRequest, issued_record_ids

from .helpers import DAY, SUSPENDED, YEAR, ZERO32, evidence, subject_for

REASON = b"CASE-1".ljust(32, b"\x00")
NEVER = 2**64 - 1


def test_issue_stores_the_record_and_names_issuer_and_operator(records, schemas, alice, tax_bureau):
    request = RecordRequest(
        schema_id=schemas.tax_ok,
        subject=alice.subject,
        evidence_hash=evidence("return-2025"),
        evidence_uri="ipfs://bafy/return-2025",
        data=(2025).to_bytes(32, "big"),
    )
    receipt = records.issue(request.as_tuple(), sender=tax_bureau)
    [record_id] = issued_record_ids(records, receipt)
    now = ape.chain.blocks.head.timestamp

    r = records.getRecord(record_id)
    assert r.subject == alice.subject
    assert r.schemaId == schemas.tax_ok
    assert r.issuer == tax_bureau.address
    assert r.issuedAt == now
    assert r.expiresAt == now + YEAR  # the schema's default validity
    assert r.revokedAt == 0
    assert r.evidenceHash == evidence("return-2025")
    # URI and data are committed to by hash and logged in RecordIssued, not stored
    uri, data = "ipfs://bafy/return-2025", (2025).to_bytes(32, "big")
    assert bytes(r.contentHash) == rec_client.content_hash(uri, data)
    assert bytes(r.contentHash) == bytes(records.contentHash(uri, data))
    assert rec_client.issued_content(records, record_id) == (uri, data)
    assert records.isValid(record_id)
    assert records.recordCount() == 1
    assert rec_client.records_of(records, alice.subject) == [record_id]
    assert list(records.liveRecordsOf(alice.subject, schemas.tax_ok)) == [record_id]
    assert records.validUntil(alice.subject, schemas.tax_ok) == now + YEAR
    [event] = records.RecordIssued.from_receipt(receipt)
    assert (event.issuer, event.operator, event.schemaId) == (
        tax_bureau.address,
        tax_bureau.address,
        schemas.tax_ok,
    )


def test_unknown_record_is_not_valid(records):
    assert not records.isValid(ZERO32)
    assert not records.isValid(evidence("nothing"))


def test_schema_without_default_validity_never_expires(records, schemas, alice, issue):
    record_id = issue(schemas.licence, alice.subject)
    assert records.getRecord(record_id).expiresAt == 0
    assert records.validUntil(alice.subject, schemas.licence) == NEVER
    ape.chain.pending_timestamp += 50 * YEAR
    ape.chain.mine()
    assert records.isValid(record_id)


def test_only_the_schema_issuer_role_may_issue(records, schemas, alice, agency, outsider):
    request = RecordRequest(
        schema_id=schemas.tax_penalty, subject=alice.subject, evidence_hash=evidence("x")
    )
    callers = [outsider, alice.account] + [
        agency[name]
        for name in (
            "market_regulator",
            "court",
            "data_bureau",
            "identity_office",
            "arbitration_office",
            "emergency_guardian",
            "deployer",
        )
    ]
    for caller in callers:
        with ape.reverts(records.RecordUnauthorizedIssuer, account=caller.address):
            records.issue(request.as_tuple(), sender=caller)
        with ape.reverts(records.RecordUnauthorizedIssuer, account=caller.address):
            records.issueBatch([request.as_tuple()], sender=caller)
    assert records.recordCount() == 0


def test_issuer_role_with_execution_delay_cannot_issue(
    records, manager, schemas, alice, agency, citizens
):
    delayed = citizens[3]
    manager.grantRole(20, delayed, 3600, sender=agency["deployer"])
    request = RecordRequest(schema_id=schemas.tax_ok, subject=alice.subject)
    with ape.reverts(records.RecordUnauthorizedIssuer):
        records.issue(request.as_tuple(), sender=delayed)


def test_second_member_of_the_issuer_role_may_issue_and_revoke(
    records, manager, schemas, alice, agency, citizens, issue
):
    colleague = citizens[3]
    manager.grantRole(20, colleague, 0, sender=agency["deployer"])
    record_id = issue(schemas.tax_ok, alice.subject)
    records.revoke(record_id, "filed in error", sender=colleague)
    assert not records.isValid(record_id)


def test_issue_input_rules(records, identity, office, schemas, alice, tax_bureau, court):
    def req(**kw):
        base = dict(
            schema_id=schemas.tax_penalty, subject=alice.subject, evidence_hash=evidence("e")
        )
        base.update(kw)
        return RecordRequest(**base).as_tuple()

    now = ape.chain.pending_timestamp
    with ape.reverts(records.RecordUnknownSchema):
        records.issue(req(schema_id=99), sender=tax_bureau)
    with ape.reverts(records.RecordSubjectNotActive):
        records.issue(req(subject=subject_for("ghost")), sender=tax_bureau)
    with ape.reverts(records.RecordMissingEvidence):
        records.issue(req(evidence_hash=ZERO32), sender=tax_bureau)
    with ape.reverts(records.RecordInvalidExpiry):
        records.issue(req(expires_at=now - 10), sender=tax_bureau)
    with ape.reverts(records.RecordInvalidExpiry):  # adverse: at most the default validity
        records.issue(req(expires_at=now + 3 * YEAR + DAY), sender=tax_bureau)
    with ape.reverts(records.RecordInputTooLong):
        records.issue(req(data=b"\x01" * 1025), sender=tax_bureau)
    with ape.reverts(records.RecordInputTooLong):
        records.issue(req(evidence_uri="u" * 257), sender=tax_bureau)
    # non-adverse records may carry no evidence and any future expiry
    records.issue(
        req(schema_id=schemas.tax_ok, evidence_hash=ZERO32, expires_at=now + 10 * YEAR),
        sender=tax_bureau,
    )
    identity.setStatus(alice.subject, SUSPENDED, REASON, sender=office)
    with ape.reverts(records.RecordSubjectNotActive):
        records.issue(req(schema_id=schemas.judgment), sender=court)


def test_revoke_by_the_issuer_role(records, schemas, alice, tax_bureau, issue):
    record_id = issue(schemas.tax_penalty, alice.subject)
    receipt = records.revoke(record_id, "paid in full", sender=tax_bureau)
    r = records.getRecord(record_id)
    assert r.revokedAt == ape.chain.blocks.head.timestamp
    assert not records.isValid(record_id)
    assert list(records.liveRecordsOf(alice.subject, schemas.tax_penalty)) == []
    assert records.validUntil(alice.subject, schemas.tax_penalty) == 0
    [event] = records.RecordRevoked.from_receipt(receipt)
    assert (event.recordId, event.reason, event.operator) == (
        record_id,
        "paid in full",
        tax_bureau.address,
    )
    with ape.reverts(records.RecordAlreadyRevoked):
        records.revoke(record_id, "again", sender=tax_bureau)


def test_only_the_issuer_role_may_revoke(records, schemas, alice, agency, outsider, issue):
    record_id = issue(schemas.tax_penalty, alice.subject)
    callers = [outsider, alice.account] + [
        agency[name]
        for name in (
            "market_regulator",
            "court",
            "data_bureau",
            "identity_office",
            "arbitration_office",
            "emergency_guardian",
            "deployer",
        )
    ]
    for caller in callers:
        with ape.reverts(records.RecordUnauthorizedIssuer, account=caller.address):
            records.revoke(record_id, "nope", sender=caller)
        with ape.reverts(records.RecordUnauthorizedIssuer, account=caller.address):
            records.revokeBatch([record_id], "nope", sender=caller)
    assert records.isValid(record_id)


def test_revoke_rules(records, schemas, alice, tax_bureau, court, issue):
    judgment = issue(schemas.judgment, alice.subject)
    with ape.reverts(records.RecordNotRevocable):
        records.revoke(judgment, "changed my mind", sender=court)
    with ape.reverts(records.RecordUnknown):
        records.revoke(evidence("nope"), "x", sender=tax_bureau)
    record_id = issue(schemas.tax_ok, alice.subject)
    with ape.reverts(records.RecordInputTooLong):
        records.revoke(record_id, "r" * 257, sender=tax_bureau)
    assert records.isValid(judgment) and records.isValid(record_id)


def test_revoking_keeps_other_live_records_counting(records, schemas, alice, tax_bureau, issue):
    now = ape.chain.pending_timestamp
    short = issue(schemas.tax_ok, alice.subject, expires_at=now + 10 * DAY)
    long = issue(schemas.tax_ok, alice.subject, expires_at=now + 100 * DAY)
    assert records.validUntil(alice.subject, schemas.tax_ok) == now + 100 * DAY
    records.revoke(long, "error", sender=tax_bureau)
    assert records.validUntil(alice.subject, schemas.tax_ok) == now + 10 * DAY
    assert records.hasValidRecord(alice.subject, schemas.tax_ok)
    records.revoke(short, "error", sender=tax_bureau)
    assert not records.hasValidRecord(alice.subject, schemas.tax_ok)


# --------------------------------------------------------------------------------------------
# supersession
# --------------------------------------------------------------------------------------------


def test_supersede_replaces_the_old_record(records, schemas, alice, tax_bureau, issue):
    old = issue(schemas.tax_ok, alice.subject)
    request = RecordRequest(schema_id=schemas.tax_ok, subject=alice.subject, supersedes=old)
    receipt = records.issue(request.as_tuple(), sender=tax_bureau)
    [new] = issued_record_ids(records, receipt)

    assert not records.isValid(old) and records.isValid(new)
    assert records.getRecord(old).supersededBy == new
    assert records.getRecord(new).supersedes == old
    assert list(records.liveRecordsOf(alice.subject, schemas.tax_ok)) == [new]
    [revoked] = records.RecordRevoked.from_receipt(receipt)
    assert (revoked.recordId, revoked.reason, revoked.operator) == (
        old,
        "superseded",
        tax_bureau.address,
    )


def test_supersede_rules(records, schemas, alice, bob, tax_bureau, court, issue):
    alice_ok = issue(schemas.tax_ok, alice.subject)
    bob_ok = issue(schemas.tax_ok, bob.subject)
    penalty = issue(schemas.tax_penalty, alice.subject)

    def sup(schema, subject, target, sender=tax_bureau):
        request = RecordRequest(
            schema_id=schema, subject=subject, supersedes=target, evidence_hash=evidence("s")
        )
        return records.issue(request.as_tuple(), sender=sender)

    with ape.reverts(records.RecordSupersedeMismatch):  # another subject
        sup(schemas.tax_ok, alice.subject, bob_ok)
    with ape.reverts(records.RecordSupersedeMismatch):  # another schema
        sup(schemas.tax_penalty, alice.subject, alice_ok)
    with ape.reverts(records.RecordUnknown):
        sup(schemas.tax_ok, alice.subject, evidence("ghost"))
    records.revoke(penalty, "paid", sender=tax_bureau)
    with ape.reverts(records.RecordAlreadyRevoked):
        sup(schemas.tax_penalty, alice.subject, penalty)
    judgment = issue(schemas.judgment, alice.subject)
    with ape.reverts(records.RecordNotRevocable):
        sup(schemas.judgment, alice.subject, judgment, sender=court)
    assert records.isValid(alice_ok) and records.isValid(bob_ok) and records.isValid(judgment)


# --------------------------------------------------------------------------------------------
# batches, live-set bound, paging
# --------------------------------------------------------------------------------------------


def test_issue_and_revoke_batches(records, schemas, alice, bob, tax_bureau):
    requests = [
        RecordRequest(schema_id=schemas.tax_ok, subject=s, data=(2020 + i).to_bytes(32, "big"))
        for i, s in enumerate([alice.subject, bob.subject, alice.subject])
    ]
    receipt = records.issueBatch([r.as_tuple() for r in requests], sender=tax_bureau)
    ids = issued_record_ids(records, receipt)
    assert len(set(ids)) == 3 and all(records.isValid(i) for i in ids)
    assert rec_client.records_of(records, alice.subject) == [ids[0], ids[2]]
    receipt = records.revokeBatch(ids[:2], "bulk correction", sender=tax_bureau)
    assert [e.recordId for e in records.RecordRevoked.from_receipt(receipt)] == ids[:2]
    assert [records.isValid(i) for i in ids] == [False, False, True]


def test_batches_are_bounded_and_atomic(records, schemas, alice, tax_bureau, issue):
    with ape.reverts(records.RecordInvalidBatchSize):
        records.issueBatch([], sender=tax_bureau)
    with ape.reverts(records.RecordInvalidBatchSize):
        records.revokeBatch([], "x", sender=tax_bureau)
    too_many = [RecordRequest(schema_id=schemas.tax_ok, subject=alice.subject).as_tuple()] * 51
    with ape.reverts(records.RecordInvalidBatchSize):
        records.issueBatch(too_many, sender=tax_bureau)
    with ape.reverts(records.RecordInvalidBatchSize):
        records.revokeBatch([evidence(str(i)) for i in range(51)], "x", sender=tax_bureau)
    # one bad entry (unknown subject) reverts the whole batch
    mixed = [
        RecordRequest(schema_id=schemas.tax_ok, subject=alice.subject).as_tuple(),
        RecordRequest(schema_id=schemas.tax_ok, subject=subject_for("ghost")).as_tuple(),
    ]
    with ape.reverts(records.RecordSubjectNotActive):
        records.issueBatch(mixed, sender=tax_bureau)
    assert records.recordCount() == 0
    good = issue(schemas.tax_ok, alice.subject)
    with ape.reverts(records.RecordUnknown):
        records.revokeBatch([good, evidence("ghost")], "x", sender=tax_bureau)
    assert records.isValid(good)


def test_live_set_is_capped_and_prunes_expired(records, schemas, alice, tax_bureau, issue):
    cap = records.MAX_LIVE_RECORDS()
    now = ape.chain.pending_timestamp
    short = [issue(schemas.tax_ok, alice.subject, expires_at=now + DAY) for _ in range(cap // 2)]
    for _ in range(cap - len(short)):
        issue(schemas.tax_ok, alice.subject)
    with ape.reverts(records.RecordTooManyLive):
        issue(schemas.tax_ok, alice.subject)
    # once the short ones have expired they are pruned to make room
    ape.chain.pending_timestamp = now + DAY + 1
    fresh = issue(schemas.tax_ok, alice.subject)
    live = list(records.liveRecordsOf(alice.subject, schemas.tax_ok))
    assert len(live) == cap - len(short) + 1
    assert fresh in live and not set(short) & set(live)
    assert records.hasValidRecord(alice.subject, schemas.tax_ok)
    # revoking frees a slot too
    for _ in range(len(short) - 1):
        issue(schemas.tax_ok, alice.subject)
    with ape.reverts(records.RecordTooManyLive):
        issue(schemas.tax_ok, alice.subject)
    records.revoke(fresh, "duplicate", sender=tax_bureau)
    issue(schemas.tax_ok, alice.subject)


def test_records_of_lists_issue_order_from_events(records, schemas, alice, bob, issue):
    ids = []
    for i in range(7):
        ids.append(issue(schemas.licence if i % 2 else schemas.tax_ok, alice.subject))
        if i == 3:
            bobs = issue(schemas.tax_ok, bob.subject)
    assert rec_client.records_of(records, alice.subject) == ids
    assert rec_client.records_of(records, bob.subject) == [bobs]


def test_empty_uri_and_data_store_no_content_hash(records, schemas, alice, tax_bureau):
    request = RecordRequest(schema_id=schemas.tax_ok, subject=alice.subject)
    [record_id] = issued_record_ids(records, records.issue(request.as_tuple(), sender=tax_bureau))
    assert bytes(records.getRecord(record_id).contentHash) == b"\x00" * 32
    assert rec_client.issued_content(records, record_id) == ("", b"")
