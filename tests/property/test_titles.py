"""TitleRegistry: registration, disabled ERC-721 transfers, the sale workflow, split/merge,
holder sync, pause, and every unauthorised caller."""

from __future__ import annotations

import pytest
from eth_utils import keccak
from reverts import reverts

from civic_ledger.deploy.proxy import deploy_upgradeable
from civic_ledger.property.titles import ParcelStatus, SaleState, TitleCause

from .helpers import accept_sale, parcel_data

DEED = keccak(text="deed")


# ------------------------------------------------------------------ registration


def test_register_mints_title_to_owner_controller(titles, registrar, parties):
    alice = parties["alice"]
    data = parcel_data("REG-1", area=1234, land_use=7)
    receipt = titles.register(alice.subject, data, sender=registrar)

    pid = data[0]
    assert titles.ownerOf(pid) == alice.account.address
    assert titles.ownerIdentityOf(pid) == alice.subject
    parcel = titles.parcelOf(pid)
    assert (parcel.dataHash, parcel.area, parcel.landUse, parcel.status) == (
        data[1],
        1234,
        7,
        ParcelStatus.ACTIVE,
    )
    assert titles.tokenURI(pid) == ""  # no base URI set
    [event] = titles.ParcelRegistered.from_receipt(receipt)
    assert event.parcelId == pid and event.owner == alice.subject
    assert (event.dataHash, event.area, event.landUse) == (data[1], 1234, 7)
    assert event.operator == registrar.address
    [entry] = titles.chainOfTitle(pid)
    assert entry.owner == alice.subject and entry.cause == TitleCause.REGISTRATION


def test_register_batch_registers_all_or_nothing(titles, registrar, parties):
    alice, bob = parties["alice"], parties["bob"]
    batch = [parcel_data() for _ in range(5)]
    owners = [alice.subject, alice.subject, bob.subject, bob.subject, alice.subject]
    titles.registerBatch(owners, batch, sender=registrar)
    assert titles.balanceOf(alice.account) == 3
    assert titles.balanceOf(bob.account) == 2
    assert list(titles.dataHashesOf([p[0] for p in batch])) == [p[1] for p in batch]

    # a batch with one already-registered id reverts as a whole
    fresh = parcel_data()
    with reverts("TitleParcelExists"):
        titles.registerBatch([bob.subject, bob.subject], [fresh, batch[0]], sender=registrar)
    assert titles.dataHashesOf([fresh[0]])[0] == b"\x00" * 32


def test_register_batch_bounds(titles, registrar, parties):
    alice = parties["alice"]
    with reverts("CityInvalidBatchSize"):
        titles.registerBatch([], [], sender=registrar)
    too_many = titles.MAX_BATCH() + 1
    with reverts("CityInvalidBatchSize"):
        titles.registerBatch(
            [alice.subject] * too_many, [parcel_data() for _ in range(too_many)], sender=registrar
        )
    with reverts("TitleLengthMismatch"):
        titles.registerBatch([alice.subject], [parcel_data(), parcel_data()], sender=registrar)


@pytest.mark.parametrize(("field", "value"), [("id", 0), ("hash", b"\x00" * 32), ("area", 0)])
def test_register_rejects_invalid_data(titles, registrar, parties, field, value):
    pid, data_hash, area, land_use = parcel_data()
    if field == "id":
        with reverts("TitleParcelExists"):
            titles.register(
                parties["alice"].subject, (0, data_hash, area, land_use), sender=registrar
            )
        return
    data = (pid, value, area, land_use) if field == "hash" else (pid, data_hash, 0, land_use)
    with reverts("TitleInvalidParcelData"):
        titles.register(parties["alice"].subject, data, sender=registrar)


