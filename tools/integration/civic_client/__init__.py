"""`civic_client`: a reference client for civic-ledger that uses only web3.py, eth-account and
eth-abi.

It is what an agency's integrator writes from docs/integration.md and the files a deployment
publishes (`deployments/<network>.json` and `deployments/abi/<Contract>.json`): no civic-ledger
code. Copy the folder and keep what you need: `encoding` (identifiers, encodings, EIP-712:
pure functions), `client` (the deployment, the chain check, calls and transactions), `errors`.

    from civic_client import CivicLedgerClient
    from civic_client.encoding import KIND_ENTERPRISE, subject_commitment

    client = CivicLedgerClient.connect("http://127.0.0.1:18545", "deployments/city-local.json")
    office = Account.from_key(IDENTITY_OFFICE_KEY)
    subject = subject_commitment(salt, "91110108MA01ABCD2X")
    client.register_identity(office, subject, controller_address, KIND_ENTERPRISE)

Every write signs locally with an eth_account key, sends the raw transaction, waits for the
receipt and returns the ids the contracts announce in their events (docs/integration.md §3).
A reverted call raises `CivicRevert` with the custom error's name, decoded from the ABIs.
"""

from __future__ import annotations

from .client import CivicLedgerClient, Deployment, check_chain
from .errors import ChainMismatch, CivicRevert, ClientError

__all__ = [
    "ChainMismatch",
    "CivicLedgerClient",
    "CivicRevert",
    "ClientError",
    "Deployment",
    "check_chain",
]
