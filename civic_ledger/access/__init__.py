"""The access domain: its contracts' specs and clients."""