def test_register_twice_and_unknown_or_suspended_owner(
    titles, registrar, parties, identities, agency
):
    alice = parties["alice"]
    data = parcel_data()
    titles.register(alice.subject, data, sender=registrar)
    with reverts("TitleParcelExists"):
        titles.register(alice.subject, data, sender=registrar)
    with reverts("CityIdentityNotActive"):
        titles.register(keccak(text="nobody"), parcel_data(), sender=registrar)
    identities.setStatus(alice.subject, 2, keccak(text="case-1"), sender=agency["identity_office"])
    with reverts("CityIdentityNotActive"):
        titles.register(alice.subject, parcel_data(), sender=registrar)


def test_only_registrar_registers(titles, parties, outsider, agency):
    alice = parties["alice"]
    for caller in (outsider, alice.account, agency["tax_bureau"], agency["deployer"]):
        with reverts("AccessManagedUnauthorized"):
            titles.register(alice.subject, parcel_data(), sender=caller)
        with reverts("AccessManagedUnauthorized"):
            titles.registerBatch([alice.subject], [parcel_data()], sender=caller)


# ------------------------------------------------------------------ ERC-721 entry points


def test_plain_transfers_and_approvals_revert(titles, parties, new_parcel):
    alice, bob = parties["alice"], parties["bob"]
    pid = new_parcel(alice)
    a = alice.account
    with reverts("TitleTransferDisabled"):
        titles.transferFrom(a, bob.account, pid, sender=a)
    with reverts("TitleTransferDisabled"):
        titles.safeTransferFrom(a, bob.account, pid, sender=a)
    with reverts("TitleTransferDisabled"):
        titles.safeTransferFrom(a, bob.account, pid, b"", sender=a)
    with reverts("TitleTransferDisabled"):
        titles.approve(bob.account, pid, sender=a)
    with reverts("TitleTransferDisabled"):
        titles.setApprovalForAll(bob.account, True, sender=a)
    assert titles.ownerOf(pid) == a.address


# ------------------------------------------------------------------ sale workflow


def test_full_sale_moves_title_and_records_history(titles, registrar, parties, sale_ready):
    alice, bob = parties["alice"], parties["bob"]
    pid, sale = sale_ready
    assert titles.saleOf(sale).state == SaleState.ACCEPTED
    assert tuple(titles.saleReadiness(sale)) == (True, True, True, True, True)

    receipt = titles.approveSale(sale, sender=registrar)

    assert titles.ownerOf(pid) == bob.account.address
    assert titles.ownerIdentityOf(pid) == bob.subject
    assert titles.balanceOf(alice.account) == 0
    assert titles.saleOf(sale).state == SaleState.COMPLETED
    assert titles.openSaleOf(pid) == 0
    [event] = titles.SaleApproved.from_receipt(receipt)
    assert (event.saleId, event.parcelId, event.operator) == (sale, pid, registrar.address)
    assert (event.seller, event.buyer) == (alice.subject, bob.subject)
    history = titles.chainOfTitle(pid)
    assert [h.owner for h in history] == [alice.subject, bob.subject]
    assert [h.cause for h in history] == [TitleCause.REGISTRATION, TitleCause.SALE]
    assert history[1].saleId == sale


def test_propose_records_sale_and_emits(titles, parties, new_parcel):
    alice, bob = parties["alice"], parties["bob"]
    pid = new_parcel(alice)
    receipt = titles.proposeSale(pid, bob.subject, 42, DEED, sender=alice.account)
    [event] = titles.SaleProposed.from_receipt(receipt)
    sale = titles.saleOf(event.saleId)
    assert (sale.parcelId, sale.seller, sale.buyer, sale.price, sale.deedHash, sale.state) == (
        pid,
        alice.subject,
        bob.subject,
        42,
        DEED,
        SaleState.PROPOSED,
    )
    assert event.operator == alice.account.address
    assert titles.openSaleOf(pid) == event.saleId


def test_only_owner_controller_proposes(titles, parties, new_parcel, registrar, outsider):
    alice, bob = parties["alice"], parties["bob"]
    pid = new_parcel(alice)
    for caller in (bob.account, outsider, registrar):
        with reverts("TitleNotOwnerController"):
            titles.proposeSale(pid, bob.subject, 1, DEED, sender=caller)


