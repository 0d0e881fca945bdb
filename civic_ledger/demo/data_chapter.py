"""Chapter 5 of the city scenario: data exchange between agencies (issue #16).

The tax bureau reads Li Wei's property data twice: for the 2026 assessment under a legal
basis it records (an exemption: no consent), and for the hardship relief Li Wei applied for,
with his EIP-712 consent signed off-line. The market regulator reads the land registry's
open-licence land-use statistics (granted at once). Every delivery becomes an access receipt;
the land registry anchors them as one Merkle root. Li Wei lists who accessed his data (each
receipt verified against the chain), asks for the consent-based copy to be deleted, and the
tax bureau confirms. Every step is read back from the chain.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from civic_ledger.access.roles import BY_ID, RoleId
from civic_ledger.core.encoding import ZERO32
from civic_ledger.core.times import DAY
from civic_ledger.data import client as data_client
from civic_ledger.data import receipts as rc
from civic_ledger.data.client import (
    Consent,
    DataRequest,
    ExemptionInput,
    ExemptionStatus,
    ResourceInput,
    Sharing,
)
from civic_ledger.demo.narrator import doc

ASSESSMENT, RELIEF, STATISTICS = 1, 2, 3  # purpose codes (the city's purpose register)
PURPOSES = {ASSESSMENT: "2026 tax assessment", RELIEF: "hardship relief", STATISTICS: "statistics"}


def play(sc: Any) -> None:
    """The chapter, on a `CityScenario` (its suite, cast, narrator and subjects)."""
    n, ex = sc.n, sc.s["DataExchange"]
    registry, tax, market = (sc.cast["land_registry"], sc.cast["tax_bureau"],
                             sc.cast["market_regulator"])  # fmt: skip
    li, li_wallet = sc.subjects["Li Wei"], sc.li
    n.section("5 · Data exchange: property data on a legal basis, open data, receipts, deletion")
    n.say("Resources are described by hashes; subjects are commitments; the data travels "
          "off chain. The chain holds who may read what, why, and until when.")  # fmt: skip

    ownership = n.act(registry, "registers 'property ownership' (personal, conditional, "
                      "deletion within 30 days)",
        lambda: data_client.register_resource(ex, ResourceInput(
            RoleId.REGISTRAR, Sharing.CONDITIONAL, True, 30 * DAY, doc("Land Registration Act art. 12"),
            doc("owners and shares of each parcel"), doc("ownership extract v1"),
            doc("schema: parcel,owner,share")), sender=registry, transact=n.transact))  # fmt: skip
    statistics = n.act(registry, "publishes 'land-use statistics' under an open licence",
        lambda: data_client.register_resource(ex, ResourceInput(
            RoleId.REGISTRAR, Sharing.OPEN, False, 7 * DAY, doc("Open Data Decree art. 3"),
            doc("land use by district, quarterly"), doc("land-use 2026Q1"),
            doc("schema: district,use,area")), sender=registry, transact=n.transact))  # fmt: skip
    n.check(f"resources {ownership} (personal) and {statistics} (open) are in the directory",
            data_client.resource(ex, ownership).personal
            and data_client.resource(ex, statistics).sharing is Sharing.OPEN)  # fmt: skip

    basis = doc("Tax Administration Act art. 5: assessment of real property")
    exemption = n.act(tax, "records its legal basis to read Li Wei's property data (exemption)",
        lambda: data_client.record_exemption(ex, ExemptionInput(
            li, ownership, RoleId.TAX_ASSESSOR, ASSESSMENT, sc.now + 90 * DAY, basis),
            sender=tax, transact=n.transact))  # fmt: skip
    n.check("the exemption is active and names the statute's hash",
            int(ex.exemptionOf(exemption).status) == ExemptionStatus.ACTIVE
            and bytes(ex.exemptionOf(exemption).legalBasisHash) == basis)  # fmt: skip
    fields = doc("parcel,owner,share")
    assessment = n.act(tax, "requests Li Wei's property data for the assessment, citing it",
        lambda: data_client.request_data(ex, DataRequest(
            ownership, RoleId.TAX_ASSESSOR, ASSESSMENT, 30 * DAY, basis, fields, li, exemption),
            sender=tax, transact=n.transact))  # fmt: skip
    _approve(sc, assessment, "the assessment request (basis: exemption)")

    n.say("Li Wei applies for hardship relief and consents, off-line, to the tax bureau reading "
          "his ownership data for that purpose only; the bureau relays the signed consent.")  # fmt: skip
    consent = Consent(
        li, ownership, RoleId.TAX_ASSESSOR, RELIEF, sc.now + 60 * DAY, doc("relief 88")
    )
    signature = data_client.sign_consent(ex, consent, li_wallet)
    relief = n.act(tax, "relays Li Wei's signed consent with its request",
        lambda: data_client.request_with_consent(ex, DataRequest(
            ownership, RoleId.TAX_ASSESSOR, RELIEF, 30 * DAY, ZERO32, fields, li), consent, signature,
            sender=tax, transact=n.transact))  # fmt: skip
    _approve(sc, relief, "the relief request (basis: Li Wei's consent)")

    open_grant = n.act(market, "requests the open land-use statistics (granted at once)",
        lambda: data_client.request_data(ex, DataRequest(
            statistics, RoleId.MARKET_RECORD_ISSUER, STATISTICS, 90 * DAY, ZERO32, ZERO32),
            sender=market, transact=n.transact),
        lambda: True)  # fmt: skip
    n.check(f"grant {open_grant} to the market regulator is live", ex.isGrantLive(open_grant))

    delivered = {assessment: li, relief: li, open_grant: ZERO32}
    if sc.receipts_dir is not None:
        _receipts(sc, sc.receipts_dir, delivered)
    else:
        with tempfile.TemporaryDirectory(prefix="civic-receipts-") as tmp:
            _receipts(sc, Path(tmp), delivered)

    due = n.act(li_wallet, "asks the tax bureau to delete the relief copy of his data",
        lambda: data_client.request_deletion(ex, relief, doc("relief decided"),
                                             sender=li_wallet, transact=n.transact))  # fmt: skip
    n.check(f"deletion asked; due within 30 days; overdue: {ex.deletionOverdue(relief)}",
            int(ex.deletionOf(relief).dueAt) == due and not ex.isGrantLive(relief))  # fmt: skip
    n.act(tax, "confirms the deletion (with its erasure log's hash)",
        lambda: data_client.confirm_deletion(ex, relief, doc("erasure log 2026-05-02"),
                                             sender=tax, transact=n.transact),
        lambda: int(ex.deletionOf(relief).confirmedAt) > 0
        and not ex.deletionOverdue(relief) and "confirmed in time")  # fmt: skip


def _approve(sc: Any, request_id: int, what: str) -> None:
    n, ex, registry = sc.n, sc.s["DataExchange"], sc.cast["land_registry"]
    n.act(registry, f"approves {what}",
          lambda: data_client.decide(ex, request_id, True, sender=registry, transact=n.transact),
          lambda: ex.isGrantLive(request_id) and f"grant {request_id} live")  # fmt: skip


def _receipts(sc: Any, directory: Path, grants: dict[int, bytes]) -> None:
    """One delivery per grant, recorded in the land registry's leaf store and anchored as one
    root; Li Wei's receipts listed and verified against the chain."""
    n, ex, registry = sc.n, sc.s["DataExchange"], sc.cast["land_registry"]
    store = rc.LeafStore(directory)
    for grant_id, subject in grants.items():
        rc.record_delivery(ex, store, rc.Receipt(grant_id, subject,
                                                 doc(f"extract under grant {grant_id}"), sc.now))  # fmt: skip
    n.say(f"The land registry delivered {len(grants)} extracts and kept one receipt for each.")
    roots = n.act(registry, f"anchors {len(grants)} access receipts as one Merkle root",
        lambda: rc.anchor_pending(ex, store, RoleId.REGISTRAR, sender=registry, transact=n.transact))  # fmt: skip
    n.check(f"root {roots[0].hex()[:12]}… anchored with {len(grants)} leaves by the registry",
            len(roots) == 1 and int(ex.batchOf(roots[0]).leafCount) == len(grants))  # fmt: skip
    listed = rc.receipts_about(ex, store, sc.subjects["Li Wei"])
    for receipt, ok in listed:
        entry = ex.requestOf(receipt.grant_id)
        n.say(f"Li Wei's data went to {BY_ID[int(entry.recipientRole)].name} under "
              f"grant {receipt.grant_id} for {PURPOSES[int(entry.purpose)]}: "
              f"{'verified on chain' if ok else 'NOT verified'}")  # fmt: skip
    n.check("Li Wei lists 2 accesses to his data, each verified against the anchored root",
            len(listed) == 2 and all(ok for _, ok in listed))  # fmt: skip
