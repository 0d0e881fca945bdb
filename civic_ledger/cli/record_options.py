"""The options of `records issue` and `records sign-issue` that describe one record, parsed
into a `RecordRequest` (schema by name or id, subject, evidence document, data by the schema's
layout, expiry, superseded record)."""

from __future__ import annotations

from functools import wraps
from typing import Any

import click

from civic_ledger.cli.common import (
    DOCUMENT_FORMS,
    F,
    Suite,
    identity_subject,
    parse_document,
    parse_param,
)
from civic_ledger.core.encoding import ZERO32, to_bytes32
from civic_ledger.core.names import RECORD_REGISTRY
from civic_ledger.identity import record_input
from civic_ledger.identity import records as rec_client

RECORD_OPTIONS = ("schema", "subject", "evidence", "fields", "data_hex", "expires", "supersedes")


def moment(value: str, what: str, hint: str) -> int:
    """A point in time (+30d, 2027-12-31, ISO date-time or unix time) the registry can hold."""
    from ape import chain

    return parse_param(lambda v: record_input.moment(v, chain.pending_timestamp, what), value, hint)


def existing_schema(suite: Suite, value: str, hint: str) -> rec_client.SchemaView:
    """A schema given by name or id, which must exist."""
    registry = suite[RECORD_REGISTRY]
    schema_id = parse_param(lambda v: record_input.schema_ref(registry, v), value, hint)
    return parse_param(lambda v: rec_client.get_schema(registry, int(v)), str(schema_id), hint)


def _data(layout: str, fields: tuple[str, ...], data_hex: str | None) -> bytes:
    """The record data: NAME=VALUE fields encoded by the schema's layout, or raw 0x-hex."""
    if fields and data_hex:
        raise click.UsageError("give either --field ... or --data, not both")
    hint = (
        "--data" if data_hex else "--field" if fields else "--field (the schema has a data layout)"
    )
    return parse_param(lambda _: record_input.record_data(layout, fields, data_hex), layout, hint)


def record_request(suite: Suite, record: dict[str, Any]) -> rec_client.RecordRequest:
    """The record described by the RECORD_OPTIONS of `issue` and `sign-issue`."""
    info = existing_schema(suite, record["schema"], "--schema")
    data = _data(info.field_layout, record["fields"], record["data_hex"])
    evidence, supersedes = record["evidence"], record["supersedes"]
    return rec_client.RecordRequest(
        schema_id=info.schema_id,
        subject=identity_subject(suite, record["subject"], "--subject"),
        evidence_hash=parse_document(evidence, "--evidence") if evidence else ZERO32,
        data=data,
        expires_at=moment(record["expires"] or "", "expiry", "--expires"),
        supersedes=parse_param(to_bytes32, supersedes, "--supersedes") if supersedes else ZERO32,
    )


def record_options(func: F) -> F:
    """The options describing one record (shared by `issue` and `sign-issue`); the command
    receives them as one `record` mapping (keys: RECORD_OPTIONS)."""

    @wraps(func)
    def collect(*args: Any, **kwargs: Any) -> Any:
        record = {name: kwargs.pop(name) for name in RECORD_OPTIONS}
        return func(*args, record=record, **kwargs)

    options = [
        click.option("--schema", required=True, help="Schema name or id."),
        click.option("--subject", required=True, help="Subject commitment or controller address."),
        click.option(
            "--evidence",
            default=None,
            help=f"Evidence ({DOCUMENT_FORMS}). Required for adverse schemas. Only the hash "
            "goes on chain: the agency keeps the document.",
        ),
        click.option(
            "--field",
            "fields",
            multiple=True,
            help="Record data as NAME=VALUE, one per field of the schema's layout.",
        ),
        click.option("--data", "data_hex", default=None, help="Raw record data (0x-hex) instead."),
        click.option(
            "--expires",
            default=None,
            help="+30d, 2027-12-31, ISO date-time or unix time (default: schema validity).",
        ),
        click.option("--supersedes", default=None, help="Id of the record this one replaces."),
    ]
    for option in reversed(options):
        collect = option(collect)
    return collect  # type: ignore[return-value]
