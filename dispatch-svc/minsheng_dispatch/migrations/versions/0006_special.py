"""Special dispatch (Art. 18-22): an order's role in a parallel group, the order it
was split from or merged into, its appeal's channel and event cluster; parallel
groups and the cooperating units' opinions.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from minsheng_common.db import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
# The columns go onto work_orders as 0004 leaves it (SQLite rebuilds that table
# there), so 0004 runs first.
depends_on = "0004"

_INDEXES = {
    "ix_work_orders_cluster": "cluster_id",
    "ix_work_orders_parallel_group": "parallel_group_id",
    "ix_work_orders_split_from": "split_from",
}


def upgrade() -> None:
    columns = [
        sa.Column("role", sa.String(20), nullable=False, server_default="sole"),
        sa.Column("parallel_group_id", sa.String(36)),
        sa.Column("split_from", sa.String(36)),
        sa.Column("merged_into", sa.String(36)),
        sa.Column("channel", sa.String(50)),
        sa.Column("cluster_id", sa.String(36)),
    ]
    for column in columns:
        op.add_column("work_orders", column)
    for name, column_name in _INDEXES.items():
        op.create_index(name, "work_orders", [column_name])

    op.create_table(
        "parallel_groups",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("appeal_id", sa.String(36), nullable=False),
        sa.Column("origin_work_order_id", sa.String(36), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("owner_work_order_id", sa.String(36)),
        sa.Column("owner_confirmed_at", UTCDateTime()),
    )
    op.create_index(
        "ix_parallel_groups_origin", "parallel_groups", ["origin_work_order_id"]
    )
    op.create_table(
        "cooperation_opinions",
        sa.Column("work_order_id", sa.String(36), primary_key=True),
        sa.Column("group_id", sa.String(36), nullable=False),
        sa.Column("unit_id", sa.String(50), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("opinion", sa.Text),
        sa.Column("reason", sa.Text),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("due_at", UTCDateTime()),
        sa.Column("on_time", sa.Boolean, nullable=False),
    )
    op.create_index(
        "ix_cooperation_opinions_group", "cooperation_opinions", ["group_id"]
    )


def downgrade() -> None:
    op.drop_table("cooperation_opinions")
    op.drop_table("parallel_groups")
    for name in _INDEXES:
        op.drop_index(name, "work_orders")
    with op.batch_alter_table("work_orders") as batch:
        for name in (
            "cluster_id",
            "channel",
            "merged_into",
            "split_from",
            "parallel_group_id",
            "role",
        ):
            batch.drop_column(name)
