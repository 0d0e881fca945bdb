"""RecordRegistry issuance and revocation: who may issue what about whom, expiry rules,
supersession, batches, the bounded live set, paged views — and every unauthorised caller."""

from __future__ import annotations

import ape
from reverts import reverts

from civic_ledger.access.roles import RoleId
from civic_ledger.core.encoding import NEVER, ZERO32
from civic_ledger.identity import records as rec_client
from civic_ledger.identity.client import Status
from civic_ledger.identity.records import RecordRequest, RevocationReason, issued_record_ids

from .helpers import DAY, YEAR, blank_data, callers, evidence, subject_for, word

REASON = b"CASE-1".ljust(32, b"\x00")
# every agency but the tax bureau, which issues the tax schemas
NOT_TAX_ISSUERS = (
    "market_regulator court data_bureau identity_office arbitration_office emergency_guardian"
    " deployer"
)


def test_issue_stores_the_record_and_names_issuer_and_operator(records, schemas, alice, tax_bureau):
    request = RecordRequest(
        schema_id=schemas.tax_ok,
        subject=alice.subject,
        evidence_hash=evidence("return-2025"),
        data=word(2025),
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
    assert (r.revokedAt, r.stayUntil, r.dispute) == (0, 0, 0)
    assert r.evidenceHash == evidence("return-2025")
    # the data (typed, checked against the layout) is logged in RecordIssued, not stored
    assert rec_client.issued_data(records, record_id) == word(2025)
    assert rec_client.get_record(records, record_id).fields == {"year": 2025}
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
        schema_id=schemas.tax_penalty, subject=alice.subject, evidence_hash=evidence("x"),
        data=word(1),
    )  # fmt: skip
    for caller in callers(agency, NOT_TAX_ISSUERS, outsider, alice.account):
        with reverts("RecordUnauthorizedIssuer", account=caller.address):
            records.issue(request.as_tuple(), sender=caller)
        with reverts("RecordUnauthorizedIssuer", account=caller.address):
            records.issueBatch([request.as_tuple()], sender=caller)
    assert records.recordCount() == 0


def test_issuer_role_with_execution_delay_cannot_issue(
    records, manager, schemas, alice, agency, citizens
):
    delayed = citizens[3]
    manager.grantRole(RoleId.TAX_RECORD_ISSUER, delayed, 3600, sender=agency["deployer"])
    request = RecordRequest(schema_id=schemas.tax_ok, subject=alice.subject, data=word(2025))
    with reverts("RecordUnauthorizedIssuer"):
        records.issue(request.as_tuple(), sender=delayed)


def test_second_member_of_the_issuer_role_may_issue_and_revoke(
    records, manager, schemas, alice, agency, citizens, issue
):
    colleague = citizens[3]
    manager.grantRole(20, colleague, 0, sender=agency["deployer"])
    record_id = issue(schemas.tax_ok, alice.subject)
    records.revoke(record_id, RevocationReason.ISSUED_IN_ERROR, ZERO32, sender=colleague)
    assert not records.isValid(record_id)


def test_issue_input_rules(records, identity, office, schemas, alice, tax_bureau, court):
    def req(**kw):
        base = dict(
            schema_id=schemas.tax_penalty,
            subject=alice.subject,
            evidence_hash=evidence("e"),
            data=word(100),
        )
        base.update(kw)
        return RecordRequest(**base).as_tuple()

    now = ape.chain.pending_timestamp
    with reverts("RecordUnknownSchema"):
        records.issue(req(schema_id=99), sender=tax_bureau)
    with reverts("RecordSubjectNotActive"):
        records.issue(req(subject=subject_for("ghost")), sender=tax_bureau)
    with reverts("RecordMissingEvidence"):
        records.issue(req(evidence_hash=ZERO32), sender=tax_bureau)
    with reverts("RecordInvalidExpiry"):
        records.issue(req(expires_at=now - 10), sender=tax_bureau)
    with reverts("RecordInvalidExpiry"):  # adverse: at most the default validity
        records.issue(req(expires_at=now + 3 * YEAR + DAY), sender=tax_bureau)
    # the data must be exactly one word per layout field
    with reverts("RecordDataMismatch", schemaId=schemas.tax_penalty, fieldIndex=1):
        records.issue(req(data=b"\x01" * 1025), sender=tax_bureau)
    with reverts("RecordDataMismatch", fieldIndex=1):
        records.issue(req(data=b""), sender=tax_bureau)
    with reverts("RecordDataMismatch", fieldIndex=1):
        records.issue(req(data=word(1)[:31]), sender=tax_bureau)
    with reverts("RecordDataMismatch", schemaId=schemas.tax_ok, fieldIndex=0):
        records.issue(req(schema_id=schemas.tax_ok, data=word(70_000)), sender=tax_bureau)
    with reverts("RecordDataMismatch", schemaId=schemas.judgment, fieldIndex=0):
        records.issue(req(schema_id=schemas.judgment, data=word(1)), sender=court)
    # non-adverse records may carry no evidence and any future expiry
    records.issue(
        req(
            schema_id=schemas.tax_ok,
            evidence_hash=ZERO32,
            data=word(65_535),
            expires_at=now + 10 * YEAR,
        ),
        sender=tax_bureau,
    )
    identity.setStatus(alice.subject, Status.SUSPENDED, REASON, sender=office)
    with reverts("RecordSubjectNotActive"):
        records.issue(req(schema_id=schemas.judgment, data=b""), sender=court)


