"""Ownership disputes (Art. 24): a dispute per contested order, one open at a time,
and each of its steps.

Revision ID: 0007
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from minsheng_common.db import UTCDateTime

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "work_order_disputes",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "work_order_id",
            sa.String(36),
            sa.ForeignKey("work_orders.id"),
            nullable=False,
        ),
        sa.Column("appeal_id", sa.String(36), nullable=False),
        sa.Column("unit_ids", sa.JSON, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("open_for", sa.String(36)),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("opened_by", sa.String(200), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("owner_unit_id", sa.String(50)),
        sa.Column("decision", sa.Text),
        sa.Column("decision_document", sa.String(64)),
        sa.Column("decided_at", UTCDateTime()),
        sa.Column("decided_by", sa.String(200)),
        sa.Column("redispatched_to", sa.String(36)),
        # One open dispute per order: `open_for` holds the order's id until the
        # decision clears it.
        sa.UniqueConstraint("open_for", name="uq_work_order_disputes_open_for"),
    )
    op.create_index(
        "ix_work_order_disputes_order", "work_order_disputes", ["work_order_id"]
    )
    op.create_index(
        "ix_work_order_disputes_state", "work_order_disputes", ["state", "opened_at"]
    )
    op.create_table(
        "work_order_dispute_steps",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "dispute_id",
            sa.String(36),
            sa.ForeignKey("work_order_disputes.id"),
            nullable=False,
        ),
        sa.Column("step", sa.String(20), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("document", sa.String(64)),
        sa.Column("owner_unit_id", sa.String(50)),
    )
    op.create_index(
        "ix_work_order_dispute_steps_dispute",
        "work_order_dispute_steps",
        ["dispute_id", "id"],
    )


def downgrade() -> None:
    op.drop_table("work_order_dispute_steps")
    op.drop_table("work_order_disputes")
