"""Click command groups behind `ape run admin ...`, one module per domain."""
