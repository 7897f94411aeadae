"""Clocks can be cancelled; extensions keep their history; handling notices seen.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from minsheng_common.db import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deadlines", sa.Column("cancelled_at", UTCDateTime()))
    op.create_table(
        "deadline_changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("deadline_id", sa.String(36), nullable=False),
        sa.Column("from_due_at", UTCDateTime(), nullable=False),
        sa.Column("to_due_at", UTCDateTime(), nullable=False),
        sa.Column("working_days", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_deadline_changes_deadline_id", "deadline_changes", ["deadline_id", "id"]
    )
    op.create_table(
        "handling_notices",
        sa.Column("work_order_id", sa.String(36), primary_key=True),
        sa.Column("requested_at", UTCDateTime()),
        sa.Column("sent_at", UTCDateTime()),
        sa.Column("notice_id", sa.String(36)),
    )


def downgrade() -> None:
    op.drop_table("handling_notices")
    op.drop_table("deadline_changes")
    # SQLite drops a column only by copying the table: batch mode does that.
    with op.batch_alter_table("deadlines") as batch:
        batch.drop_column("cancelled_at")
