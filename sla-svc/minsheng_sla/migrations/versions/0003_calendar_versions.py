"""Every version of each year's official holiday schedule, and the alerts raised
while next year's is missing.

Revision ID: 0003_calendar
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from minsheng_common.db import UTCDateTime

revision = "0003_calendar"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("source", sa.String(30), nullable=False),
        sa.Column("holidays", sa.JSON, nullable=False),
        sa.Column("makeup_workdays", sa.JSON, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("loaded_by", sa.String(200), nullable=False),
        sa.Column("loaded_at", UTCDateTime(), nullable=False),
        sa.Column("recomputed", sa.Integer, nullable=False),
        sa.UniqueConstraint(
            "year", "version", name="uq_calendar_versions_year_version"
        ),
    )
    op.create_table(
        "calendar_alerts",
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("raised_on", sa.Date, primary_key=True),
        sa.Column("raised_at", UTCDateTime(), nullable=False),
        sa.Column("provisional_deadlines", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("calendar_alerts")
    op.drop_table("calendar_versions")
