"""Genesis builders for the city's PoA chains: geth Clique and Besu QBFT. Pure functions.

The EVM fork of every genesis comes from the project's single `evm_version`
(ape-config.yaml, `solidity: evm_version:`), so bytecode compiled for the project runs on every
chain it writes. Clique cannot go past London (geth refuses Clique with Shanghai).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import rlp
from eth_utils import to_bytes, to_checksum_address

from civic_dev.devnet.config import FORK_ORDER, fork_at_least

CLIQUE_VANITY = 32
CLIQUE_SEAL = 65
#: Besu's documented mixHash for BFT genesis blocks ("Istanbul" BFT marker).
BFT_MIX_HASH = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"
ZERO_ADDRESS = "0x" + "00" * 20
DEFAULT_EPOCH = 30_000

#: Genesis config keys (geth and Besu use the same names) per block-numbered fork.
_BLOCK_FORK_KEYS: dict[str, tuple[str, ...]] = {
    "homestead": ("homesteadBlock",),
    "tangerineWhistle": ("eip150Block",),
    "spuriousDragon": ("eip155Block", "eip158Block"),
    "byzantium": ("byzantiumBlock",),
    "constantinople": ("constantinopleBlock",),
    "petersburg": ("petersburgBlock",),
    "istanbul": ("istanbulBlock", "muirGlacierBlock"),
    "berlin": ("berlinBlock",),
    "london": ("londonBlock", "arrowGlacierBlock", "grayGlacierBlock"),
}
#: Time-activated forks after the merge (Besu QBFT only).
_TIME_FORK_KEYS: dict[str, str] = {
    "shanghai": "shanghaiTime",
    "cancun": "cancunTime",
    "prague": "pragueTime",
}


def _sorted_addresses(addresses: Iterable[str]) -> list[str]:
    unique = {to_checksum_address(a) for a in addresses}
    if not unique:
        raise ValueError("at least one signer/validator is required")
    return sorted(unique, key=lambda a: bytes.fromhex(a[2:]))


def block_forks(evm_version: str) -> dict[str, int]:
    """`{"homesteadBlock": 0, ...}` for every block-numbered fork up to `evm_version`."""
    last = FORK_ORDER.index(evm_version)
    forks: dict[str, int] = {}
    for name in FORK_ORDER[: last + 1]:
        for key in _BLOCK_FORK_KEYS.get(name, ()):
            forks[key] = 0
    return forks


def _alloc(balances: Mapping[str, int]) -> dict[str, dict[str, str]]:
    return {
        to_checksum_address(addr)[2:].lower(): {"balance": hex(int(wei))}
        for addr, wei in sorted(balances.items())
    }


@dataclass(frozen=True)
class ChainParams:
    """What a genesis of either engine is built from besides its sealers: the chain id, the
    funded accounts (address -> wei), the EVM fork, the block period (s), the block gas limit
    and the epoch (blocks between vote resets / checkpoints)."""

    chain_id: int
    balances: Mapping[str, int]
    evm_version: str
    period: int
    gas_limit: int
    epoch: int = DEFAULT_EPOCH


def _genesis_block(
    chain: ChainParams, config: dict[str, Any], extra_data: str, mix_hash: str
) -> dict[str, Any]:
    """The genesis block's fields both clients read (chain config, sealers in `extra_data`)."""
    return {
        "config": config,
        "nonce": "0x0",
        "timestamp": "0x0",
        "extraData": extra_data,
        "gasLimit": hex(chain.gas_limit),
        "difficulty": "0x1",
        "mixHash": mix_hash,
        "coinbase": ZERO_ADDRESS,
        "alloc": _alloc(chain.balances),
    }


# --- Clique (geth) ---------------------------------------------------------------------------


def clique_extra_data(signers: Iterable[str]) -> str:
    """32 bytes vanity + the signer addresses (ascending) + 65 zero bytes of seal."""
    body = b"".join(bytes.fromhex(a[2:]) for a in _sorted_addresses(signers))
    return "0x" + (bytes(CLIQUE_VANITY) + body + bytes(CLIQUE_SEAL)).hex()


