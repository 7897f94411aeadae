"""Call records, signatures of pushed records, outbox and inbox.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from minsheng_common.adapters import queue, receipts
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
        "hotline_calls",
        *queue.columns(),
        sa.Column("call_id", sa.String(100), nullable=False),
        sa.Column("agent", sa.String(100), nullable=False),
        sa.Column("type_as_entered", sa.String(20), nullable=False),
        sa.Column("category_as_entered", sa.String(100), nullable=False),
        sa.Column("called_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("source", "call_id", name="uq_hotline_calls_call"),
    )
    for name, columns in queue.index_specs("hotline_calls"):
        op.create_index(name, "hotline_calls", columns)
    receipts.create_table(op)


def downgrade() -> None:
    op.drop_table(receipts.TABLE)
    op.drop_table("hotline_calls")
    drop_bus_tables(op.get_bind())
