"""DataExchange: the directory, requests and grants, consent and exemptions, deletion — and the
exploit of every rule, written as a test (who gains by breaking it, and how it is refused)."""

from __future__ import annotations

from typing import Any

import pytest
from reverts import reverts
from shared_fixtures import set_target_closed

from civic_ledger.access.roles import RoleId
from civic_ledger.data import client
from civic_ledger.data.client import (
    DataRequest,
    ExemptionInput,
    ExemptionStatus,
    RequestStatus,
    Sharing,
)

from .conftest import (
    DAY,
    OWNER_ROLE,
    PURPOSE,
    RECIPIENT_ROLE,
    THIRD_ROLE,
    data_request,
    h,
)

# ------------------------------------------------------------------------------ directory


def test_register_version_retire_each_name_the_actor(exchange, make_resource, steward):
    rid = make_resource(Sharing.CONDITIONAL, personal=True)
    view = client.resource(exchange, rid)
    assert (view.owner_role, view.sharing, view.personal, view.version_count) == (
        OWNER_ROLE,
        Sharing.CONDITIONAL,
        True,
        1,
    )
    assert client.add_version(exchange, rid, h("v2"), h("schema2"), sender=steward) == 2
    assert bytes(exchange.versionOf(rid, 2).contentHash) == h("v2")
    receipt = client.retire_resource(exchange, rid, h("why"), sender=steward)
    event = exchange.ResourceRetired.from_receipt(receipt)[0]
    assert event.operator == steward.address
    assert client.resource(exchange, rid).retired


def test_views_refuse_an_id_nothing_has(exchange, make_resource, requester):
    """The contract answers an unknown id with an empty struct; the views refuse it by name
    (as the titles' and liens' do) instead of handing a zero record to the caller."""
    rid = make_resource(Sharing.OPEN)
    grant = client.request_data(exchange, data_request(rid), sender=requester)
    assert client.resource(exchange, rid).registered_at > 0
    assert client.grant(exchange, grant).requested_at > 0
    with pytest.raises(LookupError, match=rf"^data resource {rid + 1} does not exist$"):
        client.resource(exchange, rid + 1)
    with pytest.raises(LookupError, match=rf"^data request {grant + 1} does not exist$"):
        client.grant(exchange, grant + 1)


def test_steward_cannot_register_for_another_agency(exchange, third):
    """A steward of the market regulator registers a resource in the land registry's name."""
    spec = client.ResourceInput(
        OWNER_ROLE, Sharing.OPEN, False, DAY, h("m"), h("d"), h("c"), h("s")
    )
    with reverts("DataUnauthorizedAgency", role=OWNER_ROLE):
        exchange.registerResource(spec.as_tuple(), sender=third)


def test_third_agency_cannot_version_or_retire(exchange, make_resource, third):
    rid = make_resource()
    with reverts("DataUnauthorizedAgency"):
        exchange.addVersion(rid, h("x"), h("y"), sender=third)
    with reverts("DataUnauthorizedAgency"):
        exchange.retireResource(rid, h("x"), sender=third)


# ------------------------------------------------------------------------------ grants


def test_open_granted_at_once_conditional_waits_not_shareable_refused(
    exchange, make_resource, requester, steward
):
    open_id, cond_id, closed_id = (
        make_resource(Sharing.OPEN),
        make_resource(Sharing.CONDITIONAL),
        make_resource(Sharing.NOT_SHAREABLE),
    )
    grant = client.request_data(exchange, data_request(open_id), sender=requester)
    assert client.grant(exchange, grant).live
    pending = client.request_data(exchange, data_request(cond_id), sender=requester)
    view = client.grant(exchange, pending)
    assert view.status == RequestStatus.PENDING and not view.live
    client.decide(exchange, pending, True, sender=steward)
    assert client.grant(exchange, pending).live
    denied = client.request_data(exchange, data_request(cond_id), sender=requester)
    receipt = exchange.decide(denied, False, 3, sender=steward)
    assert exchange.RequestDenied.from_receipt(receipt)[0].reasonCode == 3
    assert client.grant(exchange, denied).status == RequestStatus.DENIED
    with reverts("DataNotShareable"):
        exchange.request(data_request(closed_id).as_tuple(), sender=requester)


def test_requester_cannot_request_in_another_agencys_name(exchange, make_resource, third):
    rid = make_resource()
    with reverts("DataUnauthorizedAgency", role=RECIPIENT_ROLE):
        exchange.request(data_request(rid).as_tuple(), sender=third)


