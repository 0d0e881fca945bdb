"""EIP-712 messages of the suite's contracts: one shape for every typed message an agency or a
subject signs (domain: name, version, chain id, verifying contract)."""

from __future__ import annotations

from typing import Any

from eth_utils import to_checksum_address

DOMAIN_FIELDS: list[dict[str, str]] = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


def typed_message(
    *, domain_name: str, version: str, chain_id: int, contract: str, primary_type: str,
    fields: list[dict[str, str]], message: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    """The full EIP-712 message (as eth-account's `encode_typed_data` takes it)."""
    return {
        "types": {"EIP712Domain": DOMAIN_FIELDS, primary_type: fields},
        "primaryType": primary_type,
        "domain": {
            "name": domain_name,
            "version": version,
            "chainId": chain_id,
            "verifyingContract": to_checksum_address(contract),
        },
        "message": message,
    }
