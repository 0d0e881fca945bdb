"""Click command groups behind `ape run admin ...`, one module per domain.

What every command shares: one that sends a transaction signs with `--account` (an Ape account
alias, or TEST::N on a local chain) and reads contract addresses from the deployment manifest
of `--network` (or `--manifest`). Parcels are given by cadastral code or numeric id; subjects
(identities) by their bytes32 commitment or their controller's address; documents (evidence:
loan agreements, court orders, deeds, decisions, rulings) as @PATH (hashes the file), text:TEXT
(hashes the text) or 0x + 64 hex digits (the hash as is): only the hash goes on chain.
"""
