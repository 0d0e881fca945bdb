"""Records and schemas as an agency reads them: the label/value rows of one record (state,
schema, parties, times, data, stay, supersession and dispute, each only where it applies), the
lines of record and schema lists, and the reasons behind a policy check."""

from __future__ import annotations

from collections.abc import Callable

from civic_ledger.core.encoding import format_time, hex32
from civic_ledger.core.revert import role_label
from civic_ledger.identity import records as rec_client


def record_rows(view: rec_client.RecordView) -> list[tuple[str, str]]:
    """The rows `records show` prints for one record."""
    rows = [
        ("record", hex32(view.record_id)),
        ("state", view.state),
        (
            "schema",
            f"{view.schema.schema_id} {view.schema.name}"
            + (" (adverse)" if view.schema.adverse else ""),
        ),
        ("subject", hex32(view.subject)),
        ("issuer", view.issuer),
        ("issued", format_time(view.issued_at)),
        ("expires", format_time(view.expires_at) if view.expires_at else "never"),
        ("evidence", hex32(view.evidence_hash)),
    ]
    if view.fields:
        rows.append(("data", ", ".join(f"{k}={v}" for k, v in view.fields.items())))
    elif view.data:
        rows.append(("data", hex32(view.data)))
    if view.revoked_at:
        rows.append(("revoked", format_time(view.revoked_at)))
    if view.stay_until:
        lapsed = " (lapsed)" if view.stay_until <= view.checked_at else ""
        rows.append(("stayed until", format_time(view.stay_until) + lapsed))
    if any(view.supersedes):
        rows.append(("supersedes", hex32(view.supersedes)))
    if any(view.superseded_by):
        rows.append(("superseded by", hex32(view.superseded_by)))
    return rows + _dispute_rows(view.dispute)


def _dispute_rows(d: rec_client.DisputeView) -> list[tuple[str, str]]:
    if d.status == rec_client.DisputeStatus.NONE:
        return []
    rows = [
        (
            "dispute",
            f"{d.status.name.lower()} (raised by {d.raised_by} "
            f"{format_time(d.opened_at)}, evidence {hex32(d.evidence_hash)})",
        )
    ]
    if d.resolved_at:
        rows.append(
            (
                "decided",
                f"by {d.resolved_by} {format_time(d.resolved_at)}"
                + (f", ruling {hex32(d.ruling_hash)}" if any(d.ruling_hash) else ""),
            )
        )
    return rows


RECORD_LINE_HEADERS = ("record", "schema", "state", "issued", "expires", "issuer")


def record_line(record_id: bytes, view: rec_client.RecordView) -> tuple[str, ...]:
    """A record as one line of a subject's list (columns: RECORD_LINE_HEADERS)."""
    return (
        hex32(record_id)[:18] + "…",
        view.schema.name,
        view.state,
        format_time(view.issued_at)[:10],
        format_time(view.expires_at)[:10] if view.expires_at else "never",
        view.issuer,
    )


def policy_reasons(check: rec_client.PolicyCheck, schema_name: Callable[[int], str]) -> list[str]:
    """Why a subject does or does not meet a policy, one line each."""
    lines = [] if check.subject_active else ["identity is not active"]
    lines += [f"missing a valid record of {schema_name(s)}" for s in check.missing]
    lines += [f"disqualified by a valid record of {schema_name(s)}" for s in check.disqualified_by]
    return lines


SCHEMA_LINE_HEADERS = (
    "id", "name", "issuer role", "adverse", "revocable", "validity", "stay", "open", "layout",
)  # fmt: skip


def schema_line(s: rec_client.SchemaView) -> tuple[str, ...]:
    """A schema as one line of `records schemas` (columns: SCHEMA_LINE_HEADERS)."""
    return (
        str(s.schema_id),
        s.name,
        role_label(s.issuer_role),
        "yes" if s.adverse else "no",
        "yes" if s.revocable else "no",
        f"{s.default_validity // 86400}d" if s.default_validity else "forever",
        f"{s.dispute_stay // 86400}d" if s.adverse else "-",
        "yes" if s.active else "closed",
        s.field_layout or "-",
    )
