"""EIP-1559 fees for transactions the project signs itself.

A transaction must still be acceptable when it is mined: during a bulk import every full block
raises the base fee by 12.5 %, so the max fee covers the base fee the import's last block can
reach, and stays under the node's cap on a transaction's total fee (geth: 1 ether).
"""

from __future__ import annotations

import math

GWEI = 10**9
PRIORITY_FEE = 1 * GWEI  # geth's miner refuses tips under 1 gwei by default
MAX_FEE_FLOOR = 100 * GWEI
TX_FEE_CAP = 10**18  # geth refuses gas x max fee above 1 ether by default (--rpc.txfeecap)
BASE_FEE_STEP = 1.125  # EIP-1559: a full block raises the next base fee by 12.5 %


def max_fee_per_gas(
    base_fee: int, full_blocks: int, tx_gas: int, *, priority_fee: int = PRIORITY_FEE,
    floor: int = MAX_FEE_FLOOR, tx_fee_cap: int = TX_FEE_CAP,
) -> int:  # fmt: skip
    """maxFeePerGas for `full_blocks` consecutive full blocks starting at `base_fee`: at least
    the base fee those blocks can reach (+2 blocks of margin) plus the tip, at least `floor`
    while a transaction of `tx_gas` stays under the node's fee cap. Raises if the projected
    base fee itself would break the cap (the import would stall with underpriced txs)."""
    projected = math.ceil(base_fee * BASE_FEE_STEP ** (full_blocks + 2)) + priority_fee
    ceiling = tx_fee_cap // max(tx_gas, 1)
    if projected > ceiling:
        raise ValueError(
            f"base fee {base_fee:,} wei can reach {projected:,} wei over {full_blocks} full "
            f"blocks; a {tx_gas:,}-gas transaction may pay at most {ceiling:,} wei per gas "
            "(node tx fee cap): wait for the base fee to fall or import in parts"
        )
    return min(max(projected, floor), ceiling)


def max_start_base_fee(
    full_blocks: int, tx_gas: int, *, priority_fee: int = PRIORITY_FEE,
    tx_fee_cap: int = TX_FEE_CAP,
) -> int:  # fmt: skip
    """The highest base fee from which `full_blocks` full blocks (+2) keep a `tx_gas`
    transaction's fee under the node's cap (the inverse of `max_fee_per_gas`'s check)."""
    room = tx_fee_cap // max(tx_gas, 1) - priority_fee
    return max(0, math.floor(room / BASE_FEE_STEP ** (full_blocks + 2)))
