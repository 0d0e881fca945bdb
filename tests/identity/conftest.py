"""Identity-domain fixtures on top of the shared ones (tests/conftest.py and
tests/shared_fixtures.py): registered identities, a standard set of record schemas, and a
record factory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from civic_ledger.access.roles import role_id
from civic_ledger.identity.client import Kind
from civic_ledger.identity.records import RecordRequest, issued_record_ids

from .helpers import (
    YEAR,
    Party,
    Schemas,
    blank_data,
    evidence,
    subject_for,
)


@pytest.fixture
def register(identity: Any, office: Any) -> Callable[..., Party]:
    """register(name, account, kind=PERSON) -> Party (registered by the identity office)."""

    def _register(name: str, account: Any, kind: int = Kind.PERSON) -> Party:
        subject = subject_for(name)
        identity.register(subject, account, kind, sender=office)
        return Party(name, subject, account)

    return _register


@pytest.fixture
def alice(register: Callable[..., Party], citizens: list[Any]) -> Party:
    return register("alice", citizens[0])


@pytest.fixture
def bob(register: Callable[..., Party], citizens: list[Any]) -> Party:
    return register("bob", citizens[1])


@pytest.fixture
def acme(register: Callable[..., Party], citizens: list[Any]) -> Party:
    return register("acme", citizens[2], Kind.ENTERPRISE)


@pytest.fixture
def schemas(records: Any, data_bureau: Any) -> Schemas:
    def add(name: str, layout: str, role: str, revocable: bool, adverse: bool, validity: int):
        receipt = records.registerSchema(
            (name, layout, role_id(role), revocable, adverse, validity), sender=data_bureau
        )
        return int(records.SchemaRegistered.from_receipt(receipt)[0].schemaId)

    return Schemas(
        tax_ok=add("tax-compliance", "uint16 year", "TAX_RECORD_ISSUER", True, False, YEAR),
        tax_penalty=add("tax-penalty", "uint256 amount", "TAX_RECORD_ISSUER", True, True, 3 * YEAR),
        licence=add("business-licence", "uint64 licenceNo", "MARKET_RECORD_ISSUER", True, False, 0),
        judgment=add("court-judgment", "", "COURT_RECORD_ISSUER", False, True, 5 * YEAR),
    )


@pytest.fixture
def issuer_of(schemas: Schemas, tax_bureau: Any, market: Any, court: Any) -> dict[int, Any]:
    """Schema id -> the agency account allowed to issue it."""
    return {
        schemas.tax_ok: tax_bureau,
        schemas.tax_penalty: tax_bureau,
        schemas.licence: market,
        schemas.judgment: court,
    }


@pytest.fixture
def issue(records: Any, issuer_of: dict[int, Any]) -> Callable[..., bytes]:
    """issue(schema, subject, **fields) -> record id, sent by the schema's issuing agency
    (or `sender=`). Records get an evidence hash and data matching their schema's layout
    (zero words) by default."""

    def _issue(schema_id: int, subject: bytes, sender: Any = None, **fields: Any) -> bytes:
        fields.setdefault("evidence_hash", evidence(f"{schema_id}:{subject.hex()}"))
        fields.setdefault("data", blank_data(records, schema_id))
        request = RecordRequest(schema_id=schema_id, subject=subject, **fields)
        receipt = records.issue(request.as_tuple(), sender=sender or issuer_of[schema_id])
        return issued_record_ids(records, receipt)[0]

    return _issue
