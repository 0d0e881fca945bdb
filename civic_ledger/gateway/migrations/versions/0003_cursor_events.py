"""The number of indexed events kept in the cursor (`schema.cursor.c.events`): `status` and the
statistics read it instead of counting the events table on every request.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    with op.batch_alter_table("cursor") as batch:
        batch.add_column(sa.Column("events", sa.BigInteger, nullable=False, server_default="0"))
    op.execute("UPDATE cursor SET events = (SELECT count(*) FROM events)")


def downgrade() -> None:
    with op.batch_alter_table("cursor") as batch:
        batch.drop_column("events")
