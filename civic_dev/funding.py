"""Gas money for third-party wallets on the dev chains (`ape run chain fund`, `ape run devnet
fund`): one plain transfer from a funded development key, sent and settled through the chain
layer (journaled, so an interrupted run never sends twice)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from civic_ledger.chain.client import HttpClient
from civic_ledger.core.exceptions import CivicError


class FundingError(CivicError):
    """A transfer of gas money failed."""


def send_gas_money(
    url: str, private_key: str, chain_id: int, address: str, wei: int, journal: Path, job: str
) -> Any:
    """Send `wei` from `private_key` to `address` on the node at `url`, journaled in `journal`
    under `job`; returns the outcome."""
    from civic_ledger.chain.fees import PRIORITY_FEE
    from civic_ledger.chain.journal import Journal
    from civic_ledger.chain.sender import Sender, TxRequest
    from civic_ledger.chain.signer import KeySigner

    signer = KeySigner.from_key(private_key)
    client = HttpClient(url)
    log = Journal.open(journal, {"job": job, "chain_id": chain_id})
    try:
        fee = 2 * client.base_fee() + PRIORITY_FEE
        sender = Sender(client, signer, log, chain_id=chain_id, max_fee=fee, timeout=60)
        batch = log.new_batch_number()
        [outcome] = sender.run([TxRequest(batch, (address,), address, b"", 21_000, wei)])
    finally:
        log.close()
        client.close()
    if not outcome.ok:
        raise FundingError(f"the transfer to {address} failed ({outcome.signed.tx_hash})")
    return outcome