def test_propose_rejects_bad_sales(titles, parties, new_parcel):
    alice, bob, carol = parties["alice"], parties["bob"], parties["carol"]
    pid = new_parcel(alice)
    # (error, parcel, buyer, price, deed): alice's valid sale (pid, bob, 1, DEED), one thing wrong
    bad_sales = [
        ("TitleInvalidSale", pid, alice.subject, 1, DEED),  # to herself
        ("TitleInvalidSale", pid, bob.subject, 1, b"\x00" * 32),  # no deed
        ("CityIdentityNotActive", pid, keccak(text="nobody"), 1, DEED),
        ("TitleParcelNotActive", 12345, bob.subject, 1, DEED),
    ]
    for error, *args in bad_sales:
        with reverts(error):
            titles.proposeSale(*args, sender=alice.account)
    titles.proposeSale(pid, bob.subject, 1, DEED, sender=alice.account)
    with reverts("TitleSaleAlreadyOpen"):
        titles.proposeSale(pid, carol.subject, 1, DEED, sender=alice.account)


def test_only_buyer_accepts_once(titles, liens, parties, new_parcel, outsider):
    alice, bob, carol = parties["alice"], parties["bob"], parties["carol"]
    pid = new_parcel(alice)
    titles.proposeSale(pid, bob.subject, 1, DEED, sender=alice.account)
    sale = titles.openSaleOf(pid)
    state = liens.saleEncumbranceHash(sale)
    for caller in (alice.account, carol.account, outsider):
        with reverts("TitleNotSaleParty"):
            titles.acceptSale(sale, state, sender=caller)
    receipt = titles.acceptSale(sale, state, sender=bob.account)
    [event] = titles.SaleAccepted.from_receipt(receipt)
    assert (event.saleId, event.parcelId, event.operator) == (sale, pid, bob.account.address)
    assert event.encumbranceHash == state == titles.saleOf(sale).encumbranceHash
    with reverts("TitleSaleWrongState"):
        titles.acceptSale(sale, state, sender=bob.account)


def test_approval_needs_acceptance_and_registrar(
    titles, liens, registrar, parties, new_parcel, outsider
):
    alice, bob = parties["alice"], parties["bob"]
    pid = new_parcel(alice)
    titles.proposeSale(pid, bob.subject, 1, DEED, sender=alice.account)
    sale = titles.openSaleOf(pid)
    with reverts("TitleSaleWrongState"):
        titles.approveSale(sale, sender=registrar)
    accept_sale(titles, liens, sale, bob.account)
    for caller in (alice.account, bob.account, outsider):
        with reverts("AccessManagedUnauthorized"):
            titles.approveSale(sale, sender=caller)
    titles.approveSale(sale, sender=registrar)
    with reverts("TitleSaleWrongState"):
        titles.approveSale(sale, sender=registrar)
    assert titles.ownerOf(pid) == bob.account.address


@pytest.mark.parametrize("canceller", ["alice", "bob"])
@pytest.mark.parametrize("accepted", [False, True])
def test_either_party_cancels_before_approval(
    titles, liens, registrar, parties, new_parcel, canceller, accepted
):
    alice, bob = parties["alice"], parties["bob"]
    pid = new_parcel(alice)
    titles.proposeSale(pid, bob.subject, 1, DEED, sender=alice.account)
    sale = titles.openSaleOf(pid)
    if accepted:
        accept_sale(titles, liens, sale, bob.account)
    receipt = titles.cancelSale(sale, sender=parties[canceller].account)
    [event] = titles.SaleCancelled.from_receipt(receipt)
    assert event.operator == parties[canceller].account.address
    assert titles.saleOf(sale).state == SaleState.CANCELLED
    assert titles.openSaleOf(pid) == 0
    with reverts("TitleSaleWrongState"):
        titles.approveSale(sale, sender=registrar)
    assert titles.ownerOf(pid) == alice.account.address
    # the parcel can be offered again
    titles.proposeSale(pid, bob.subject, 2, DEED, sender=alice.account)


