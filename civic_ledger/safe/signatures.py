"""Owners' signatures of a Safe proposal, as files a clerk passes around, and the packed
`signatures` argument of `execTransaction`.

An owner signs the SafeTx hash as EIP-712 typed data (v 27/28: the Safe's plain ECDSA kind,
no eth_sign prefix). A signature file names the proposal it signs (chain, Safe, nonce, hash)
and the owner. `collect` checks a set of them against the Safe before anything is sent:
each recovers to its declared owner, every signer is an owner, no owner twice, all for this
proposal, at least the threshold; `pack` orders them by owner address, as the Safe requires.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_keys import keys
from eth_utils import to_checksum_address

from civic_ledger.core.exceptions import CivicError, SafeRefused
from civic_ledger.safe.transaction import (
    Proposal,
    as_address,
    as_bytes,
    as_uint,
    json_document,
    signable,
)

SIGNATURE_FORMAT = "civic-ledger/safe-signature/1"


@dataclass(frozen=True)
class OwnerSignature:
    chain_id: int
    safe: str
    nonce: int
    safe_tx_hash: bytes
    owner: str
    signature: bytes  # r ‖ s ‖ v, v in 27/28

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": SIGNATURE_FORMAT, "chain_id": self.chain_id, "safe": self.safe,
                "nonce": self.nonce, "safe_tx_hash": "0x" + self.safe_tx_hash.hex(),
                "owner": self.owner, "signature": "0x" + self.signature.hex(),
            },
            indent=2,
        ) + "\n"  # fmt: skip

    @classmethod
    def read(cls, path: Path) -> OwnerSignature:
        doc = json_document(path, SIGNATURE_FORMAT, "a Safe signature")
        try:
            signature = cls(
                chain_id=as_uint(doc["chain_id"], "chain_id"),
                safe=as_address(doc["safe"], "safe"),
                nonce=as_uint(doc["nonce"], "nonce"),
                safe_tx_hash=as_bytes(doc["safe_tx_hash"], "safe_tx_hash"),
                owner=as_address(doc["owner"], "owner"),
                signature=as_bytes(doc["signature"], "signature"),
            )
        except KeyError as exc:
            raise SafeRefused(f"{path}: not a Safe signature (missing {exc})") from None
        except CivicError as exc:
            raise SafeRefused(f"{path}: {exc}") from None
        if len(signature.signature) != 65:
            raise SafeRefused(f"{path}: the signature is not 65 bytes (r, s, v)")
        return signature

    def signer(self) -> str | None:
        """The address the signature recovers to over its hash, or None if it does not."""
        try:
            r, s, v = self.signature[:32], self.signature[32:64], self.signature[64]
            vrs = (v - 27, int.from_bytes(r, "big"), int.from_bytes(s, "big"))
            key = keys.Signature(vrs=vrs).recover_public_key_from_msg_hash(self.safe_tx_hash)
            return to_checksum_address(key.to_checksum_address())
        except Exception:  # a malformed signature (s out of range, bad v) recovers nobody
            return None


def sign(proposal: Proposal, account: Any) -> OwnerSignature:
    """`account` (an Ape account) signs the proposal's SafeTx as EIP-712 typed data."""
    signature = account.sign_message(signable(proposal.tx, proposal.chain_id, proposal.safe))
    if signature is None:
        raise SafeRefused(f"account {account.address} did not sign")
    rsv = bytearray(signature.encode_rsv())
    if rsv[64] < 27:
        rsv[64] += 27
    result = OwnerSignature(proposal.chain_id, proposal.safe, proposal.tx.nonce, proposal.hash,
                            to_checksum_address(account.address), bytes(rsv))  # fmt: skip
    if result.signer() != result.owner:
        raise SafeRefused(f"account {account.address}'s signature does not recover to it")
    return result


def signature_path(proposal_path: Path, owner: str) -> Path:
    """`<proposal>.<owner>.sig.json` beside the proposal file."""
    stem = proposal_path.name.removesuffix(".json")
    return proposal_path.with_name(f"{stem}.{owner}.sig.json")


@dataclass(frozen=True)
class SafeState:
    """What the Safe says now: its owners, threshold and next nonce."""

    address: str
    chain_id: int
    owners: tuple[str, ...]
    threshold: int
    nonce: int

    @classmethod
    def read(cls, safe: Any, chain_id: int) -> SafeState:
        return cls(
            to_checksum_address(safe.address), chain_id,
            tuple(to_checksum_address(o) for o in safe.getOwners()),
            int(safe.getThreshold()), int(safe.call_view_method("nonce")),  # `.nonce` is the account nonce
        )  # fmt: skip


def check_current(proposal: Proposal, state: SafeState) -> None:
    """Refuse a proposal for another chain or Safe, or for a nonce that is not the next."""
    if proposal.chain_id != state.chain_id:
        raise SafeRefused(f"the proposal is for chain {proposal.chain_id}, not the connected "
                          f"chain {state.chain_id}")  # fmt: skip
    if proposal.safe != state.address:
        raise SafeRefused(f"the proposal is for the Safe {proposal.safe}, not this "
                          f"deployment's {state.address}")  # fmt: skip
    if proposal.tx.nonce < state.nonce:
        raise SafeRefused(f"the proposal's nonce {proposal.tx.nonce} was already used (the Safe "
                          f"is at nonce {state.nonce}): it is stale, propose again")  # fmt: skip
    if proposal.tx.nonce > state.nonce:
        raise SafeRefused(f"the proposal's nonce {proposal.tx.nonce} is ahead of the Safe's "
                          f"{state.nonce}: the transactions before it must run first")  # fmt: skip


def collect(
    proposal: Proposal, state: SafeState, signatures: Iterable[tuple[Path, OwnerSignature]]
) -> list[OwnerSignature]:
    """The valid signatures of `proposal`, at least the threshold, or a refusal naming the
    first problem (a file for another proposal, a forged or non-owner signature, an owner
    twice, too few)."""
    check_current(proposal, state)
    found: dict[str, OwnerSignature] = {}
    for path, sig in signatures:
        if (sig.chain_id, sig.safe, sig.nonce, sig.safe_tx_hash) != (
            proposal.chain_id, proposal.safe, proposal.tx.nonce, proposal.hash,
        ):  # fmt: skip
            raise SafeRefused(f"{path} signs another proposal (hash "
                              f"0x{sig.safe_tx_hash.hex()})")  # fmt: skip
        signer = sig.signer()
        if signer != sig.owner:
            raise SafeRefused(f"{path}: the signature is not by {sig.owner}, the owner it names "
                              "(forged or damaged)")  # fmt: skip
        if signer not in state.owners:
            raise SafeRefused(f"{path}: {signer} is not an owner of the Safe {state.address}")
        if signer in found:
            raise SafeRefused(f"{path}: {signer} has already signed (one signature per owner)")
        found[signer] = sig
    missing = state.threshold - len(found)
    if missing > 0:
        raise SafeRefused(f"{len(found)} of the {state.threshold} signatures the Safe needs: "
                          f"{missing} more owner(s) must sign")  # fmt: skip
    return sorted(found.values(), key=lambda s: int(s.owner, 16))


def pack(signatures: Sequence[OwnerSignature]) -> bytes:
    """`execTransaction`'s signatures: r ‖ s ‖ v of each, in ascending owner order."""
    ordered = sorted(signatures, key=lambda s: int(s.owner, 16))
    return b"".join(s.signature for s in ordered)
