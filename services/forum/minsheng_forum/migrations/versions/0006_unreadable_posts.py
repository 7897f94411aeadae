"""Polled sources count the posts skipped because they could not be read.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A default for the rows already there: SQLite adds the column without
    # rebuilding the table.
    op.add_column(
        "forum_feed_cursors",
        sa.Column("posts_unreadable", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    with op.batch_alter_table("forum_feed_cursors") as batch:
        batch.drop_column("posts_unreadable")