def test_cancel_after_approval_and_by_strangers_fails(
    titles, registrar, parties, sale_ready, outsider
):
    _, sale = sale_ready
    with reverts("TitleNotSaleParty"):
        titles.cancelSale(sale, sender=parties["carol"].account)
    with reverts("TitleNotSaleParty"):
        titles.cancelSale(sale, sender=outsider)
    titles.approveSale(sale, sender=registrar)
    with reverts("TitleSaleWrongState"):
        titles.cancelSale(sale, sender=parties["bob"].account)


def test_registrar_rejects_with_reason(titles, registrar, parties, sale_ready, outsider):
    pid, sale = sale_ready
    with reverts("AccessManagedUnauthorized"):
        titles.rejectSale(sale, keccak(text="why"), sender=outsider)
    receipt = titles.rejectSale(sale, keccak(text="defective deed"), sender=registrar)
    [event] = titles.SaleRejected.from_receipt(receipt)
    assert event.reasonHash == keccak(text="defective deed")
    assert titles.saleOf(sale).state == SaleState.REJECTED
    assert titles.ownerOf(pid) == parties["alice"].account.address
    with reverts("TitleSaleWrongState"):
        titles.approveSale(sale, sender=registrar)


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_suspended_party_blocks_approval(
    titles, registrar, parties, sale_ready, identities, agency, who
):
    _, sale = sale_ready
    identities.setStatus(
        parties[who].subject, 2, keccak(text="fraud case"), sender=agency["identity_office"]
    )
    assert titles.saleReadiness(sale).identitiesActive is False
    with reverts("CityIdentityNotActive"):
        titles.approveSale(sale, sender=registrar)


def test_retired_parcel_cannot_be_sold_and_new_owner_can_resell(
    titles, liens, registrar, parties, sale_ready
):
    alice, bob, carol = parties["alice"], parties["bob"], parties["carol"]
    pid, sale = sale_ready
    titles.approveSale(sale, sender=registrar)
    with reverts("TitleNotOwnerController"):
        titles.proposeSale(pid, carol.subject, 1, DEED, sender=alice.account)
    titles.proposeSale(pid, carol.subject, 1, DEED, sender=bob.account)
    resale = titles.openSaleOf(pid)
    accept_sale(titles, liens, resale, carol.account)
    titles.approveSale(resale, sender=registrar)
    assert [h.owner for h in titles.chainOfTitle(pid)] == [
        alice.subject,
        bob.subject,
        carol.subject,
    ]


# ------------------------------------------------------------------ holder sync


def test_sync_holder_follows_controller_rotation(
    titles, identities, parties, new_parcel, outsider, fresh_wallet
):
    alice = parties["alice"]
    pid = new_parcel(alice)
    fresh = fresh_wallet()
    identities.proposeController(fresh, sender=alice.account)
    identities.acceptController(alice.subject, sender=fresh)
    assert titles.ownerOf(pid) == alice.account.address  # stale until synced

    receipt = titles.syncHolder(pid, sender=outsider)
    assert titles.ownerOf(pid) == fresh.address
    [event] = titles.HolderSynced.from_receipt(receipt)
    assert (event.operator, event.to) == (outsider.address, fresh.address)
    again = titles.syncHolder(pid, sender=outsider)  # in sync: no-op
    assert not titles.HolderSynced.from_receipt(again)


def test_rotated_controller_sells_before_sync(
    titles, liens, identities, registrar, parties, new_parcel, fresh_wallet
):
    alice, bob = parties["alice"], parties["bob"]
    pid = new_parcel(alice)
    fresh = fresh_wallet()
    identities.proposeController(fresh, sender=alice.account)
    identities.acceptController(alice.subject, sender=fresh)
    with reverts("TitleNotOwnerController"):
        titles.proposeSale(pid, bob.subject, 1, DEED, sender=alice.account)
    titles.proposeSale(pid, bob.subject, 1, DEED, sender=fresh)
    sale = titles.openSaleOf(pid)
    accept_sale(titles, liens, sale, bob.account)
    titles.approveSale(sale, sender=registrar)
    assert titles.ownerOf(pid) == bob.account.address


