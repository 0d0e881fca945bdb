"""Every projection row keeps the block that created it (`created_block`): a fork deletes the
rows created after it, so an insert no longer writes an undo record.

Rows indexed before this revision get -1, a block no fork point is below (a rollback never
deletes them by this column): those of them that a fork may still have to delete are the ones
in the undo window, and each of those already has its undo record ("delete", a NULL
`previous`), which `store.rollback` still replays. A downgrade forgets where the undo window
starts (`undo_from`): the older code would not delete the rows created since, so a fork it
finds before the window restarts is re-indexed from the first block instead of rolled back.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"

#: The projection tables as of this revision.
TABLES = (
    "identities", "schemas", "records", "disputes", "parcels", "sales", "liens", "tax_years",
    "rounds", "applications", "data_resources", "data_requests", "receipt_batches",
)  # fmt: skip


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("created_block", sa.BigInteger, nullable=False,
                                       server_default="-1"))  # fmt: skip
        with op.batch_alter_table(table) as batch:  # new rows always name their block
            batch.alter_column("created_block", server_default=None)


def downgrade() -> None:
    # Rows created since this revision have no "delete" undo records, which the older code
    # needs: a fork found before the undo window restarts is re-indexed from the first block.
    op.execute("DELETE FROM gateway_meta WHERE key = 'undo_from'")
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("created_block")
