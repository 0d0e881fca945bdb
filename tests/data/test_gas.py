"""Gas of the data domain's operations through the proxy, with upper bounds so a regression
fails. Run with `-s` to see the table.

The performance target of issue #16 (measured later in bench): >= 10,000 receipts/s on a
30M gas / 1 s chain. Anchoring writes one slot per batch whatever its size, so a batch of
10,000 receipts costs one `anchorReceipts` (the bound below): ~0.3 % of a 30M block.
`verifyReceipt` is measured in a batch of 2**14 receipts (a 14-hash proof), as eth_estimateGas
minus the 21,000 transaction base (what a calling contract pays): under 30k.

Measured at the first release: registerResource 174,627; addVersion 101,298; request (open)
130,591; request (conditional) 110,001; decide 64,202; revokeGrant 60,878; requestWithConsent
186,373; recordExemption 151,572; anchorReceipts 72,799 (per batch: 10,000 receipts = one
anchor); verifyReceipt 23,973 (14-hash proof); requestDeletion 85,161; confirmDeletion 58,412."""

from __future__ import annotations

from civic_ledger.data import client
from civic_ledger.data.client import Sharing
from civic_ledger.data.receipts import MerkleTree, Receipt

from .conftest import OWNER_ROLE, data_request, h

BOUNDS = {
    "registerResource": 190_000,
    "addVersion": 110_000,
    "request (open: granted at once)": 142_000,
    "request (conditional: pending)": 120_000,
    "requestWithConsent (open)": 200_000,
    "decide (approve)": 70_000,
    "revokeGrant": 67_000,
    "recordExemption": 165_000,
    "anchorReceipts (any batch size)": 80_000,
    "verifyReceipt (2**14 leaves)": 28_000,
    "requestDeletion": 93_000,
    "confirmDeletion": 64_000,
}


def test_gas_figures(
    exchange, make_resource, steward, requester, person, consent_for, chain, outsider
):
    gas: dict[str, int] = {}
    spec = client.ResourceInput(
        OWNER_ROLE, Sharing.OPEN, False, 86_400, h("m"), h("d"), h("c"), h("s")
    )
    receipt = exchange.registerResource(spec.as_tuple(), sender=steward)
    gas["registerResource"] = receipt.gas_used
    rid = int(exchange.counts()[0])
    gas["addVersion"] = exchange.addVersion(rid, h("c2"), h("s2"), sender=steward).gas_used

    receipt = exchange.request(data_request(rid).as_tuple(), sender=requester)
    gas["request (open: granted at once)"] = receipt.gas_used
    grant = int(exchange.counts()[1])
    cond = make_resource(Sharing.CONDITIONAL)
    receipt = exchange.request(data_request(cond).as_tuple(), sender=requester)
    gas["request (conditional: pending)"] = receipt.gas_used
    pending = int(exchange.counts()[1])
    gas["decide (approve)"] = exchange.decide(pending, True, 0, sender=steward).gas_used
    gas["revokeGrant"] = exchange.revokeGrant(pending, 1, sender=steward).gas_used

    personal = make_resource(Sharing.OPEN, personal=True)
    consent, signature = consent_for(person, personal)
    receipt = exchange.requestWithConsent(
        data_request(personal, person.subject).as_tuple(),
        consent.as_tuple(),
        signature,
        sender=requester,
    )
    gas["requestWithConsent (open)"] = receipt.gas_used
    exemption = client.ExemptionInput(
        person.subject,
        personal,
        data_request(1).recipient_role,
        7,
        int(chain.pending_timestamp) + 86_400,
        h("law"),
    )
    gas["recordExemption"] = exchange.recordExemption(
        exemption.as_tuple(), sender=requester
    ).gas_used

    receipts = [
        Receipt(grant, h(f"s{i % 50}"), h(f"p{i}"), 1_700_000_000 + i) for i in range(2**14)
    ]
    tree = MerkleTree([r.leaf for r in receipts])
    receipt = exchange.anchorReceipts(OWNER_ROLE, tree.root, len(receipts), sender=steward)
    gas["anchorReceipts (any batch size)"] = receipt.gas_used
    probe = receipts[12_345]
    proof = tree.proof(probe.leaf)
    assert len(proof) == 14 and exchange.verifyReceipt(tree.root, probe.as_tuple(), proof)
    estimate = exchange.verifyReceipt.estimate_gas_cost(
        tree.root, probe.as_tuple(), proof, sender=outsider
    )
    gas["verifyReceipt (2**14 leaves)"] = estimate - 21_000

    gas["requestDeletion"] = exchange.requestDeletion(grant, h("x"), sender=steward).gas_used
    gas["confirmDeletion"] = exchange.confirmDeletion(grant, h("y"), sender=requester).gas_used

    print("\ndata-domain gas (EthTester, london):")
    width = max(map(len, gas))
    for key, value in gas.items():
        print(f"  {key:<{width}}  {value:>9,}")
    over = {k: (v, BOUNDS[k]) for k, v in gas.items() if v > BOUNDS[k]}
    assert not over, f"over the ceiling: {over}"
    assert set(gas) == set(BOUNDS)