# ------------------------------------------------------------------ split / merge


def test_split_preserves_area_and_links(titles, registrar, parties, new_parcel):
    alice = parties["alice"]
    parent = new_parcel(alice, area=1_000)
    children = [parcel_data(area=a) for a in (600, 300, 100)]
    receipt = titles.split(parent, children, sender=registrar)

    assert titles.parcelOf(parent).status == ParcelStatus.RETIRED
    with reverts("ERC721NonexistentToken"):
        titles.ownerOf(parent)
    child_ids = [c[0] for c in children]
    assert list(titles.childrenOf(parent)) == child_ids
    for cid in child_ids:
        assert list(titles.parentsOf(cid)) == [parent]
        assert titles.ownerOf(cid) == alice.account.address
        assert titles.chainOfTitle(cid)[0].cause == TitleCause.SPLIT
    assert sum(titles.parcelOf(c).area for c in child_ids) == 1_000
    [event] = titles.ParcelSplit.from_receipt(receipt)
    assert list(event.childIds) == child_ids and event.operator == registrar.address
    # history of the retired parent stays readable
    assert titles.chainOfTitle(parent)[0].owner == alice.subject
    assert titles.tokenURI(parent) == ""  # retired parcels still answer (no base URI set)


def test_split_rules(titles, registrar, parties, new_parcel, outsider):
    alice = parties["alice"]
    parent = new_parcel(alice, area=1_000)
    with reverts("TitleAreaMismatch"):
        titles.split(parent, [parcel_data(area=500), parcel_data(area=499)], sender=registrar)
    with reverts("CityInvalidBatchSize", size=1, min=2, max=16):
        titles.split(parent, [parcel_data(area=1_000)], sender=registrar)
    with reverts("CityInvalidBatchSize"):
        titles.split(parent, [parcel_data(area=1) for _ in range(17)], sender=registrar)
    with reverts("TitleInvalidParcelData"):
        titles.split(parent, [parcel_data(area=1_000), parcel_data(area=0)], sender=registrar)
    with reverts("AccessManagedUnauthorized"):
        titles.split(parent, [parcel_data(area=500), parcel_data(area=500)], sender=outsider)
    dup = parcel_data(area=500)
    with reverts("TitleParcelExists"):
        titles.split(parent, [dup, dup], sender=registrar)
    titles.split(parent, [parcel_data(area=500), parcel_data(area=500)], sender=registrar)
    with reverts("TitleParcelNotActive"):
        titles.split(parent, [parcel_data(area=500), parcel_data(area=500)], sender=registrar)


def test_merge_preserves_area_and_links(titles, registrar, parties, new_parcel):
    alice = parties["alice"]
    a, b, c = (new_parcel(alice, area=x) for x in (100, 200, 300))
    merged = parcel_data(area=600)
    receipt = titles.merge([a, b, c], merged, sender=registrar)
    mid = merged[0]
    assert titles.parcelOf(mid).area == 600
    assert list(titles.parentsOf(mid)) == [a, b, c]
    for p in (a, b, c):
        assert titles.parcelOf(p).status == ParcelStatus.RETIRED
        assert list(titles.childrenOf(p)) == [mid]
    assert titles.ownerOf(mid) == alice.account.address
    assert titles.balanceOf(alice.account) == 1
    [event] = titles.ParcelsMerged.from_receipt(receipt)
    assert list(event.parentIds) == [a, b, c]


