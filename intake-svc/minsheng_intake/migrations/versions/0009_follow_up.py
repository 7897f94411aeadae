"""Work-order follow-up: merged appeals follow their surviving order (Art. 18),
warnings that raised a cluster (Art. 9), closures counted by unit and category and
the reply templates asked for after the third (Art. 43).

Revision ID: 0009_follow_up
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

from minsheng_common.db import UTCDateTime

revision = "0009_follow_up"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "appeal_merges",
        sa.Column("appeal_id", sa.String(36), primary_key=True),
        sa.Column("into_appeal_id", sa.String(36), nullable=False),
        sa.Column("into_work_order_id", sa.String(36), nullable=False),
        sa.Column("merged_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_appeal_merges_into", "appeal_merges", ["into_appeal_id"])
    op.create_table(
        "cluster_warnings",
        sa.Column("cluster_id", sa.String(36), primary_key=True),
        sa.Column("warning_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("raised_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "unit_closures",
        sa.Column("work_order_id", sa.String(36), primary_key=True),
        sa.Column("appeal_id", sa.String(36), nullable=False),
        sa.Column("unit_id", sa.String(50), nullable=False),
        sa.Column("category_id", sa.String(50), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_unit_closures_unit_category",
        "unit_closures",
        ["unit_id", "category_id", "closed_at"],
    )
    op.create_table(
        "reply_template_requests",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("unit_id", sa.String(50), nullable=False),
        sa.Column("category_id", sa.String(50), nullable=False),
        sa.Column("work_order_id", sa.String(36), nullable=False),
        sa.Column("appeal_id", sa.String(36), nullable=False),
        sa.Column("closed_work_order_ids", sa.JSON, nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("handling_notice_template", sa.Text),
        sa.Column("handling_feedback_template", sa.Text),
        sa.Column("received_at", UTCDateTime()),
        sa.Column("received_by", sa.String(200)),
        sa.UniqueConstraint(
            "unit_id", "category_id", name="uq_reply_template_requests_unit_category"
        ),
    )


def downgrade() -> None:
    op.drop_table("reply_template_requests")
    op.drop_table("unit_closures")
    op.drop_table("cluster_warnings")
    op.drop_table("appeal_merges")
