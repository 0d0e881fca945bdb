"""Gas of the identity domain's operations (the figures the issue asks for), with upper bounds
so a regression fails. Run with `-s` to see the table.

meetsPolicy is measured in its worst case: a policy of 8 required + 8 disqualifying schemas
where every required record is present and no disqualifying one is (no early exit), so every
summary slot is read; the figure is eth_estimateGas minus the 21,000 transaction base, i.e.
what a calling contract pays (plus its own call overhead)."""

from __future__ import annotations

import ape

from civic_ledger.clients.records import RecordRequest, issued_record_ids, sign_issue

from .helpers import DAY, PERSON, YEAR, evidence, role_id, subject_for

BOUNDS = {
    "register": 100_000,
    "registerBatch, per identity (100)": 55_000,
    "issue (32-byte data, 24-char URI)": 340_000,
    "issue (no URI, no data)": 260_000,
    "issueWithSignature (same record)": 350_000,
    "revoke": 60_000,
    "dispute": 100_000,
    "resolve (upheld)": 125_000,
    "resolve (overturned: revokes)": 110_000,
    "meetsPolicy, worst case (8 + 8 schemas)": 80_000,
}


def test_gas_figures(suite, agency, citizens, outsider):
    identity, records = suite["IdentityRegistry"], suite["RecordRegistry"]
    office, bureau, tax = agency["identity_office"], agency["data_bureau"], agency["tax_bureau"]
    gas: dict[str, int] = {}

    # steady state: counters already non-zero (the very first registration / issue pays ~17k
    # more to initialise them)
    entries = [(subject_for(f"gas-{i}"), f"0x{0xBA7C4000 + i:040x}", PERSON) for i in range(100)]
    receipt = identity.registerBatch(entries, sender=office)
    gas["registerBatch, per identity (100)"] = receipt.gas_used // len(entries)
    receipt = identity.register(subject_for("gas-alice"), citizens[0], PERSON, sender=office)
    gas["register"] = receipt.gas_used
    alice = subject_for("gas-alice")

    def schema(name: str, adverse: bool) -> int:
        r = records.registerSchema(
            name,
            "uint256 value",
            role_id("TAX_RECORD_ISSUER"),
            True,
            adverse,
            3 * YEAR if adverse else YEAR,
            sender=bureau,
        )
        return int(records.SchemaRegistered.from_receipt(r)[0].schemaId)

    required = [schema(f"ok-{i}", False) for i in range(8)]
    disqualifying = [schema(f"bad-{i}", True) for i in range(8)]
    records.setPolicy(1, "worst-case", required, disqualifying, sender=bureau)

    def request(schema_id: int, label: str) -> RecordRequest:
        return RecordRequest(
            schema_id=schema_id, subject=alice, evidence_hash=evidence(label),
            evidence_uri="ipfs://bafy-evidence-0001", data=(12345).to_bytes(32, "big"),
        )  # fmt: skip

    records.issue(request(required[0], "first").as_tuple(), sender=tax)
    receipt = records.issue(request(required[1], "second").as_tuple(), sender=tax)
    gas["issue (32-byte data, 24-char URI)"] = receipt.gas_used
    minimal = RecordRequest(schema_id=required[2], subject=alice)
    receipt = records.issue(minimal.as_tuple(), sender=tax)
    gas["issue (no URI, no data)"] = receipt.gas_used
    for schema_id in required[3:]:
        records.issue(request(schema_id, "rest").as_tuple(), sender=tax)

    signed = sign_issue(
        records,
        request(disqualifying[0], "signed"),
        tax,
        deadline=ape.chain.pending_timestamp + DAY,
    )
    receipt = records.issueWithSignature(
        signed.request.as_tuple(), signed.signer, signed.deadline, signed.signature, sender=outsider
    )
    gas["issueWithSignature (same record)"] = receipt.gas_used
    [penalty] = issued_record_ids(records, receipt)

    receipt = records.dispute(penalty, evidence("why"), sender=citizens[0])
    gas["dispute"] = receipt.gas_used
    receipt = records.resolveDispute(
        penalty, False, evidence("ruling"), sender=agency["arbitration_office"]
    )
    gas["resolve (overturned: revokes)"] = receipt.gas_used

    receipt = records.issue(request(disqualifying[1], "second").as_tuple(), sender=tax)
    [second] = issued_record_ids(records, receipt)
    records.dispute(second, evidence("why"), sender=citizens[0])
    receipt = records.resolveDispute(
        second, True, evidence("ruling"), sender=agency["arbitration_office"]
    )
    gas["resolve (upheld)"] = receipt.gas_used
    receipt = records.revoke(second, "paid", sender=tax)
    gas["revoke"] = receipt.gas_used

    assert records.meetsPolicy(alice, 1)  # all 8 required present, no disqualifying: full scan
    estimate = records.meetsPolicy.estimate_gas_cost(alice, 1, sender=outsider)
    gas["meetsPolicy, worst case (8 + 8 schemas)"] = estimate - 21_000

    width = max(len(k) for k in gas)
    print("\nidentity-domain gas (EthTester, london):")
    for key, value in gas.items():
        print(f"  {key:<{width}}  {value:>9,}")
    over = {k: v for k, v in gas.items() if v > BOUNDS[k]}
    assert not over, over
