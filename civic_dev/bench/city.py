"""Everything the benchmark calls on civic-ledger's own contracts, in one place: deterministic
bench data (subjects, parcels, records), single operations through Ape (for gas figures) and
raw calldata of the batch functions (for the pipelined bulk import).

If a contract signature moves, this is the only module to update; `check_signatures` fails
early, naming the function that is gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address

from civic_ledger.access.roles import BY_NAME
from civic_ledger.core.encoding import ZERO32
from civic_ledger.core.exceptions import CivicError

PERSON = 1  # IIdentityRegistry.Kind.Person
YEAR = 365 * 24 * 3600

IDENTITY_BATCH = "registerBatch((bytes32,address,uint8)[])"
PARCEL_BATCH = "registerBatch(bytes32[],(uint256,bytes32,uint128,uint32)[])"
RECORD_BATCH = "issueBatch((uint64,bytes32,bytes32,bytes,uint64,bytes32)[])"

#: Contract -> functions the benchmark calls (checked against the compiled ABI).
USED = {
    "IdentityRegistry": ("register(bytes32,address,uint8)", IDENTITY_BATCH),
    "RecordRegistry": (
        "registerSchema((string,string,uint64,bool,bool,uint64))",
        "issue((uint64,bytes32,bytes32,bytes,uint64,bytes32))",
        RECORD_BATCH,
        "revoke(bytes32,uint16,bytes32)",
    ),
    "TitleRegistry": (
        "register(bytes32,(uint256,bytes32,uint128,uint32))",
        PARCEL_BATCH,
        "proposeSale(uint256,bytes32,uint256,bytes32)",
        "acceptSale(uint256,bytes32)",
        "approveSale(uint256)",
    ),
}

#: The record the benchmark issues: a yearly tax-compliance certificate.
SCHEMA_NAME = "bench-tax-compliance"
SCHEMA_LAYOUT = "uint16 year,bool compliant"
SCHEMA_ISSUER_ROLE = "TAX_RECORD_ISSUER"
#: The same content as an EAS schema: what our record carries besides issuer/expiry/schema
#: (no URI on either side: the chain holds hashes and typed fields only).
EAS_SCHEMA = "bytes32 subject,bytes32 evidenceHash,uint16 year,bool compliant"
#: RecordRegistry revocation reason code the benchmark revokes with (1 = issued in error).
REVOKE_REASON = 1


class SignatureMissing(CivicError):
    """A function the benchmark calls is not in the compiled contract any more."""


# ------------------------------------------------------------------------- bench data


def subject(run: str, i: int) -> bytes:
    """Stand-in salted commitment of bench person `i` (no real id behind it)."""
    return keccak(text=f"civic-bench:{run}:subject:{i}")


def controller(run: str, i: int) -> str:
    """A distinct wallet address for bench person `i` (nobody holds its key)."""
    return to_checksum_address(keccak(text=f"civic-bench:{run}:wallet:{i}")[12:])


def parcel_id(run: str, i: int) -> int:
    """Parcel id as the registrar's tooling derives it: uint256(keccak256(cadastral code))."""
    return int.from_bytes(keccak(text=f"BJ-BENCH-{run}-{i:07d}"), "big")


def parcel_data(run: str, i: int) -> tuple[int, bytes, int, int]:
    """TitleRegistry.ParcelData: (parcelId, dataHash, area m², landUse)."""
    return (parcel_id(run, i), keccak(text=f"survey:{run}:{i}"), 120 + i % 900, 1 + i % 7)


def record_data(year: int = 2025, compliant: bool = True) -> bytes:
    return abi_encode(["uint16", "bool"], [year, compliant])


def record_input(
    schema_id: int, subject_: bytes, label: str, expires_at: int
) -> tuple[int, bytes, bytes, bytes, int, bytes]:
    """RecordRegistry.RecordInput for a tax-compliance record."""
    return (
        schema_id,
        subject_,
        keccak(text=f"evidence:{label}"),
        record_data(),
        expires_at,
        ZERO32,
    )


def eas_payload(subject_: bytes, label: str) -> bytes:
    """The same record as EAS attestation data (schema `EAS_SCHEMA`)."""
    return abi_encode(
        ["bytes32", "bytes32", "uint16", "bool"],
        [subject_, keccak(text=f"evidence:{label}"), 2025, True],
    )


# ------------------------------------------------------------------------- calldata