def test_revoke_by_the_issuer_role(records, schemas, alice, tax_bureau, issue):
    record_id = issue(schemas.tax_penalty, alice.subject)
    receipt = records.revoke(
        record_id, RevocationReason.REMEDIED, evidence("receipt"), sender=tax_bureau
    )
    r = records.getRecord(record_id)
    assert r.revokedAt == ape.chain.blocks.head.timestamp
    assert not records.isValid(record_id)
    assert list(records.liveRecordsOf(alice.subject, schemas.tax_penalty)) == []
    assert records.validUntil(alice.subject, schemas.tax_penalty) == 0
    [event] = records.RecordRevoked.from_receipt(receipt)
    assert (event.recordId, event.reasonCode, event.reasonHash, event.operator) == (
        record_id,
        RevocationReason.REMEDIED,
        evidence("receipt"),
        tax_bureau.address,
    )
    with reverts("RecordAlreadyRevoked"):
        records.revoke(record_id, RevocationReason.ISSUED_IN_ERROR, ZERO32, sender=tax_bureau)


def test_only_the_issuer_role_may_revoke(records, schemas, alice, agency, outsider, issue):
    record_id = issue(schemas.tax_penalty, alice.subject)
    for caller in callers(agency, NOT_TAX_ISSUERS, outsider, alice.account):
        with reverts("RecordUnauthorizedIssuer", account=caller.address):
            records.revoke(record_id, RevocationReason.ISSUED_IN_ERROR, ZERO32, sender=caller)
        with reverts("RecordUnauthorizedIssuer", account=caller.address):
            records.revokeBatch(
                [record_id], RevocationReason.ISSUED_IN_ERROR, ZERO32, sender=caller
            )
    assert records.isValid(record_id)


def test_revoke_rules(records, schemas, alice, tax_bureau, court, issue):
    judgment = issue(schemas.judgment, alice.subject)
    with reverts("RecordNotRevocable"):
        records.revoke(judgment, RevocationReason.ISSUED_IN_ERROR, ZERO32, sender=court)
    with reverts("RecordUnknown"):
        records.revoke(
            evidence("nope"), RevocationReason.ISSUED_IN_ERROR, ZERO32, sender=tax_bureau
        )
    record_id = issue(schemas.tax_ok, alice.subject)
    # reasons are codes: issuers give 1, 2 or 5 (3 and 4 are the registry's own)
    for code in (0, RevocationReason.SUPERSEDED, RevocationReason.OVERTURNED, 6, 2**16 - 1):
        with reverts("RecordInvalidReasonCode", reasonCode=code):
            records.revoke(record_id, code, evidence("r"), sender=tax_bureau)
        with reverts("RecordInvalidReasonCode", reasonCode=code):
            records.revokeBatch([record_id], code, evidence("r"), sender=tax_bureau)
    with reverts("RecordMissingEvidence"):  # "other" needs its document
        records.revoke(record_id, RevocationReason.OTHER, ZERO32, sender=tax_bureau)
    assert records.isValid(judgment) and records.isValid(record_id)
    receipt = records.revoke(record_id, RevocationReason.OTHER, evidence("memo"), sender=tax_bureau)
    [event] = records.RecordRevoked.from_receipt(receipt)
    assert (event.reasonCode, event.reasonHash) == (RevocationReason.OTHER, evidence("memo"))


