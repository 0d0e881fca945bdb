"""A Safe transaction (SafeTx) as Safe v1.4.1 hashes it, and the proposal file a clerk passes
to the owners.

The hash is EIP-712 (`eth_account.messages.encode_typed_data`) with the Safe's domain — chain
id and the Safe's address, nothing else — over the SafeTx struct; the same value the Safe's
`getTransactionHash` returns (checked by tests/access/test_safe.py). Admin operations carry no
refund: operation 0 (CALL), safeTxGas, baseGas and gasPrice 0, no gas token or refund receiver.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from eth_account.messages import SignableMessage, encode_typed_data
from eth_utils import is_address, keccak, to_checksum_address

from civic_ledger.core.eip712 import typed_message
from civic_ledger.core.encoding import ZERO_ADDRESS
from civic_ledger.core.exceptions import InputError

PROPOSAL_FORMAT = "civic-ledger/safe-proposal/1"

#: Safe v1.4.1's SafeTx as EIP-712 types it (the Safe's SAFE_TX_TYPEHASH hashes this text)
SAFE_TX_TYPE = (
    "SafeTx(address to,uint256 value,bytes data,uint8 operation,uint256 safeTxGas,"
    "uint256 baseGas,uint256 gasPrice,address gasToken,address refundReceiver,uint256 nonce)"
)


@dataclass(frozen=True)
class SafeTx:
    """The fields of a Safe transaction, in the order `execTransaction` takes them (plus the
    nonce, which the Safe supplies itself when executing)."""

    to: str
    value: int
    data: bytes
    nonce: int
    operation: int = 0
    safe_tx_gas: int = 0
    base_gas: int = 0
    gas_price: int = 0
    gas_token: str = ZERO_ADDRESS
    refund_receiver: str = ZERO_ADDRESS

    def as_tuple(self) -> tuple[Any, ...]:
        """The SafeTx struct's fields, in its order (the nonce last)."""
        return (
            self.to, self.value, self.data, self.operation, self.safe_tx_gas, self.base_gas,
            self.gas_price, self.gas_token, self.refund_receiver, self.nonce,
        )  # fmt: skip

    def exec_args(self, signatures: bytes) -> tuple[Any, ...]:
        """The arguments of the Safe's `execTransaction` (the struct without the nonce)."""
        return (*self.as_tuple()[:-1], signatures)


def typed_data(tx: SafeTx, chain_id: int, safe: str) -> dict[str, Any]:
    """The EIP-712 document of `tx` for the Safe at `safe` on chain `chain_id` (the Safe's
    domain has no name or version)."""
    return typed_message(SAFE_TX_TYPE, tx.as_tuple(), chain_id=chain_id, contract=safe)


def signable(tx: SafeTx, chain_id: int, safe: str) -> SignableMessage:
    """What an owner signs (EIP-712: 0x19 0x01 ‖ domain separator ‖ struct hash)."""
    return encode_typed_data(full_message=typed_data(tx, chain_id, safe))


def safe_tx_hash(tx: SafeTx, chain_id: int, safe: str) -> bytes:
    """The SafeTx hash (the Safe's `getTransactionHash`)."""
    message = signable(tx, chain_id, safe)
    return keccak(b"\x19" + message.version + message.header + message.body)


@dataclass(frozen=True)
class Proposal:
    """An admin operation proposed as a Safe transaction: what the owners sign."""

    chain_id: int
    safe: str
    tx: SafeTx
    description: str  # e.g. "grantRole(TREASURER, 0x…) on CityAccessManager"

    @property
    def hash(self) -> bytes:
        return safe_tx_hash(self.tx, self.chain_id, self.safe)

    def to_json(self) -> str:
        tx = {
            k: ("0x" + v.hex() if isinstance(v, bytes) else v) for k, v in asdict(self.tx).items()
        }
        return (
            json.dumps(
                {
                    "format": PROPOSAL_FORMAT,
                    "chain_id": self.chain_id,
                    "safe": self.safe,
                    "description": self.description,
                    "tx": tx,
                    "safe_tx_hash": "0x" + self.hash.hex(),
                },
                indent=2,
            )
            + "\n"
        )

    @classmethod
    def read(cls, path: Path) -> Proposal:
        """A proposal file, validated whole: a damaged or edited file (its hash no longer
        matching its fields) is refused."""
        doc = json_document(path, PROPOSAL_FORMAT, "a Safe proposal")
        try:
            fields = doc["tx"]
            if not isinstance(fields, dict):
                raise TypeError("tx is not an object")
            tx = SafeTx(
                to=as_address(fields["to"], "tx.to"),
                value=as_uint(fields["value"], "tx.value"),
                data=as_bytes(fields["data"], "tx.data"),
                nonce=as_uint(fields["nonce"], "tx.nonce"),
                operation=as_uint(fields["operation"], "tx.operation", 1),
                safe_tx_gas=as_uint(fields["safe_tx_gas"], "tx.safe_tx_gas"),
                base_gas=as_uint(fields["base_gas"], "tx.base_gas"),
                gas_price=as_uint(fields["gas_price"], "tx.gas_price"),
                gas_token=as_address(fields["gas_token"], "tx.gas_token"),
                refund_receiver=as_address(fields["refund_receiver"], "tx.refund_receiver"),
            )
            proposal = cls(
                chain_id=as_uint(doc["chain_id"], "chain_id"),
                safe=as_address(doc["safe"], "safe"),
                tx=tx,
                description=str(doc["description"]),
            )
            recorded = as_bytes(doc["safe_tx_hash"], "safe_tx_hash")
        except (KeyError, TypeError) as exc:
            raise InputError(
                f"{path}: not a Safe proposal (missing or wrong field: {exc})"
            ) from None
        if recorded != proposal.hash:
            raise InputError(f"{path}: its safe_tx_hash does not match its fields (the file was "
                             "edited or damaged): propose again")  # fmt: skip
        return proposal


def json_document(path: Path, form: str, what: str) -> dict[str, Any]:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{path}: not {what} file ({type(exc).__name__})") from None
    if not isinstance(doc, dict) or doc.get("format") != form:
        raise InputError(f"{path}: not {what} file (format is not {form})")
    return doc


def as_uint(value: Any, what: str, high: int = 2**256 - 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        raise InputError(f"{what} is not a whole number from 0 to {high}")
    return value


def as_address(value: Any, what: str) -> str:
    if not isinstance(value, str) or not is_address(value):
        raise InputError(f"{what} is not an address")
    return to_checksum_address(value)


def as_bytes(value: Any, what: str) -> bytes:
    try:
        if not isinstance(value, str) or not value.startswith("0x"):
            raise ValueError
        return bytes.fromhex(value[2:])
    except ValueError:
        raise InputError(f"{what} is not 0x-hex bytes") from None