def _split_top_level(types: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(types):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(types[start:i])
            start = i + 1
    if types[start:]:
        parts.append(types[start:])
    return parts


def encode_call(signature: str, *args: Any) -> bytes:
    """4-byte selector + ABI-encoded arguments (eth_abi: fast enough for 10,000 items)."""
    types = _split_top_level(signature[signature.index("(") + 1 : -1])
    return keccak(text=signature)[:4] + abi_encode(types, list(args))


def identity_batch(entries: Sequence[tuple[bytes, str, int]]) -> bytes:
    return encode_call(IDENTITY_BATCH, list(entries))


def parcel_batch(owners: Sequence[bytes], parcels: Sequence[tuple]) -> bytes:
    return encode_call(PARCEL_BATCH, list(owners), list(parcels))


def record_batch(inputs: Sequence[tuple]) -> bytes:
    return encode_call(RECORD_BATCH, list(inputs))


def check_signatures(contracts: dict[str, Any]) -> None:
    """Fail early, naming the function, if a signature the benchmark uses has moved."""
    for name, signatures in USED.items():
        available = {
            f"{abi.name}({','.join(_canonical(i) for i in abi.inputs)})"
            for abi in contracts[name].contract_type.mutable_methods
        }
        for signature in signatures:
            if signature not in available:
                raise SignatureMissing(
                    f"{name}.{signature} is not in the compiled contract: update "
                    "civic_dev/bench/city.py to the new signature"
                )


def _canonical(param: Any) -> str:
    """ABI type with tuples expanded, e.g. `(bytes32,address,uint8)[]`."""
    kind = param.type
    if kind.startswith("tuple"):
        inner = ",".join(_canonical(c) for c in param.components or [])
        return f"({inner}){kind[len('tuple') :]}"
    return str(kind)


# ------------------------------------------------------------------------- single operations


def _contract(name: str) -> Any:
    """A read-only property: the deployed contract `name` of the object's `contracts`."""
    return property(lambda self: self.contracts[name], doc=name)


@dataclass
class City:
    """Our deployed suite plus the agency wallets that act in the benchmark."""

    contracts: dict[str, Any]
    agency: dict[str, Any]
    manifest: Any = None  # the deploy manifest, when the run keeps it (the gateway section)

    identities = _contract("IdentityRegistry")
    records = _contract("RecordRegistry")
    titles = _contract("TitleRegistry")
    liens = _contract("LienRegistry")

    def register_identity(self, subject_: bytes, wallet: str) -> Any:
        return self.identities.register(
            subject_, wallet, PERSON, sender=self.agency["identity_office"]
        )

    def register_identities(self, entries: Sequence[tuple[bytes, str, int]]) -> Any:
        return self.identities.registerBatch(list(entries), sender=self.agency["identity_office"])

    def register_schema(self) -> int:
        """The bench schema's id (registered on first use)."""
        existing = self.records.schemaIdByName(SCHEMA_NAME)
        if existing:
            return int(existing)
        self.records.registerSchema(
            (SCHEMA_NAME, SCHEMA_LAYOUT, BY_NAME[SCHEMA_ISSUER_ROLE].id, True, False, YEAR),
            sender=self.agency["data_bureau"],
        )  # fmt: skip
        return int(self.records.schemaIdByName(SCHEMA_NAME))

    @property
    def record_issuer(self) -> Any:
        return self.agency["tax_bureau"]

    def issue(self, record: tuple) -> tuple[Any, bytes]:
        """Issue one record; returns (receipt, record id)."""
        receipt = self.records.issue(record, sender=self.record_issuer)
        return receipt, self.issued_ids(receipt)[0]

    def issue_batch(self, records: Sequence[tuple]) -> Any:
        return self.records.issueBatch(list(records), sender=self.record_issuer)

    def issued_ids(self, receipt: Any) -> list[bytes]:
        return [bytes(log.recordId) for log in self.records.RecordIssued.from_receipt(receipt)]

    def revoke(self, record_id: bytes, reason_hash: bytes = ZERO32) -> Any:
        """Revoke with reason code 1 (issued in error) and `reason_hash`."""
        return self.records.revoke(
            record_id, REVOKE_REASON, reason_hash or keccak(text="bench: audit"),
            sender=self.record_issuer,
        )  # fmt: skip

    def register_parcel(self, owner: bytes, data: tuple) -> Any:
        return self.titles.register(owner, data, sender=self.agency["land_registry"])

    def sale(self, parcel: int, seller: Any, buyer: Any, buyer_subject: bytes, i: int) -> list[Any]:
        """The three-party sale: owner proposes, buyer accepts the (lien-free) encumbrance it
        read, registrar approves."""
        proposed = self.titles.proposeSale(
            parcel, buyer_subject, 1_000_000, keccak(text=f"deed:{i}"), sender=seller
        )
        sale_id = int(self.titles.openSaleOf(parcel))
        accepted = self.titles.acceptSale(
            sale_id, self.liens.saleEncumbranceHash(sale_id), sender=buyer
        )
        approved = self.titles.approveSale(sale_id, sender=self.agency["land_registry"])
        return [proposed, accepted, approved]