def test_recipient_cannot_approve_its_own_request(exchange, make_resource, requester, third):
    rid = make_resource(Sharing.CONDITIONAL)
    pending = client.request_data(
        exchange, data_request(rid, recipient_role=THIRD_ROLE), sender=third
    )
    # the market regulator holds DATA_STEWARD, but not the owner's role
    with reverts("DataUnauthorizedAgency", role=OWNER_ROLE):
        exchange.decide(pending, True, 0, sender=third)


def test_grant_expires(exchange, make_resource, requester, chain):
    rid = make_resource()
    grant = client.request_data(exchange, data_request(rid, duration=DAY), sender=requester)
    assert exchange.isGrantLive(grant)
    chain.pending_timestamp += DAY
    chain.mine()
    assert not exchange.isGrantLive(grant)


def test_only_the_owner_revokes(exchange, make_resource, requester, steward, third):
    """A third agency (or the recipient) revoking someone else's grant."""
    rid = make_resource()
    grant = client.request_data(exchange, data_request(rid), sender=requester)
    with reverts("DataUnauthorizedAgency"):
        exchange.revokeGrant(grant, 1, sender=third)
    with reverts("AccessManagedUnauthorized"):
        exchange.revokeGrant(grant, 1, sender=requester)
    client.revoke_grant(exchange, grant, 1, sender=steward)
    assert not exchange.isGrantLive(grant)
    with reverts("DataGrantNotLive"):
        exchange.revokeGrant(grant, 1, sender=steward)


def test_retiring_ends_grants(exchange, make_resource, requester, steward):
    rid = make_resource()
    grant = client.request_data(exchange, data_request(rid), sender=requester)
    client.retire_resource(exchange, rid, h("gone"), sender=steward)
    assert not exchange.isGrantLive(grant)
    with reverts("DataResourceRetired"):
        exchange.request(data_request(rid).as_tuple(), sender=requester)


# ------------------------------------------------------------------------------ personal data


def test_personal_data_needs_subject_and_basis(exchange, make_resource, requester, person):
    rid = make_resource(personal=True)
    with reverts("DataSubjectRequired"):
        exchange.request(data_request(rid).as_tuple(), sender=requester)
    with reverts("DataInvalidBasis"):
        exchange.request(data_request(rid, person.subject).as_tuple(), sender=requester)


def test_consent_grants_until_revoked(exchange, make_resource, requester, person, consent_for):
    rid = make_resource(personal=True)
    consent, signature = consent_for(person, rid)
    grant = client.request_with_consent(
        exchange, data_request(rid, person.subject), consent, signature, sender=requester
    )
    view = client.grant(exchange, grant)
    assert view.live and view.expires_at <= consent.expires_at
    client.revoke_consent(exchange, consent, sender=person.controller)
    assert not exchange.isGrantLive(grant)
    with reverts("DataConsentNotLive"):
        client.request_with_consent(
            exchange, data_request(rid, person.subject), consent, signature, sender=requester
        )


@pytest.mark.parametrize(
    "field, value",
    [("recipient_role", THIRD_ROLE), ("purpose", PURPOSE + 1), ("resource_id", None)],
)
def test_consent_replay_for_other_terms_refused(
    exchange, make_resource, requester, third, person, consent_for, field, value
):
    """A consent given to the tax bureau for one purpose and resource, replayed for another
    recipient, purpose or resource."""
    rid = make_resource(personal=True)
    other = make_resource(personal=True)
    consent, signature = consent_for(person, rid)
    overrides: dict[str, Any] = {field: other if value is None else value}
    sender = third if field == "recipient_role" else requester
    replayed = data_request(**{"resource_id": rid, "subject": person.subject, **overrides})
    with reverts("DataConsentMismatch"):
        client.request_with_consent(exchange, replayed, consent, signature, sender=sender)
    # re-labelling the consent itself breaks the signature
    forged = client.Consent(**{**consent.__dict__, field: overrides[field]})
    with reverts("DataInvalidConsentSignature"):
        client.request_with_consent(exchange, replayed, forged, signature, sender=sender)


def test_consent_signed_by_someone_else_refused(
    exchange, make_resource, requester, person, consent_for, outsider
):
    rid = make_resource(personal=True)
    consent, signature = consent_for(person, rid, signer=outsider)
    with reverts("DataInvalidConsentSignature"):
        client.request_with_consent(
            exchange, data_request(rid, person.subject), consent, signature, sender=requester
        )


