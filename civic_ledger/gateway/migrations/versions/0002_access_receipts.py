"""Access receipts published by the anchoring agencies (`schema.access_receipts`)."""

import sqlalchemy as sa
from alembic import op

from civic_ledger.gateway.schema import ADDRESS, HASH, TIME64

revision = "0002"
down_revision = "0001"

TABLE = "access_receipts"
INDEXED = ("root", "grant_id", "subject")


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("leaf", HASH, primary_key=True),
        sa.Column("root", HASH, nullable=False),
        sa.Column("grant_id", sa.BigInteger, nullable=False),
        sa.Column("subject", HASH, nullable=False),
        sa.Column("payload_hash", HASH, nullable=False),
        sa.Column("delivered_at", TIME64, nullable=False),
        sa.Column("proof", sa.Text, nullable=False),
        sa.Column("published_by", ADDRESS, nullable=False),
        sa.Column("published_at", sa.BigInteger, nullable=False),
    )
    for column in INDEXED:
        op.create_index(f"ix_{TABLE}_{column}", TABLE, [column])


def downgrade() -> None:
    for column in INDEXED:
        op.drop_index(f"ix_{TABLE}_{column}", TABLE)
    op.drop_table(TABLE)
