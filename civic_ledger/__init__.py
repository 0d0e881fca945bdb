"""civic-ledger: shared logic for the city ledger's Ape scripts and tests."""
