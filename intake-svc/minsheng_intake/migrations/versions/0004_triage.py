"""Triage: appeals whose category suggestion was not confident enough wait here for
a center operator to classify them (Art. 8).

Revision ID: 0004
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from minsheng_common.db import UTCDateTime

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "appeal_triage",
        sa.Column("appeal_id", sa.String(36), primary_key=True),
        sa.Column("suggested_category_id", sa.String(50)),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("ranked", sa.JSON, nullable=False),
        sa.Column("queued_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_at", UTCDateTime()),
        sa.Column("resolved_by", sa.String(200)),
        sa.Column("category_id", sa.String(50)),
        sa.Column("reason", sa.Text),
    )
    op.create_index(
        "ix_appeal_triage_waiting", "appeal_triage", ["resolved_at", "queued_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_appeal_triage_waiting", table_name="appeal_triage")
    op.drop_table("appeal_triage")