def test_revoking_keeps_other_live_records_counting(records, schemas, alice, tax_bureau, issue):
    now = ape.chain.pending_timestamp
    short = issue(schemas.tax_ok, alice.subject, expires_at=now + 10 * DAY)
    long = issue(schemas.tax_ok, alice.subject, expires_at=now + 100 * DAY)
    assert records.validUntil(alice.subject, schemas.tax_ok) == now + 100 * DAY
    records.revoke(long, RevocationReason.ISSUED_IN_ERROR, ZERO32, sender=tax_bureau)
    assert records.validUntil(alice.subject, schemas.tax_ok) == now + 10 * DAY
    assert records.hasValidRecord(alice.subject, schemas.tax_ok)
    records.revoke(short, RevocationReason.ISSUED_IN_ERROR, ZERO32, sender=tax_bureau)
    assert not records.hasValidRecord(alice.subject, schemas.tax_ok)


# --------------------------------------------------------------------------------------------
# supersession
# --------------------------------------------------------------------------------------------


def test_supersede_replaces_the_old_record(records, schemas, alice, tax_bureau, issue):
    old = issue(schemas.tax_ok, alice.subject)
    request = RecordRequest(
        schema_id=schemas.tax_ok, subject=alice.subject, data=word(2026), supersedes=old
    )
    receipt = records.issue(request.as_tuple(), sender=tax_bureau)
    [new] = issued_record_ids(records, receipt)

    assert not records.isValid(old) and records.isValid(new)
    assert records.getRecord(old).supersededBy == new
    assert records.getRecord(new).supersedes == old
    assert list(records.liveRecordsOf(alice.subject, schemas.tax_ok)) == [new]
    [revoked] = records.RecordRevoked.from_receipt(receipt)
    assert (revoked.recordId, revoked.reasonCode, revoked.reasonHash, revoked.operator) == (
        old,
        RevocationReason.SUPERSEDED,
        new,  # the replacing record
        tax_bureau.address,
    )


def test_supersede_rules(records, schemas, alice, bob, tax_bureau, court, issue):
    alice_ok = issue(schemas.tax_ok, alice.subject)
    bob_ok = issue(schemas.tax_ok, bob.subject)
    penalty = issue(schemas.tax_penalty, alice.subject)

    def sup(schema, subject, target, sender=tax_bureau):
        request = RecordRequest(
            schema_id=schema,
            subject=subject,
            supersedes=target,
            evidence_hash=evidence("s"),
            data=blank_data(records, schema),
        )
        return records.issue(request.as_tuple(), sender=sender)

    with reverts("RecordSupersedeMismatch"):  # another subject
        sup(schemas.tax_ok, alice.subject, bob_ok)
    with reverts("RecordSupersedeMismatch"):  # another schema
        sup(schemas.tax_penalty, alice.subject, alice_ok)
    with reverts("RecordUnknown"):
        sup(schemas.tax_ok, alice.subject, evidence("ghost"))
    records.revoke(penalty, RevocationReason.REMEDIED, ZERO32, sender=tax_bureau)
    with reverts("RecordAlreadyRevoked"):
        sup(schemas.tax_penalty, alice.subject, penalty)
    judgment = issue(schemas.judgment, alice.subject)
    with reverts("RecordNotRevocable"):
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
    receipt = records.revokeBatch(
        ids[:2], RevocationReason.ISSUED_IN_ERROR, evidence("correction"), sender=tax_bureau
    )
    assert [e.recordId for e in records.RecordRevoked.from_receipt(receipt)] == ids[:2]
    assert [records.isValid(i) for i in ids] == [False, False, True]


def test_batches_are_bounded_and_atomic(records, schemas, alice, tax_bureau, issue):
    with reverts("CityInvalidBatchSize", size=0, min=1, max=50):
        records.issueBatch([], sender=tax_bureau)
    with reverts("CityInvalidBatchSize"):
        records.revokeBatch([], RevocationReason.ISSUED_IN_ERROR, ZERO32, sender=tax_bureau)
    ok = RecordRequest(schema_id=schemas.tax_ok, subject=alice.subject, data=word(2025))
    too_many = [ok.as_tuple()] * 51
    with reverts("CityInvalidBatchSize", size=51, min=1, max=50):
        records.issueBatch(too_many, sender=tax_bureau)
    with reverts("CityInvalidBatchSize"):
        records.revokeBatch(
            [evidence(str(i)) for i in range(51)],
            RevocationReason.ISSUED_IN_ERROR,
            ZERO32,
            sender=tax_bureau,
        )
    # one bad entry (unknown subject) reverts the whole batch
    mixed = [
        ok.as_tuple(),
        RecordRequest(
            schema_id=schemas.tax_ok, subject=subject_for("ghost"), data=word(1)
        ).as_tuple(),
    ]
    with reverts("RecordSubjectNotActive"):
        records.issueBatch(mixed, sender=tax_bureau)
    assert records.recordCount() == 0
    good = issue(schemas.tax_ok, alice.subject)
    with reverts("RecordUnknown"):
        records.revokeBatch(
            [good, evidence("ghost")], RevocationReason.ISSUED_IN_ERROR, ZERO32, sender=tax_bureau
        )
    assert records.isValid(good)


