"""DataExchange's deployment: behind a CityProxy, initialised once, its ERC-7201 slot as
documented, and its EIP-712 domain the one the client signs for."""

from __future__ import annotations

import re
from pathlib import Path

from eth_utils import keccak
from reverts import reverts

from civic_ledger.data.client import DOMAIN_NAME, DOMAIN_VERSION
from civic_ledger.deploy.proxy import implementation_of

SOURCE = Path(__file__).resolve().parents[2] / "contracts" / "data" / "DataExchange.sol"


def test_storage_slot_is_erc7201():
    text = SOURCE.read_text()
    namespace = re.search(r"erc7201:([\w.]+)", text).group(1)
    slot = re.search(r"DATA_EXCHANGE_STORAGE =\s*(0x[0-9a-f]{64})", text).group(1)
    inner = int.from_bytes(keccak(text=namespace), "big") - 1
    expected = int.from_bytes(keccak(inner.to_bytes(32, "big")), "big") & ~0xFF
    assert namespace == "civic.DataExchange" and int(slot, 16) == expected


def test_initialised_once_behind_the_proxy(exchange, suite, outsider, project, chain):
    assert exchange.version() == "1.0.0"
    assert exchange.authority() == suite["CityAccessManager"].address
    with reverts("InvalidInitialization"):
        exchange.initialize(suite["CityAccessManager"], suite["IdentityRegistry"], sender=outsider)
    implementation = implementation_of(chain.provider.web3, exchange.address)
    assert implementation not in (exchange.address, "0x" + "0" * 40)
    bare = project.DataExchange.at(implementation)
    with reverts("InvalidInitialization"):  # the implementation can never be taken over
        bare.initialize(outsider, suite["IdentityRegistry"], sender=outsider)


def test_eip712_domain_matches_the_client(exchange):
    domain = exchange.eip712Domain()
    assert (domain.name, domain.version) == (DOMAIN_NAME, DOMAIN_VERSION)
    assert domain.verifyingContract == exchange.address
