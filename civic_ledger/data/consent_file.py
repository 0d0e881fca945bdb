"""The consent file a subject's controller signs off-line (`data consent-sign`) and the
requesting agency relays (`data request --consent FILE`): the Consent, its EIP-712 signature,
and the chain and DataExchange it was signed for. No personal data: the subject is its
commitment."""

from __future__ import annotations

import json
from pathlib import Path

from civic_ledger.core.exceptions import InputError
from civic_ledger.data.inputs import Consent

KIND = "civic-ledger data consent"


def write(path: Path, chain_id: int, exchange: str, consent: Consent, signature: bytes) -> None:
    document = {
        "kind": KIND,
        "chain_id": chain_id,
        "exchange": exchange,
        "consent": {
            "subject": "0x" + bytes(consent.subject).hex(),
            "resource_id": consent.resource_id,
            "recipient_role": consent.recipient_role,
            "purpose": consent.purpose,
            "expires_at": consent.expires_at,
            "salt": "0x" + bytes(consent.salt).hex(),
        },
        "signature": "0x" + bytes(signature).hex(),
    }
    path.write_text(json.dumps(document, indent=2) + "\n")


def _hex(value: object) -> bytes:
    return bytes.fromhex(str(value).removeprefix("0x"))


def read(path: Path, *, chain_id: int, exchange: str) -> tuple[Consent, bytes]:
    """The consent and signature of `path`; InputError when it is not a consent file or was
    signed for another chain or DataExchange."""
    try:
        doc = json.loads(Path(path).read_text())
        if not isinstance(doc, dict) or doc.get("kind") != KIND:
            raise ValueError
        c = doc["consent"]
        consent = Consent(
            subject=_hex(c["subject"]),
            resource_id=int(c["resource_id"]),
            recipient_role=int(c["recipient_role"]),
            purpose=int(c["purpose"]),
            expires_at=int(c["expires_at"]),
            salt=_hex(c["salt"]),
        )
        signature = _hex(doc["signature"])
        consent.as_tuple()
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, InputError):
        raise InputError(f"{path} is not a consent file (written by `data consent-sign`)") from None
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror}") from None
    if doc.get("chain_id") != chain_id or str(doc.get("exchange", "")).lower() != exchange.lower():
        raise InputError(
            f"{path} was signed for another chain or DataExchange (chain {doc.get('chain_id')}, "
            f"{doc.get('exchange')})"
        )
    return consent, signature
