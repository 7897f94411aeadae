"""Units, categories, routing rules, work orders, their actions, outbox and inbox.

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
        "units",
        sa.Column("id", sa.String(50), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(50), nullable=False),
    )
    op.create_table(
        "categories",
        sa.Column("id", sa.String(50), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("default_unit", sa.String(50)),
        sa.Column("territorial", sa.Boolean, nullable=False),
        sa.Column("examples", sa.JSON, nullable=False),
    )
    op.create_table(
        "routing_rules",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("category_id", sa.String(50), nullable=False),
        sa.Column("subdistrict_id", sa.String(50)),
        sa.Column("keyword", sa.String(100)),
        sa.Column("unit_id", sa.String(50), nullable=False),
        sa.Column("valid_from", UTCDateTime(), nullable=False),
        sa.Column("valid_to", UTCDateTime()),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("note", sa.Text),
    )
    op.create_index("ix_routing_rules_category", "routing_rules", ["category_id"])
    op.create_table(
        "work_orders",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("appeal_id", sa.String(36), nullable=False, unique=True),
        sa.Column("tracking_code", sa.String(32), nullable=False),
        sa.Column("unit_id", sa.String(50), nullable=False),
        sa.Column("appeal_type", sa.String(20), nullable=False),
        sa.Column("category_id", sa.String(50)),
        sa.Column("subdistrict_id", sa.String(50)),
        sa.Column("community", sa.String(50)),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("address", sa.Text),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("filed_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("dispatched_at", UTCDateTime(), nullable=False),
        sa.Column("dispatch_seconds", sa.Float, nullable=False),
        sa.Column("dispatched_within_target", sa.Boolean, nullable=False),
        sa.Column("route_rule_id", sa.Integer),
        sa.Column("route_reason", sa.String(50), nullable=False),
        sa.Column("route_basis", sa.Text, nullable=False),
        sa.Column("rules_edition", sa.String(50), nullable=False),
        sa.Column("signed_at", UTCDateTime()),
        sa.Column("sign_mode", sa.String(10)),
        sa.Column("signed_by", sa.String(100)),
        sa.Column("acceptance_notice_requested_at", UTCDateTime()),
    )
    op.create_index("ix_work_orders_unit_status", "work_orders", ["unit_id", "status"])
    op.create_index("ix_work_orders_dispatched_at", "work_orders", ["dispatched_at"])
    op.create_table(
        "work_order_actions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "work_order_id",
            sa.String(36),
            sa.ForeignKey("work_orders.id"),
            nullable=False,
        ),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_index(
        "ix_work_order_actions_order", "work_order_actions", ["work_order_id", "id"]
    )


def downgrade() -> None:
    op.drop_table("work_order_actions")
    op.drop_table("work_orders")
    op.drop_table("routing_rules")
    op.drop_table("categories")
    op.drop_table("units")
    drop_bus_tables(op.get_bind())
