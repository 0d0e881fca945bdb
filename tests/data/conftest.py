"""Data-domain fixtures on top of the shared ones: the DataExchange of the session suite, the
agencies of config/roles.local.yaml in their data roles, a registered person and resources.

Agencies (config/roles.local.yaml):
- land_registry: REGISTRAR + DATA_STEWARD + DATA_RECEIPTS -> owns resources under REGISTRAR
- tax_bureau: TAX_ASSESSOR + DATA_REQUESTER + DATA_EXEMPTION_OFFICER -> requests as TAX_ASSESSOR

The exploits need a second agency holding the same function roles: the fixtures `third`
(market_regulator, given DATA_STEWARD + DATA_REQUESTER) and `court_officer` (court, given
DATA_EXEMPTION_OFFICER) grant them in the test's own snapshot and wait out the grant delay
(the roles file keeps one holder per data function, so the access matrix's denials stay pure
AccessManagedUnauthorized).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from eth_utils import keccak

from civic_ledger.access.roles import BY_NAME, RoleId
from civic_ledger.core import names
from civic_ledger.core.times import DAY
from civic_ledger.data.client import (
    Consent,
    DataRequest,
    ResourceInput,
    Sharing,
    register_resource,
    sign_consent,
)
from civic_ledger.identity.client import Kind

OWNER_ROLE = RoleId.REGISTRAR
RECIPIENT_ROLE = RoleId.TAX_ASSESSOR
THIRD_ROLE = RoleId.MARKET_RECORD_ISSUER
COURT_ROLE = RoleId.COURT_RECORD_ISSUER
PURPOSE = 7


def h(text: str) -> bytes:
    return keccak(text=f"data-test:{text}")


@dataclass(frozen=True)
class Person:
    subject: bytes
    controller: Any


@pytest.fixture
def exchange(suite: Any) -> Any:
    return suite[names.DATA_EXCHANGE]


@pytest.fixture
def steward(agency: dict[str, Any]) -> Any:
    """Data steward of the owner agency (land registry)."""
    return agency["land_registry"]


@pytest.fixture
def requester(agency: dict[str, Any]) -> Any:
    """Data requester (and exemption officer) of the recipient agency (tax bureau)."""
    return agency["tax_bureau"]


def _grant_roles(manager: Any, admin: Any, chain: Any, account: Any, *names_: str) -> Any:
    delay = 0
    for name in names_:
        role = BY_NAME[name]
        manager.grantRole(role.id, account, 0, sender=admin)
        delay = max(delay, role.grant_delay)
    if delay:
        chain.pending_timestamp += delay + 1
        chain.mine()
    return account


@pytest.fixture
def third(agency: dict[str, Any], manager: Any, chain: Any) -> Any:
    """Steward and requester of a third agency (market regulator)."""
    account = agency["market_regulator"]
    return _grant_roles(
        manager, agency["deployer"], chain, account, "DATA_STEWARD", "DATA_REQUESTER"
    )


@pytest.fixture
def court_officer(agency: dict[str, Any], manager: Any, chain: Any) -> Any:
    """Exemption officer of another agency (the court)."""
    return _grant_roles(
        manager, agency["deployer"], chain, agency["court"], "DATA_EXEMPTION_OFFICER"
    )


@pytest.fixture
def person(identity: Any, office: Any, citizens: list[Any]) -> Person:
    subject = keccak(text="data-test-salt:carol")
    identity.register(subject, citizens[0], Kind.PERSON, sender=office)
    return Person(subject, citizens[0])


@pytest.fixture
def make_resource(exchange: Any, steward: Any) -> Callable[..., int]:
    def make(sharing: Sharing = Sharing.OPEN, personal: bool = False, period: int = 7 * DAY) -> int:
        spec = ResourceInput(
            OWNER_ROLE,
            sharing,
            personal,
            period,
            h("mandate"),
            h("description"),
            h("v1"),
            h("schema"),
        )
        return register_resource(exchange, spec, sender=steward)

    return make


def data_request(resource_id: int, subject: bytes = b"\x00" * 32, **overrides: Any) -> DataRequest:
    fields: dict[str, Any] = {
        "resource_id": resource_id,
        "recipient_role": RECIPIENT_ROLE,
        "purpose": PURPOSE,
        "duration": 30 * DAY,
        "legal_basis_hash": h("basis"),
        "fields_hash": h("fields"),
        "subject": subject,
    }
    fields.update(overrides)
    return DataRequest(**fields)


@pytest.fixture
def consent_for(exchange: Any, chain: Any) -> Callable[..., tuple[Consent, bytes]]:
    def make(person: Person, resource_id: int, **overrides: Any) -> tuple[Consent, bytes]:
        fields: dict[str, Any] = {
            "subject": person.subject,
            "resource_id": resource_id,
            "recipient_role": RECIPIENT_ROLE,
            "purpose": PURPOSE,
            "expires_at": int(chain.pending_timestamp) + 60 * DAY,
        }
        signer = overrides.pop("signer", person.controller)
        fields.update(overrides)
        consent = Consent(**fields)
        return consent, sign_consent(exchange, consent, signer)

    return make
