"""The property contracts as upgradeable CityManaged contracts (issue #20, CONVERT.md): ERC-7201
namespaced storage (the layout tool sees each namespace and no loose variable), initializers
instead of constructors (run once, never on the implementation), former immutables read from
storage, and state that survives an upgrade through the AccessManager's notice period."""

from __future__ import annotations

import re
from typing import Any

import ape
import pytest
from eth_utils import keccak
from reverts import reverts

from civic_ledger.access.roles import RoleId
from civic_ledger.core.introspect import project_ast
from civic_ledger.core.paths import ROOT
from civic_ledger.core.revert import decode_revert, project_registry, raw_revert_data
from civic_ledger.deploy.layout import layout_of
from civic_ledger.deploy.proxy import deploy_upgradeable, implementation_of

# The session's suite is deployed before this module's chain snapshot (the layout tests need no
# chain; were the suite first deployed inside the module, its revert would remove it).
pytestmark = pytest.mark.usefixtures("suite")

CONTRACTS = ("TitleRegistry", "LienRegistry", "PropertyTax")
ZERO = "0x" + "00" * 20
LOAN = keccak(text="loan")


def erc7201(namespace: str) -> int:
    """keccak256(abi.encode(uint256(keccak256(id)) - 1)) & ~bytes32(uint256(0xff))"""
    inner = (int.from_bytes(keccak(text=namespace), "big") - 1).to_bytes(32, "big")
    return int.from_bytes(keccak(inner), "big") & ~0xFF


@pytest.fixture(scope="module")
def ast() -> dict[str, Any]:
    return project_ast()


@pytest.mark.parametrize("name", CONTRACTS)
def test_state_lives_in_one_erc7201_namespace(name: str, ast: dict[str, Any]) -> None:
    layout = layout_of(name, ast)
    assert f"civic.{name}" in layout.namespaces, sorted(layout.namespaces)
    assert layout.loose == [], f"{name}: state outside a namespace: {layout.loose}"
    source = (ROOT / "contracts" / "property" / f"{name}.sol").read_text()
    [(constant, value)] = re.findall(
        r"bytes32 private constant (\w+_STORAGE) =\s*(0x[0-9a-f]{64});", source
    )
    assert int(value, 16) == erc7201(f"civic.{name}"), f"{name}.{constant} is not the ERC-7201 slot"


def test_initialized_once_through_the_proxy(suite, project, deployer) -> None:
    titles, liens, tax = (suite[n] for n in CONTRACTS)
    manager, identities, token = (
        suite["CityAccessManager"], suite["IdentityRegistry"], suite["CityToken"],
    )  # fmt: skip
    for contract in (titles, liens, tax):
        assert contract.version() == "1.0.0"
        assert contract.authority() == manager.address
        assert contract.isOpen()
    # former immutables, now set by initialize
    assert (titles.name(), titles.symbol()) == ("City Land Title", "TITLE")
    assert titles.identityRegistry() == identities.address
    assert (liens.titleRegistry(), liens.identityRegistry()) == (titles.address, identities.address)
    assert (tax.titleRegistry(), tax.token()) == (titles.address, token.address)
    assert tax.treasury() != ZERO

    with reverts("InvalidInitialization"):
        titles.initialize(manager, identities, sender=deployer)
    with reverts("InvalidInitialization"):
        liens.initialize(manager, titles, identities, sender=deployer)
    with reverts("InvalidInitialization"):
        tax.initialize(manager, titles, token, deployer, sender=deployer)
    # nor can anyone initialise (take over) an implementation itself
    web3 = ape.chain.provider.web3
    for name, contract in zip(CONTRACTS, (titles, liens, tax), strict=True):
        implementation = getattr(project, name).at(implementation_of(web3, contract.address))
        args = {
            "TitleRegistry": (deployer, identities),
            "LienRegistry": (deployer, titles, identities),
            "PropertyTax": (deployer, titles, token, deployer),
        }[name]
        with reverts("InvalidInitialization"):
            implementation.initialize(*args, sender=deployer)


def test_tax_initializer_refuses_zero_addresses(suite, project, deployer) -> None:
    manager, titles = suite["CityAccessManager"], suite["TitleRegistry"]
    with pytest.raises(Exception) as failure:  # the proxy's constructor runs initialize
        deploy_upgradeable(project, "PropertyTax", manager, titles, ZERO, deployer, sender=deployer)
    decoded = decode_revert(raw_revert_data(failure.value) or b"", project_registry())
    assert decoded is not None and decoded[0].name == "TaxZeroAddress", failure.value


def test_titles_liens_and_tax_survive_an_upgrade(
    suite, project, parties, new_parcel, sale_ready, assessor, registrar, chain, agency
) -> None:
    """A new implementation of each contract, through UPGRADER's notice period: every parcel,
    sale, lien and assessment is still there, and the sale flow goes on."""
    titles, liens, tax = (suite[n] for n in CONTRACTS)
    manager, admin = suite["CityAccessManager"], agency["deployer"]
    alice, bank = parties["alice"], parties["bank"]
    pid, sale = sale_ready
    mortgaged = new_parcel(alice)
    liens.proposeLien(mortgaged, bank.subject, 5, LOAN, sender=bank.account)
    lien = int(liens.lienCount())
    liens.consentLien(lien, sender=alice.account)
    tax.assess(mortgaged, 2026, 100, chain.pending_timestamp + 10**6, sender=assessor)
    before = (titles.saleOf(sale), titles.chainOfTitle(pid), liens.lienOf(lien),
              tax.assessmentOf(mortgaged, 2026), titles.ownerOf(pid))  # fmt: skip

    web3 = chain.provider.web3
    for name, contract in zip(CONTRACTS, (titles, liens, tax), strict=True):
        old = implementation_of(web3, contract.address)
        fresh = getattr(project, name).deploy(sender=admin)
        call = contract.upgradeToAndCall.encode_input(fresh, b"")
        with reverts("AccessManagerNotScheduled"):  # the notice period: none unscheduled
            contract.upgradeToAndCall(fresh, b"", sender=admin)
        manager.schedule(contract, call, 0, sender=admin)
        chain.pending_timestamp += int(manager.getAccess(RoleId.UPGRADER, admin)[1]) + 1
        chain.mine()
        contract.upgradeToAndCall(fresh, b"", sender=admin)
        assert implementation_of(web3, contract.address) == fresh.address != old

    after = (titles.saleOf(sale), titles.chainOfTitle(pid), liens.lienOf(lien),
             tax.assessmentOf(mortgaged, 2026), titles.ownerOf(pid))  # fmt: skip
    assert after == before
    titles.approveSale(sale, sender=registrar)
    assert titles.ownerIdentityOf(pid) == parties["bob"].subject
    assert liens.activeLiensOf(mortgaged) == [lien] and tax.hasUnpaid(mortgaged)