def test_merge_rules(titles, registrar, parties, new_parcel, outsider):
    alice, bob = parties["alice"], parties["bob"]
    a, b = new_parcel(alice, area=100), new_parcel(alice, area=200)
    other = new_parcel(bob, area=50)
    with reverts("TitleAreaMismatch"):
        titles.merge([a, b], parcel_data(area=301), sender=registrar)
    with reverts("TitleOwnersDiffer"):
        titles.merge([a, other], parcel_data(area=150), sender=registrar)
    with reverts("TitleParcelNotActive"):
        titles.merge([a, a], parcel_data(area=200), sender=registrar)
    with reverts("CityInvalidBatchSize"):
        titles.merge([a], parcel_data(area=100), sender=registrar)
    with reverts("AccessManagedUnauthorized"):
        titles.merge([a, b], parcel_data(area=300), sender=outsider)
    titles.merge([a, b], parcel_data(area=300), sender=registrar)


def test_open_sale_blocks_split_and_merge(titles, registrar, parties, new_parcel):
    alice, bob = parties["alice"], parties["bob"]
    a, b = new_parcel(alice, area=100), new_parcel(alice, area=100)
    titles.proposeSale(a, bob.subject, 1, DEED, sender=alice.account)
    with reverts("TitleBlockedBySale"):
        titles.split(a, [parcel_data(area=50), parcel_data(area=50)], sender=registrar)
    with reverts("TitleBlockedBySale"):
        titles.merge([b, a], parcel_data(area=200), sender=registrar)


# ------------------------------------------------------------------ pause, wiring


def test_guardian_pauses_admin_unpauses(titles, registrar, parties, sale_ready, agency, outsider):
    _, sale = sale_ready
    with reverts("AccessManagedUnauthorized"):
        titles.pause(sender=outsider)
    titles.pause(sender=agency["emergency_guardian"])
    with reverts("EnforcedPause"):
        titles.approveSale(sale, sender=registrar)
    with reverts("EnforcedPause"):
        titles.register(parties["alice"].subject, parcel_data(), sender=registrar)
    # parties may still withdraw while paused
    with reverts("AccessManagedUnauthorized"):
        titles.unpause(sender=agency["emergency_guardian"])
    titles.unpause(sender=agency["deployer"])
    titles.approveSale(sale, sender=registrar)


def test_modules_are_wired_and_admin_only(titles, suite, outsider, registrar, agency):
    assert titles.lienRegistry() == suite["LienRegistry"].address
    assert titles.taxModule() == suite["PropertyTax"].address
    assert titles.identityRegistry() == suite["IdentityRegistry"].address
    for caller in (outsider, registrar):
        with reverts("AccessManagedUnauthorized"):
            titles.setModules(outsider, outsider, sender=caller)
    # the admin cannot re-set them either, not even to the same modules
    with reverts("TitleModulesAlreadySet"):
        titles.setModules(suite["LienRegistry"], suite["PropertyTax"], sender=agency["deployer"])


def _bare_suite(project, suite, deployer, treasury):
    """A TitleRegistry with its own, not yet linked, lien registry and tax module."""
    manager, identities = suite["CityAccessManager"], suite["IdentityRegistry"]
    bare = deploy_upgradeable(project, "TitleRegistry", manager, identities, sender=deployer)
    liens = deploy_upgradeable(project, "LienRegistry", manager, bare, identities, sender=deployer)
    tax = deploy_upgradeable(
        project, "PropertyTax", manager, bare, suite["CityToken"], treasury, sender=deployer
    )
    return bare, liens, tax


def test_set_modules_once_both_wired_to_this_registry(project, suite, agency, outsider):
    deployer = agency["deployer"]
    bare, liens, tax = _bare_suite(project, suite, deployer, agency["treasury"])
    zero = "0x" + "00" * 20
    for lien_module, tax_module in (
        (zero, tax),  # zero address
        (liens, outsider),  # no code
        (suite["LienRegistry"], tax),  # another registry's lien module
        (liens, suite["PropertyTax"]),  # another registry's tax module
        (tax, liens),  # swapped
    ):
        with reverts("TitleInvalidModules"):
            bare.setModules(lien_module, tax_module, sender=deployer)
    assert bare.lienRegistry() == zero and bare.taxModule() == zero
    receipt = bare.setModules(liens, tax, sender=deployer)
    [event] = bare.ModulesSet.from_receipt(receipt)
    assert (event.operator, event.lienRegistry, event.taxModule) == (
        deployer.address,
        liens.address,
        tax.address,
    )
    with reverts("TitleModulesAlreadySet"):
        bare.setModules(liens, tax, sender=deployer)


