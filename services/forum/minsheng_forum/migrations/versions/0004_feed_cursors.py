"""Polled forum sources: a cursor per source, and the post's address on its forum.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from minsheng_common.db import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forum_feed_cursors",
        sa.Column("source", sa.String(100), primary_key=True),
        sa.Column("cursor", sa.String(500)),
        sa.Column("polled_at", UTCDateTime()),
        sa.Column("succeeded_at", UTCDateTime()),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("posts_stored", sa.Integer, nullable=False),
        sa.Column("posts_repeated", sa.Integer, nullable=False),
    )
    # A nullable column: SQLite adds it without rebuilding the table.
    op.add_column("forum_items", sa.Column("post_url", sa.String(1000)))


def downgrade() -> None:
    with op.batch_alter_table("forum_items") as batch:
        batch.drop_column("post_url")
    op.drop_table("forum_feed_cursors")