def test_only_the_subject_revokes_consent(exchange, make_resource, person, consent_for, requester):
    rid = make_resource(personal=True)
    consent, _ = consent_for(person, rid)
    with reverts("DataNotSubjectController"):
        exchange.revokeConsent(consent.as_tuple(), sender=requester)


def _exemption(exchange, rid, person, chain, officer, role=RECIPIENT_ROLE) -> int:
    spec = ExemptionInput(
        person.subject, rid, role, PURPOSE, int(chain.pending_timestamp) + 30 * DAY, h("statute")
    )
    return client.record_exemption(exchange, spec, sender=officer)


def test_exemption_grants_and_overturned_exemption_ends_it(
    exchange, make_resource, requester, person, chain, arbiter
):
    rid = make_resource(Sharing.OPEN, personal=True)
    exemption = _exemption(exchange, rid, person, chain, requester)
    grant = client.request_data(
        exchange, data_request(rid, person.subject, exemption_id=exemption), sender=requester
    )
    assert exchange.isGrantLive(grant)
    client.dispute_exemption(exchange, exemption, h("appeal"), sender=person.controller)
    assert exchange.isGrantLive(grant)  # still counts while disputed
    assert (
        client.resolve_exemption_dispute(exchange, exemption, False, h("ruling"), sender=arbiter)
        == ExemptionStatus.OVERTURNED
    )
    assert not exchange.isGrantLive(grant)
    with reverts("DataExemptionNotApplicable"):
        exchange.request(
            data_request(rid, person.subject, exemption_id=exemption).as_tuple(), sender=requester
        )


def test_exemption_officer_of_another_agency_refused(
    exchange, make_resource, person, chain, court_officer
):
    """The court's exemption officer exempts the tax bureau's requests."""
    rid = make_resource(personal=True)
    with reverts("DataUnauthorizedAgency", role=RECIPIENT_ROLE):
        _exemption(exchange, rid, person, chain, court_officer)


def test_no_exemption_where_it_cannot_be_a_basis(
    exchange, make_resource, person, chain, requester, steward
):
    """An exemption is an adverse record about its subject: none on non-personal data (it
    could never be used) nor on a retired resource."""
    with reverts("DataInvalidBasis"):
        _exemption(exchange, make_resource(personal=False), person, chain, requester)
    retired = make_resource(personal=True)
    client.retire_resource(exchange, retired, h("gone"), sender=steward)
    with reverts("DataResourceRetired"):
        _exemption(exchange, retired, person, chain, requester)


def test_exemption_for_another_recipient_cannot_be_borrowed(
    exchange, make_resource, person, chain, court_officer, requester, agency
):
    rid = make_resource(personal=True)
    from .conftest import COURT_ROLE

    exemption = _exemption(exchange, rid, person, chain, court_officer, role=COURT_ROLE)
    with reverts("DataExemptionNotApplicable"):
        exchange.request(
            data_request(rid, person.subject, exemption_id=exemption).as_tuple(), sender=requester
        )


def test_only_the_subject_disputes_once(
    exchange, make_resource, person, chain, requester, outsider
):
    rid = make_resource(personal=True)
    exemption = _exemption(exchange, rid, person, chain, requester)
    with reverts("DataNotSubjectController"):
        exchange.disputeExemption(exemption, h("x"), sender=outsider)
    client.dispute_exemption(exchange, exemption, h("x"), sender=person.controller)
    with reverts("DataExemptionWrongStatus"):
        exchange.disputeExemption(exemption, h("x"), sender=person.controller)


def test_pending_request_cannot_be_approved_after_consent_revoked(
    exchange, make_resource, requester, steward, person, consent_for
):
    rid = make_resource(Sharing.CONDITIONAL, personal=True)
    consent, signature = consent_for(person, rid)
    pending = client.request_with_consent(
        exchange, data_request(rid, person.subject), consent, signature, sender=requester
    )
    client.revoke_consent(exchange, consent, sender=person.controller)
    with reverts("DataGrantNotLive"):
        exchange.decide(pending, True, 0, sender=steward)


# ------------------------------------------------------------------------------ deletion


