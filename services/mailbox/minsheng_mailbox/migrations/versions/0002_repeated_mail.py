"""A mail repeating an earlier one's Message-ID is recorded too, with the earlier
mail it repeats.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column: SQLite adds it without rebuilding the table.
    op.add_column("mailbox_messages", sa.Column("repeats", sa.String(80)))


def downgrade() -> None:
    # The repeated mails' rows go with the column that tells them apart.
    op.execute("DELETE FROM mailbox_messages WHERE outcome = 'repeated'")
    with op.batch_alter_table("mailbox_messages") as batch:
        batch.drop_column("repeats")