def test_live_set_is_capped_and_prunes_expired(records, schemas, alice, tax_bureau, issue):
    cap = records.MAX_LIVE_RECORDS()
    now = ape.chain.pending_timestamp
    short = [issue(schemas.tax_ok, alice.subject, expires_at=now + DAY) for _ in range(cap // 2)]
    for _ in range(cap - len(short)):
        issue(schemas.tax_ok, alice.subject)
    with reverts("RecordTooManyLive"):
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
    with reverts("RecordTooManyLive"):
        issue(schemas.tax_ok, alice.subject)
    records.revoke(fresh, RevocationReason.ISSUED_IN_ERROR, ZERO32, sender=tax_bureau)
    issue(schemas.tax_ok, alice.subject)


def test_records_of_lists_issue_order_from_events(records, schemas, alice, bob, issue):
    ids = []
    for i in range(7):
        ids.append(issue(schemas.licence if i % 2 else schemas.tax_ok, alice.subject))
        if i == 3:
            bobs = issue(schemas.tax_ok, bob.subject)
    assert rec_client.records_of(records, alice.subject) == ids
    assert rec_client.records_of(records, bob.subject) == [bobs]


def test_schema_without_layout_takes_empty_data(records, schemas, alice, court):
    request = RecordRequest(
        schema_id=schemas.judgment, subject=alice.subject, evidence_hash=evidence("j")
    )
    [record_id] = issued_record_ids(records, records.issue(request.as_tuple(), sender=court))
    assert rec_client.issued_data(records, record_id) == b""


# --------------------------------------------------------------------------------------------
# no personal data on chain (review finding 10), pruning reported (finding 12)
# --------------------------------------------------------------------------------------------

PII = ("Zhang Wei", "110101199003074578", "+86 138 0013 8000")  # name, id number, phone


def test_exploit_personal_data_cannot_reach_record_issued(
    records, data_bureau, schemas, alice, tax_bureau
):
    """Finding 10: the review put a name, an ID number and a phone number into RecordIssued.
    Record data must now decode against the schema's typed layout (checked on chain), free
    text cannot be a field type, and no identity/records event carries a string."""
    from eth_abi import encode as abi_encode

    pii = abi_encode(["string", "string", "string"], list(PII))
    request = RecordRequest(schema_id=schemas.tax_ok, subject=alice.subject, data=pii)
    with reverts("RecordDataMismatch"):
        records.issue(request.as_tuple(), sender=tax_bureau)
    with reverts("RecordInvalidLayout"):
        records.registerSchema(
            ("pii", "string name,string idNumber,string phone", 20, True, False, 0),
            sender=data_bureau,
        )
    for contract in (records,):
        texts = {
            e.name: [i.name for i in e.inputs if i.type == "string"]
            for e in contract.contract_type.events
            if e.name.startswith(("Record", "Dispute"))
        }
        assert not any(texts.values()), texts


def test_exploit_pruned_expired_records_are_reported(records, schemas, alice, tax_bureau, issue):
    """Finding 12: expired records dropped from a full live set are reported by an event."""
    cap = records.MAX_LIVE_RECORDS()
    now = ape.chain.pending_timestamp
    short = [issue(schemas.tax_ok, alice.subject, expires_at=now + DAY) for _ in range(2)]
    for _ in range(cap - len(short)):
        issue(schemas.tax_ok, alice.subject)
    ape.chain.pending_timestamp = now + DAY + 1
    request = RecordRequest(schema_id=schemas.tax_ok, subject=alice.subject, data=word(2025))
    receipt = records.issue(request.as_tuple(), sender=tax_bureau)
    pruned = [log for log in receipt.events if log.event_name == "LiveRecordPruned"]
    assert sorted(bytes(e.recordId) for e in pruned) == sorted(bytes(r) for r in short)
    assert {(e.subject, e.schemaId, e.operator) for e in pruned} == {
        (alice.subject, schemas.tax_ok, tax_bureau.address)
    }
