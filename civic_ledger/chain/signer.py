"""Who signs: an Ape account (an agency's keystore, or a test account) or a bare private key
(the benchmark's and devnet's deterministic keys). Both produce the same `SignedTx`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from civic_ledger.chain.client import hex0x
from civic_ledger.core.exceptions import CivicError


@dataclass(frozen=True)
class SignedTx:
    """A signed transaction: the bytes to broadcast and what the journal keeps of it."""

    raw: bytes
    tx_hash: str
    nonce: int
    sender: str


class Signer(Protocol):
    """Signs EIP-1559 transaction dicts (`chainId, nonce, to, value, data, gas, maxFeePerGas,
    maxPriorityFeePerGas`)."""

    @property
    def address(self) -> str: ...

    def sign(self, tx: dict[str, Any]) -> SignedTx: ...


@dataclass(frozen=True)
class KeySigner:
    """A private key held in memory (dev chains and the benchmark only)."""

    address: str
    private_key: str

    @classmethod
    def from_key(cls, private_key: str) -> KeySigner:
        from eth_account import Account

        return cls(Account.from_key(private_key).address, private_key)

    def sign(self, tx: dict[str, Any]) -> SignedTx:
        from eth_account import Account

        signed = Account.sign_transaction({"type": 2, "value": 0, **tx}, self.private_key)
        return SignedTx(
            bytes(signed.raw_transaction), hex0x(signed.hash), int(tx["nonce"]), self.address
        )


class ApeSigner:
    """An Ape account (keystore or test account): Ape builds and signs the transaction, so a
    keystore's unlock and signing rules apply unchanged."""

    def __init__(self, account: Any) -> None:
        self.account = account

    @property
    def address(self) -> str:
        return str(self.account.address)

    def sign(self, tx: dict[str, Any]) -> SignedTx:
        from ape import networks

        fields = {"type": 2, "value": 0, **tx}
        if fields.get("to") is None:
            fields.pop("to", None)
        txn = networks.ecosystem.create_transaction(**fields)
        signed = self.account.sign_transaction(txn)
        if signed is None:
            raise CivicError(f"account {self.address} refused to sign the transaction")
        return SignedTx(
            bytes(signed.serialize_transaction()),
            hex0x(signed.txn_hash),
            int(fields["nonce"]),
            self.address,
        )


def signer_for(account: Any) -> Signer:
    """A Signer for an Ape account, or the Signer itself."""
    return account if isinstance(account, KeySigner | ApeSigner) else ApeSigner(account)
