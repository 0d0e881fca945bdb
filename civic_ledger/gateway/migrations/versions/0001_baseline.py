"""Baseline: the schema of the first gateway release.

A database is created at this revision from `civic_ledger.gateway.schema` (`db.migrate`:
create_all, then stamp). Every later change to schema.py comes with a migration here that
brings an existing database to it; tests/gateway/test_migrations.py checks that a database
migrated to the head matches schema.py exactly.
"""

revision = "0001"
down_revision = None


def upgrade() -> None:
    """Nothing: databases at this revision were created from the schema itself."""


def downgrade() -> None:
    """Nothing to take back."""