def test_deletion_by_subject_overdue_then_confirmed(
    exchange, make_resource, requester, person, consent_for, chain
):
    rid = make_resource(personal=True, period=2 * DAY)
    consent, signature = consent_for(person, rid)
    grant = client.request_with_consent(
        exchange, data_request(rid, person.subject), consent, signature, sender=requester
    )
    due = client.request_deletion(exchange, grant, h("erase me"), sender=person.controller)
    assert not exchange.isGrantLive(grant)  # the request ends the grant
    assert not exchange.deletionOverdue(grant)
    chain.pending_timestamp = due + 1
    chain.mine()
    assert exchange.deletionOverdue(grant)
    assert client.confirm_deletion(exchange, grant, h("wiped"), sender=requester) is True
    assert not exchange.deletionOverdue(grant)
    with reverts("DataNoOpenDeletion"):
        exchange.confirmDeletion(grant, h("again"), sender=requester)


def test_deletion_callers(exchange, make_resource, requester, steward, third, person, chain):
    """A third agency, or the subject of an exemption-based grant, cannot ask for deletion;
    the owner can."""
    rid = make_resource(personal=True)
    exemption = _exemption(exchange, rid, person, chain, requester)
    grant = client.request_data(
        exchange, data_request(rid, person.subject, exemption_id=exemption), sender=requester
    )
    for caller in (third, person.controller, requester):
        with reverts("DataUnauthorizedDeletion"):
            exchange.requestDeletion(grant, h("x"), sender=caller)
    client.request_deletion(exchange, grant, h("x"), sender=steward)
    with reverts("DataUnauthorizedAgency"):
        exchange.confirmDeletion(grant, h("x"), sender=third)


@pytest.mark.parametrize("stop", ["pause", "close"])
def test_subject_rights_continue_during_pause_not_when_closed(
    exchange, make_resource, requester, person, consent_for, guardian, admin, manager, chain, stop
):
    rid = make_resource(personal=True)
    consent, signature = consent_for(person, rid)
    grant = client.request_with_consent(
        exchange, data_request(rid, person.subject), consent, signature, sender=requester
    )
    exemption = _exemption(exchange, rid, person, chain, requester)
    if stop == "pause":
        exchange.pause(sender=guardian)
        with reverts("EnforcedPause"):
            exchange.request(data_request(rid, person.subject).as_tuple(), sender=requester)
        client.revoke_consent(exchange, consent, sender=person.controller)
        client.dispute_exemption(exchange, exemption, h("appeal"), sender=person.controller)
        client.request_deletion(exchange, grant, h("x"), sender=person.controller)
        return
    set_target_closed(manager, admin, exchange)
    for call in (
        lambda: exchange.revokeConsent(consent.as_tuple(), sender=person.controller),
        lambda: exchange.disputeExemption(exemption, h("appeal"), sender=person.controller),
        lambda: exchange.requestDeletion(grant, h("x"), sender=person.controller),
    ):
        with reverts("CityContractStopped"):
            call()
    assert exchange.isGrantLive(grant)  # views answer


def test_bad_client_input_names_the_problem(exchange):
    with pytest.raises(client.InputError, match="purpose code 0"):
        DataRequest(1, RECIPIENT_ROLE, 0, DAY, h("b"), h("f")).as_tuple()
    with pytest.raises(client.InputError, match="not an agency role"):
        DataRequest(1, 0, 1, DAY, h("b"), h("f")).as_tuple()
    with pytest.raises(client.InputError, match="reason code"):
        client.decide(exchange, 1, False, 0, sender=None)


def test_admin_and_public_are_no_agency(exchange, make_resource, requester, steward):
    """Who gains if ADMIN or PUBLIC counted as an agency role: every account holds PUBLIC, so a
    requester could take an open resource's grant for "the public" (any account a recipient),
    and a steward could file a resource under ADMIN, which no agency answers for. The contract
    refuses both by name (the client refuses them earlier: these tuples are built past it)."""
    rid = make_resource()
    for_everyone = list(data_request(rid).as_tuple())
    for_everyone[1] = RoleId.PUBLIC
    with reverts("DataInvalidAgencyRole", role=RoleId.PUBLIC):
        exchange.request(tuple(for_everyone), sender=requester)
    spec = client.ResourceInput(
        OWNER_ROLE, Sharing.OPEN, False, DAY, h("m"), h("d"), h("c"), h("s")
    )
    under_admin = list(spec.as_tuple())
    under_admin[0] = RoleId.ADMIN
    with reverts("DataInvalidAgencyRole", role=RoleId.ADMIN):
        exchange.registerResource(tuple(under_admin), sender=steward)
