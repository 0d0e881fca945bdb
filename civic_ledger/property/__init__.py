"""The property domain: its contracts' specs and clients."""
