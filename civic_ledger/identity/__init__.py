"""The identity domain: its contracts' specs and clients."""
