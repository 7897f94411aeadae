"""Service requests, the progress projection, outbox and inbox.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from minsheng_common.adapters import queue
from minsheng_common.bus.tables import create_bus_tables, drop_bus_tables
from minsheng_common.db import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The server stages no events; the inbox records the progress events it applied,
    # and the outbox is there because every service's runtime runs the same relay.
    create_bus_tables(op.get_bind())
    op.create_table(
        "service_requests",
        *queue.columns(),
        sa.Column("client_id", sa.String(100), nullable=False),
        sa.Column("service_code", sa.String(50), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("address", sa.String(500)),
        sa.Column("address_id", sa.String(200)),
        sa.Column("latitude", sa.Float),
        sa.Column("longitude", sa.Float),
        sa.Column("media_url", sa.String(2000)),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("reason_code", sa.String(50)),
        sa.Column("article", sa.String(50)),
        sa.Column("advice", sa.Text),
        sa.Column("answer", sa.Text),
        sa.Column("decided_at", UTCDateTime()),
        sa.UniqueConstraint("tracking_code", name="uq_service_requests_tracking_code"),
        sa.UniqueConstraint("appeal_id", name="uq_service_requests_appeal_id"),
    )
    for name, columns in queue.index_specs("service_requests"):
        op.create_index(name, "service_requests", columns)
    op.create_index(
        "ix_service_requests_requested_at", "service_requests", ["requested_at"]
    )

    op.create_table(
        "work_orders",
        sa.Column("work_order_id", sa.String(64), primary_key=True),
        sa.Column("appeal_id", sa.String(64), nullable=False),
        sa.Column("unit_id", sa.String(50), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.Column("handling_due_at", UTCDateTime()),
        sa.Column("due_set_at", UTCDateTime()),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_work_orders_appeal_id", "work_orders", ["appeal_id"])
    op.create_index("ix_work_orders_recorded_at", "work_orders", ["recorded_at"])

    op.create_table(
        "progress_updates",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("appeal_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(40), nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("event_id", "appeal_id", name="uq_progress_updates_event"),
    )
    op.create_index(
        "ix_progress_updates_appeal_id",
        "progress_updates",
        ["appeal_id", "occurred_at"],
    )
    op.create_index(
        "ix_progress_updates_occurred_at", "progress_updates", ["occurred_at"]
    )
    op.create_index(
        "ix_progress_updates_recorded_at", "progress_updates", ["recorded_at"]
    )

    op.create_table(
        "mergers",
        sa.Column("appeal_id", sa.String(64), primary_key=True),
        sa.Column("survivor_appeal_id", sa.String(64), nullable=False),
        sa.Column("merged_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_mergers_survivor", "mergers", ["survivor_appeal_id"])
    op.create_index("ix_mergers_recorded_at", "mergers", ["recorded_at"])


def downgrade() -> None:
    op.drop_table("mergers")
    op.drop_table("progress_updates")
    op.drop_table("work_orders")
    op.drop_table("service_requests")
    drop_bus_tables(op.get_bind())
