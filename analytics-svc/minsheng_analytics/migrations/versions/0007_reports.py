"""Periodic reports (Art. 40) generated on schedule and on demand: each report kept
as compiled, by kind and first day of its period.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from minsheng_common.db import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "generated_reports",
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("period_start", sa.Date, primary_key=True),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("generated_at", UTCDateTime(), nullable=False),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("requested_by", sa.String(100)),
        sa.Column("as_of", UTCDateTime()),
        sa.Column("body", sa.JSON, nullable=False),
    )
    op.create_index(
        "ix_generated_reports_period_end", "generated_reports", ["period_end"]
    )


def downgrade() -> None:
    op.drop_index("ix_generated_reports_period_end", table_name="generated_reports")
    op.drop_table("generated_reports")