def test_unwired_registry_fails_closed(project, suite, agency, parties):
    """A TitleRegistry without lien/tax modules refuses sales instead of skipping the checks,
    and no lien registry can void its sales."""
    deployer = agency["deployer"]
    bare, liens, _ = _bare_suite(project, suite, deployer, agency["treasury"])
    alice, bob = parties["alice"], parties["bob"]
    data = parcel_data()
    # deployer holds ADMIN: the new target's functions default to the admin role
    bare.register(alice.subject, data, sender=deployer)
    bare.proposeSale(data[0], bob.subject, 1, DEED, sender=alice.account)
    with reverts("TitleModulesNotSet"):
        bare.acceptSale(1, b"\x00" * 32, sender=bob.account)
    other = parcel_data(area=1_000)
    bare.register(alice.subject, other, sender=deployer)
    with reverts("TitleModulesNotSet"):
        bare.split(other[0], [parcel_data(area=500), parcel_data(area=500)], sender=deployer)
    with reverts("TitleOnlyLienRegistry"):  # not even its own, unlinked one
        liens.recordLienByOrder(data[0], parties["bank"].subject, 1, DEED, sender=deployer)


def test_encumbrance_hook_only_from_the_lien_registry(titles, sale_ready, registrar, outsider):
    pid, sale = sale_ready
    for caller in (outsider, registrar):
        with reverts("TitleOnlyLienRegistry"):
            titles.onEncumbranceChanged(pid, caller, sender=caller)
    assert titles.saleOf(sale).state == SaleState.ACCEPTED


def test_token_uri_is_base_plus_hex_parcel_id(titles, registrar, parties, agency, outsider):
    data = parcel_data("URI-1")
    titles.register(parties["alice"].subject, data, sender=registrar)
    assert titles.tokenURI(data[0]) == "" and titles.baseURI() == ""
    for caller in (outsider, registrar):
        with reverts("AccessManagedUnauthorized"):
            titles.setBaseURI("https://evil.example/", sender=caller)
    base = "https://land.city.example/parcels/"
    receipt = titles.setBaseURI(base, sender=agency["deployer"])
    [event] = titles.BaseURISet.from_receipt(receipt)
    assert (event.operator, event.baseURI) == (agency["deployer"].address, base)
    assert titles.tokenURI(data[0]) == f"{base}0x{data[0]:064x}"
    with reverts("TitleParcelNotActive"):
        titles.tokenURI(12345)
    limit = titles.MAX_BASE_URI_LENGTH()
    titles.setBaseURI("u" * limit, sender=agency["deployer"])
    with reverts("TitleBaseURITooLong"):
        titles.setBaseURI("u" * (limit + 1), sender=agency["deployer"])
    titles.setBaseURI("", sender=agency["deployer"])
    assert titles.tokenURI(data[0]) == ""


def test_gas_single_register_is_bounded(titles, registrar, parties):
    receipt = titles.register(parties["alice"].subject, parcel_data(), sender=registrar)
    assert receipt.gas_used < 350_000


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_suspended_party_cannot_cancel(titles, parties, sale_ready, identities, agency, who):
    """A suspended identity's wallet (e.g. a reported stolen key) cannot act for it."""
    _, sale = sale_ready
    office = agency["identity_office"]
    identities.setStatus(parties[who].subject, 2, keccak(text="stolen key"), sender=office)
    with reverts("TitleNotSaleParty"):
        titles.cancelSale(sale, sender=parties[who].account)
    identities.setStatus(parties[who].subject, 1, keccak(text="reinstated"), sender=office)
    titles.cancelSale(sale, sender=parties[who].account)
    assert titles.saleOf(sale).state == SaleState.CANCELLED