def decode_clique_extra_data(extra: str) -> list[str]:
    raw = to_bytes(hexstr=extra)
    body = raw[CLIQUE_VANITY : len(raw) - CLIQUE_SEAL]
    if len(raw) < CLIQUE_VANITY + CLIQUE_SEAL or len(body) % 20:
        raise ValueError("not a Clique genesis extraData")
    return [to_checksum_address(body[i : i + 20]) for i in range(0, len(body), 20)]


def clique_genesis(chain: ChainParams, signers: Iterable[str]) -> dict[str, Any]:
    """A geth (1.13) Clique genesis of `chain` sealed by `signers`; `chain.evm_version` must be
    London or earlier."""
    if fork_at_least(chain.evm_version, "paris"):
        raise ValueError(
            f"evm_version {chain.evm_version!r} is past London: Clique cannot run the merge or "
            "Shanghai (geth: 'clique does not support shanghai fork'); compile the project for "
            "london"
        )
    config: dict[str, Any] = {"chainId": chain.chain_id, **block_forks(chain.evm_version)}
    config["clique"] = {"period": chain.period, "epoch": chain.epoch}
    genesis = _genesis_block(chain, config, clique_extra_data(signers), "0x" + "00" * 32)
    genesis.update({"number": "0x0", "gasUsed": "0x0", "parentHash": "0x" + "00" * 32})
    return genesis


# --- QBFT (Besu) -----------------------------------------------------------------------------


def qbft_extra_data(validators: Iterable[str], *, sort: bool = True) -> str:
    """RLP([32-byte vanity, [validators], [] votes, round 0 (empty), [] seals]) per Besu's docs.

    Validators are written in ascending order (as Besu keeps them) unless `sort` is False."""
    ordered = (
        _sorted_addresses(validators) if sort else [to_checksum_address(a) for a in validators]
    )
    addresses = [bytes.fromhex(a[2:]) for a in ordered]
    return "0x" + rlp.encode([bytes(32), addresses, [], b"", []]).hex()


def decode_qbft_extra_data(extra: str) -> dict[str, Any]:
    items = rlp.decode(to_bytes(hexstr=extra))
    if not isinstance(items, list) or len(items) != 5:
        raise ValueError("QBFT extraData is an RLP list of 5 items")
    vanity, validators, votes, round_, seals = items
    return {
        "vanity": bytes(vanity),
        "validators": [to_checksum_address(bytes(v)) for v in validators],
        "votes": list(votes),
        "round": int.from_bytes(bytes(round_), "big"),
        "seals": list(seals),
    }


def qbft_genesis(
    chain: ChainParams, validators: Iterable[str], *, request_timeout: int | None = None
) -> dict[str, Any]:
    """A Besu QBFT genesis of `chain` with `validators` (block-header validator selection)."""
    config: dict[str, Any] = {"chainId": chain.chain_id, **block_forks(chain.evm_version)}
    for fork, key in _TIME_FORK_KEYS.items():
        if fork_at_least(chain.evm_version, fork):
            config[key] = 0
    config["qbft"] = {
        "blockperiodseconds": chain.period,
        "epochlength": chain.epoch,
        # Besu recommends a round timeout of at least twice the block period.
        "requesttimeoutseconds": request_timeout or max(4, 2 * chain.period),
    }
    return _genesis_block(chain, config, qbft_extra_data(validators), BFT_MIX_HASH)


def genesis_evm_version(genesis: Mapping[str, Any]) -> str:
    """The latest fork a genesis activates at block/time 0 (inverse of the builders above)."""
    config = genesis["config"]
    latest = "homestead"
    for name in FORK_ORDER:
        keys = _BLOCK_FORK_KEYS.get(name) or (
            (_TIME_FORK_KEYS[name],) if name in _TIME_FORK_KEYS else ()
        )
        if keys and all(config.get(k) == 0 for k in keys):
            latest = name
    return latest
