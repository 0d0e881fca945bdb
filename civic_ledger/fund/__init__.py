"""The fund domain: its contracts' specs and clients."""
