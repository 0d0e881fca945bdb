"""`ape run admin certificates ...`: e-certificates (licences, business registrations,
qualifications) — records of schemas the records administrator marks as certificates,
verified by anyone from the payload of the QR code printed on the certificate.

The payload (docs/integration.md, "Certificate verification payload") names the chain, the
registry, the record and the hash of the certified document; `verify` trusts this deployment's
RecordRegistry only, never the address in the payload.
"""

from __future__ import annotations

from pathlib import Path

import click

from civic_ledger.cli.common import (
    DOCUMENT_FORMS,
    Suite,
    command,
    parse_document,
    parse_param,
    path_option,
    suite_and_signer,
)
from civic_ledger.cli.output import console, print_rows, put, send
from civic_ledger.cli.record_options import existing_schema
from civic_ledger.core.encoding import format_time, hex32, to_bytes32
from civic_ledger.core.names import RECORD_REGISTRY
from civic_ledger.identity import certificates as certs


@click.group()
def certificates() -> None:
    """E-certificates: mark certificate schemas, print a certificate's verification payload or
    QR code, verify a presented certificate (anyone, reading only)."""


@command(certificates, "mark")
@click.argument("schema")
@click.option("--unmark", is_flag=True, help="Stop treating SCHEMA as a certificate schema.")
def certificates_mark(
    account_alias: str, manifest_file: Path | None, schema: str, unmark: bool
) -> None:
    """Mark SCHEMA (name or id) a certificate schema, or unmark it with --unmark (records
    administrator): only records of a marked schema verify."""
    suite, sender = suite_and_signer(manifest_file, account_alias)
    schema_id = existing_schema(suite, schema, "SCHEMA").schema_id
    certs.set_certificate(
        suite[RECORD_REGISTRY], schema_id, not unmark, sender=sender, transact=send
    )
    put(schema_id=schema_id, certificate=not unmark)


@command(certificates, "verify", signs=False)
@click.argument("payload")
def certificates_verify(manifest_file: Path | None, payload: str) -> None:
    """Verify the certificate whose QR code reads PAYLOAD: prints the status (valid, revoked
    with its reason code, expired, disputed or unknown), issuer, schema and expiry; exits 0 when
    valid, 1 otherwise."""
    from ape import networks

    decoded = parse_param(certs.decode_payload, payload, "PAYLOAD")
    suite = Suite(manifest_file)
    registry = suite[RECORD_REGISTRY]
    parse_param(
        lambda p: certs.check_payload(p, int(networks.provider.chain_id), registry.address),
        decoded,
        "PAYLOAD",
    )
    result = certs.verify(registry, decoded.record_id, decoded.document_hash)
    colour = "green" if result.valid else "red"
    console.print(f"certificate {hex32(decoded.record_id)}: [{colour}]{certs.describe(result)}[/]")
    if result.status is not certs.CertificateStatus.UNKNOWN:
        expiry = format_time(result.expires_at) if result.expires_at else "never"
        print_rows(
            [
                ("issuer", str(result.issuer)),
                ("schema", _schema_text(registry, result.schema_id)),
                ("expires", expiry),
            ]
        )
    put(
        record_id=decoded.record_id,
        document_hash=decoded.document_hash,
        status=result.status.name.lower(),
        valid=result.valid,
        reason_code=result.reason_code,
        issuer=result.issuer,
        schema_id=result.schema_id,
        expires_at=result.expires_at,
    )
    if not result.valid:
        raise click.exceptions.Exit(1)


@command(certificates, "payload", signs=False)
@click.argument("record_id")
@click.option("--document", required=True, help=f"The certified document: {DOCUMENT_FORMS}.")
def certificates_payload(manifest_file: Path | None, record_id: str, document: str) -> None:
    """Print the verification payload of certificate RECORD_ID for its DOCUMENT (what the QR
    code on the printed certificate carries)."""
    text, result = _payload(manifest_file, record_id, document)
    console.print(text, soft_wrap=True)
    put(payload=text, status=result.status.name.lower())


@command(certificates, "qr", signs=False)
@click.argument("record_id")
@click.option("--document", required=True, help=f"The certified document: {DOCUMENT_FORMS}.")
@path_option("--out", "out", required=True, help="The SVG file to write (replaced if present).")
def certificates_qr(manifest_file: Path | None, record_id: str, document: str, out: Path) -> None:
    """Write the QR code of certificate RECORD_ID's verification payload as an SVG image."""
    text, _ = _payload(manifest_file, record_id, document)
    symbol = certs.qr_code(text)
    try:
        certs.write_svg(symbol, out)
    except OSError as exc:
        raise click.BadParameter(
            f"cannot write {out}: {exc.strerror}", param_hint="--out"
        ) from None
    console.print(f"QR code (version {symbol.version}, {symbol.mode}) of {text} -> {out}")
    put(payload=text, out=str(out), version=symbol.version)


def _payload(
    manifest_file: Path | None, record_id: str, document: str
) -> tuple[str, certs.Verification]:
    """The payload of a record that verifies (any status but unknown) with `document`."""
    from ape import networks

    rid = parse_param(to_bytes32, record_id, "RECORD_ID")
    document_hash = parse_document(document, "--document")
    registry = Suite(manifest_file)[RECORD_REGISTRY]
    result = certs.verify(registry, rid, document_hash)
    if result.status is certs.CertificateStatus.UNKNOWN:
        raise click.ClickException(
            f"RECORD_ID {hex32(rid)} with --document {hex32(document_hash)} does not verify: no "
            "such record, its schema is not a certificate schema, or the document is not the "
            "one it certifies (its evidence hash)"
        )
    if not result.valid:
        console.print(f"[yellow]note:[/] the certificate is {certs.describe(result)}")
    text = certs.payload_for(int(networks.provider.chain_id), registry.address, rid, document_hash)
    return text, result


def _schema_text(registry: object, schema_id: int) -> str:
    from civic_ledger.identity.records import get_schema

    return f"{schema_id} {get_schema(registry, schema_id).name}"
