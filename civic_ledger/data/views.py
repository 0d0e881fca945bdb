"""Views of DataExchange's structs (filled by `civic_ledger.core.structs.from_struct`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from civic_ledger.core.structs import from_struct
from civic_ledger.data.enums import Basis, RequestStatus, Sharing


@dataclass(frozen=True)
class ResourceView:
    """IDataExchange.Resource."""

    owner_role: int
    registered_at: int
    deletion_period: int
    version_count: int
    sharing: Sharing
    personal: bool
    retired: bool
    mandate_hash: bytes
    description_hash: bytes


@dataclass(frozen=True)
class GrantView:
    """IDataExchange.Request (a request, and the grant it became), with its liveness now."""

    resource_id: int
    recipient_role: int
    requested_at: int
    duration: int
    purpose: int
    status: RequestStatus
    basis: Basis
    granted_at: int
    expires_at: int
    revoked_at: int
    basis_expires_at: int
    subject: bytes
    basis_id: bytes
    live: bool


def resource(exchange: Any, resource_id: int) -> ResourceView:
    """Resource `resource_id`; LookupError for an id no resource has (the contract answers an
    empty struct), as the other domains' views do."""
    view = from_struct(ResourceView, exchange.resourceOf(resource_id))
    if view.registered_at == 0:
        raise LookupError(f"data resource {resource_id} does not exist")
    return view


def grant(exchange: Any, grant_id: int) -> GrantView:
    """Request `grant_id` and the grant it became; LookupError for an id no request has."""
    view = from_struct(
        GrantView, exchange.requestOf(grant_id), live=bool(exchange.isGrantLive(grant_id))
    )
    if view.requested_at == 0:
        raise LookupError(f"data request {grant_id} does not exist")
    return view
