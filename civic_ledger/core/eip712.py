"""EIP-712 messages: one shape for every typed message the suite signs or hashes — an agency's
record issuance, a subject's consent, a token permit, a Safe transaction.

A struct is given as its EIP-712 type string, the text the contract hashes into its typehash
(`"Consent(bytes32 subject,uint64 resourceId,...)"`), so its fields are written once; the
domain is name, version, chain id and verifying contract, or only the last two (the Safe's).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eth_account.messages import encode_typed_data
from eth_utils import to_checksum_address

from civic_ledger.core.exceptions import InputError

_NAME_VERSION: list[dict[str, str]] = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
]
_CHAIN_CONTRACT: list[dict[str, str]] = [
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


def struct_fields(type_string: str) -> tuple[str, list[dict[str, str]]]:
    """The name and the fields of a struct from its EIP-712 type string
    ("Permit(address owner,uint256 value)" -> "Permit", [{"name": "owner", "type": "address"},
    ...]); ValueError when it is not one."""
    name, opening, rest = type_string.partition("(")
    members = [m.split(" ") for m in rest.removesuffix(")").split(",")] if rest else []
    if not (name.isidentifier() and opening and rest.endswith(")") and members) or any(
        len(m) != 2 for m in members
    ):
        raise ValueError(f"not an EIP-712 type string: {type_string!r}")
    return name, [{"name": field, "type": kind} for kind, field in members]


def typed_message(
    struct: str,
    values: Sequence[Any] | Mapping[str, Any],
    *,
    chain_id: int,
    contract: str,
    domain_name: str | None = None,
    version: str | None = None,
) -> dict[str, Any]:
    """The full EIP-712 message (as eth-account's `encode_typed_data` takes it) of a `struct`
    (its type string) holding `values` (in the struct's order, or by field name), in the domain
    of `contract` on `chain_id` — with `domain_name` and `version` when the contract's domain
    has them (both or neither)."""
    if (domain_name is None) != (version is None):
        raise ValueError("an EIP-712 domain has both a name and a version, or neither")
    primary_type, fields = struct_fields(struct)
    names = [f["name"] for f in fields]
    if not isinstance(values, Mapping):
        if len(values) != len(names):
            raise ValueError(f"{primary_type} has {len(names)} fields, {len(values)} values given")
        values = dict(zip(names, values, strict=True))
    named = {} if domain_name is None else {"name": domain_name, "version": version}
    domain = {**named, "chainId": chain_id, "verifyingContract": to_checksum_address(contract)}
    domain_fields = (_NAME_VERSION if named else []) + _CHAIN_CONTRACT
    return {
        "types": {"EIP712Domain": domain_fields, primary_type: fields},
        "primaryType": primary_type,
        "domain": domain,
        "message": {name: values[name] for name in names},
    }


def sign_typed(signer: Any, typed: dict[str, Any]) -> Any:
    """`signer` (an Ape account) signs the EIP-712 message `typed` (from `typed_message`);
    returns its signature (v, r, s, `encode_rsv()`). InputError when the account cannot sign
    EIP-712 messages."""
    signature = signer.sign_message(encode_typed_data(full_message=typed))
    if signature is None:
        raise InputError(f"account {signer.address} cannot sign EIP-712 messages")
    return signature
