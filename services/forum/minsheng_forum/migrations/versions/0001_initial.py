"""Forum items, outbox and inbox.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from minsheng_common.bus.tables import create_bus_tables, drop_bus_tables
from minsheng_common.db import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The adapter stages no events; the bus tables are there because every service's
    # runtime runs the same relay.
    create_bus_tables(op.get_bind())
    op.create_table(
        "forum_items",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("message_id", sa.String(100), nullable=False),
        sa.Column("row_number", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("posted_at", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("next_attempt_at", UTCDateTime()),
        sa.Column("delivered_at", UTCDateTime()),
        sa.Column("answer_status", sa.Integer),
        sa.Column("appeal_id", sa.String(36)),
        sa.Column("tracking_code", sa.String(32)),
        sa.Column("decision", sa.String(20)),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint(
            "source", "message_id", "row_number", name="uq_forum_items_row"
        ),
    )
    op.create_index(
        "ix_forum_items_queue", "forum_items", ["source", "status", "position"]
    )
    op.create_index("ix_forum_items_status", "forum_items", ["status"])


def downgrade() -> None:
    op.drop_table("forum_items")
    drop_bus_tables(op.get_bind())
