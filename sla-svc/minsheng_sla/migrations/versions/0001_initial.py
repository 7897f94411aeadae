"""Deadlines, outbox and inbox.

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
    create_bus_tables(op.get_bind())
    op.create_table(
        "deadlines",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("work_order_id", sa.String(36), nullable=False),
        sa.Column("appeal_id", sa.String(36), nullable=False),
        sa.Column("unit_id", sa.String(50), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("provisional", sa.Boolean, nullable=False),
        sa.Column("article", sa.String(30), nullable=False),
        sa.Column("period", sa.String(50), nullable=False),
        sa.Column("rules_edition", sa.String(50), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("met_at", UTCDateTime()),
        sa.Column("reached_at", UTCDateTime()),
        sa.UniqueConstraint(
            "work_order_id", "kind", name="uq_deadlines_work_order_kind"
        ),
    )
    op.create_index("ix_deadlines_status_due_at", "deadlines", ["status", "due_at"])
    op.create_index("ix_deadlines_appeal_id", "deadlines", ["appeal_id"])


def downgrade() -> None:
    op.drop_table("deadlines")
    drop_bus_tables(op.get_bind())
