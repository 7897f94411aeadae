"""The appeals merged into each work order, told by its handling notice.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from minsheng_common.db import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "merged_appeals",
        sa.Column("work_order_id", sa.String(36), primary_key=True),
        sa.Column("appeal_id", sa.String(36), primary_key=True),
        sa.Column("merged_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("merged_appeals")
