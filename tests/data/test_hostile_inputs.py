"""Hostile inputs to the data domain (issue #8's classes, for the new contract and client):

- the client refuses malformed input with one readable sentence (InputError, a CivicError),
  before anything is sent: block height and the sender's nonce unchanged;
- the contract refuses what the client would not catch (random signatures, consents for an
  unregistered subject, random proofs and roots) with its own custom errors, or answers false.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reverts import reverts

from civic_ledger.core.exceptions import CivicError, InputError
from civic_ledger.data import client
from civic_ledger.data.client import Consent, ExemptionInput, ResourceInput, Sharing
from civic_ledger.data.receipts import Receipt

from .conftest import DAY, OWNER_ROLE, PURPOSE, RECIPIENT_ROLE, data_request, h

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
U64 = 2**64 - 1

BAD_REQUESTS = [
    ({"resource_id": 0}, "resource id 0"),
    ({"resource_id": U64 + 1}, "resource id"),
    ({"recipient_role": 0}, "not an agency role"),
    ({"recipient_role": U64}, "not an agency role"),
    ({"purpose": 0}, "purpose code 0"),
    ({"purpose": 2**16}, "purpose code"),
    ({"duration": 0}, "duration"),
    ({"duration": 366 * DAY}, "duration"),
    ({"legal_basis_hash": b"\x01" * 31}, "legal-basis hash"),
    ({"fields_hash": "0xnot-hex"}, "fields hash"),
    ({"subject": b"short"}, "subject"),
    ({"exemption_id": -1}, "exemption id"),
]


def _fingerprint(chain: Any, account: Any) -> tuple[int, int]:
    return (chain.blocks.height, account.nonce)


@pytest.mark.parametrize("overrides, message", BAD_REQUESTS)
def test_bad_request_refused_before_sending(exchange, requester, chain, overrides, message):
    before = _fingerprint(chain, requester)
    with pytest.raises(InputError, match=message) as info:
        request = data_request(**{"resource_id": 1, **overrides})
        client.request_data(exchange, request, sender=requester)
    assert "\n" not in str(info.value) and isinstance(info.value, CivicError)
    assert _fingerprint(chain, requester) == before


@pytest.mark.parametrize(
    "build, message",
    [
        (
            lambda: ResourceInput(0, Sharing.OPEN, False, DAY, h("m"), h("d"), h("c"), h("s")),
            "role",
        ),
        (
            lambda: ResourceInput(
                OWNER_ROLE, Sharing.OPEN, False, 0, h("m"), h("d"), h("c"), h("s")
            ),
            "deletion period",
        ),
        (
            lambda: ResourceInput(
                OWNER_ROLE, Sharing.OPEN, False, DAY, b"\x00" * 32, h("d"), h("c"), h("s")
            ),
            "mandate hash is required",
        ),
        (
            lambda: ExemptionInput(h("s"), 1, RECIPIENT_ROLE, PURPOSE, DAY, b"\x00" * 32),
            "legal-basis hash is required",
        ),
        (lambda: Consent(b"\x00" * 32, 1, RECIPIENT_ROLE, PURPOSE, DAY), "subject is required"),
    ],
)
def test_bad_structs_refused(build, message):
    with pytest.raises(InputError, match=message):
        build().as_tuple()


def test_bad_receipts_refused():
    for args in (
        (0, b"\x00" * 32, h("p"), 1),
        (1, b"\x00" * 31, h("p"), 1),
        (1, h("s"), h("p"), 0),
    ):
        with pytest.raises(InputError):
            Receipt(*args)


@SETTINGS
@given(signature=st.binary(min_size=0, max_size=130))
def test_random_consent_signatures_refused(
    exchange, make_resource, requester, person_for_hostile, chain, signature
):
    rid, person = person_for_hostile
    consent = Consent(
        person.subject, rid, RECIPIENT_ROLE, PURPOSE, int(chain.pending_timestamp) + DAY
    )
    with reverts("DataInvalidConsentSignature"):
        client.request_with_consent(
            exchange, data_request(rid, person.subject), consent, signature, sender=requester
        )


def test_consent_for_an_unregistered_subject_refused(
    exchange, make_resource, requester, chain, outsider
):
    rid = make_resource(personal=True)
    ghost = h("nobody")
    consent = Consent(ghost, rid, RECIPIENT_ROLE, PURPOSE, int(chain.pending_timestamp) + DAY)
    signature = client.sign_consent(exchange, consent, outsider)
    with reverts("CityIdentityNotActive"):
        client.request_with_consent(
            exchange, data_request(rid, ghost), consent, signature, sender=requester
        )


@SETTINGS
@given(
    root=st.binary(min_size=32, max_size=32),
    proof=st.lists(st.binary(min_size=32, max_size=32), max_size=20),
    grant=st.integers(1, U64),
    at=st.integers(1, U64),
)
def test_random_proofs_never_verify(exchange, anchored_root, root, proof, grant, at):
    receipt = Receipt(grant, h("s"), h("payload"), at)
    for candidate in (root, anchored_root):
        assert not exchange.verifyReceipt(candidate, receipt.as_tuple(), proof)


@pytest.fixture
def person_for_hostile(make_resource, person) -> tuple[int, Any]:
    return make_resource(personal=True), person


@pytest.fixture
def anchored_root(exchange, steward) -> bytes:
    root = h("anchored root")
    exchange.anchorReceipts(OWNER_ROLE, root, 7, sender=steward)
    return root
