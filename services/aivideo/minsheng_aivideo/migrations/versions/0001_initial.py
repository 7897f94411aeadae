"""Appeals, detections, snapshots, watches, signatures of pushes, outbox and inbox.

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
        "video_appeals",
        *queue.columns(),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("first_detection_id", sa.String(100), nullable=False, unique=True),
        sa.Column("first_detected_at", UTCDateTime(), nullable=False),
        sa.Column("last_detected_at", UTCDateTime(), nullable=False),
        sa.Column("detections", sa.Integer, nullable=False),
        sa.Column("snapshot", sa.String(80), nullable=False),
    )
    op.create_index(
        "ix_video_appeals_stream",
        "video_appeals",
        ["source", "kind", "first_detected_at"],
    )
    for name, columns in queue.index_specs("video_appeals"):
        op.create_index(name, "video_appeals", columns)
    op.create_table(
        "video_detections",
        sa.Column("detection_id", sa.String(100), primary_key=True),
        sa.Column("camera_id", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("detected_at", UTCDateTime(), nullable=False),
        sa.Column("latitude", sa.Float, nullable=False),
        sa.Column("longitude", sa.Float, nullable=False),
        sa.Column("snapshot", sa.String(80)),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("appeal_item_id", sa.String(36)),
        sa.Column("received_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_video_detections_outcome", "video_detections", ["outcome"])
    op.create_index(
        "ix_video_detections_appeal_item_id", "video_detections", ["appeal_item_id"]
    )
    op.create_table(
        "video_snapshots",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("content_type", sa.String(50), nullable=False),
        sa.Column("ending", sa.String(10), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("fetched_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "video_watches",
        sa.Column("camera_id", sa.String(100), primary_key=True),
        sa.Column("kind", sa.String(50), primary_key=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    receipts.create_table(op)


def downgrade() -> None:
    op.drop_table(receipts.TABLE)
    op.drop_table("video_watches")
    op.drop_table("video_snapshots")
    op.drop_table("video_detections")
    op.drop_table("video_appeals")
    drop_bus_tables(op.get_bind())
