"""Urging points on every clock (Art. 39), what a late clock missed by, and the
weekly overdue supervisions (Art. 40).

Revision ID: 0003_urging
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from minsheng_common.db import UTCDateTime

revision = "0003_urging"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deadlines", sa.Column("urge_half_at", UTCDateTime()))
    op.add_column("deadlines", sa.Column("urge_two_thirds_at", UTCDateTime()))
    op.add_column("deadlines", sa.Column("next_urge_at", UTCDateTime()))
    # Clocks set before this revision were never urged.
    op.add_column(
        "deadlines",
        sa.Column("urged_level", sa.Integer, nullable=False, server_default="0"),
    )
    op.add_column("deadlines", sa.Column("late_working_seconds", sa.Integer))
    op.create_index(
        "ix_deadlines_status_next_urge_at", "deadlines", ["status", "next_urge_at"]
    )
    op.create_table(
        "supervisions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("unit_id", sa.String(50), nullable=False),
        sa.Column("week_of", sa.Date, nullable=False),
        sa.Column("orders", sa.Integer, nullable=False),
        sa.Column("listed_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("unit_id", "week_of", name="uq_supervisions_unit_week"),
    )


def downgrade() -> None:
    op.drop_table("supervisions")
    op.drop_index("ix_deadlines_status_next_urge_at", table_name="deadlines")
    # SQLite drops a column only by copying the table: batch mode does that.
    with op.batch_alter_table("deadlines") as batch:
        for column in (
            "late_working_seconds",
            "urged_level",
            "next_urge_at",
            "urge_two_thirds_at",
            "urge_half_at",
        ):
            batch.drop_column(column)
