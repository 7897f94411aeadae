"""Maintained rollups for indicator queries at scale: the counters of every
indicator by grain, day and dimension, what each fact contributed to them, and the
signature of the counters they were built with. The tables start empty and without
a signature: the service builds them from the facts at start.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from minsheng_common.db import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The counters as of this revision, each subject's count of facts first. A later
# indicator adds its columns in its own revision.
COUNTERS = (
    "appeals",
    "received",
    "filed",
    "rejected",
    "held_verification",
    "held_classification",
    "level_1",
    "level_2",
    "level_3",
    "instant_answer__numerator",
    "instant_answer__denominator",
    "work_orders",
    "dispatched",
    "signed",
    "signed_manual",
    "signed_auto",
    "acceptance_notices_requested",
    "acceptance_notices_sent",
    "handling_notices_requested",
    "handling_notices_sent",
    "return_requested",
    "returned",
    "extended",
    "closed",
    "closed_on_time",
    "closed_overdue",
    "closed_staged",
    "closure_rejected",
    "merged",
    "reopened",
    "urged_half",
    "urged_two_thirds",
    "urged_overdue",
    "reply_templates_asked",
    "reply_templates_received",
    "reply_templates_in_time",
    "dispatch_within_limit__numerator",
    "dispatch_within_limit__denominator",
    "sign_off_within_limit__numerator",
    "sign_off_within_limit__denominator",
    "acceptance_notice_within_limit__numerator",
    "acceptance_notice_within_limit__denominator",
    "handling_notice_within_limit__numerator",
    "handling_notice_within_limit__denominator",
    "on_time_closure__numerator",
    "on_time_closure__denominator",
    "total_closure__numerator",
    "total_closure__denominator",
    "return_rate__numerator",
    "return_rate__denominator",
    "return_visits",
    "satisfied__numerator",
    "satisfied__denominator",
    "satisfaction_speed__numerator",
    "satisfaction_speed__denominator",
    "satisfaction_effect__numerator",
    "satisfaction_effect__denominator",
    "satisfaction_service__numerator",
    "satisfaction_service__denominator",
    "satisfaction_system__numerator",
    "satisfaction_system__denominator",
)
DIMENSIONS = ("unit_id", "subdistrict_id", "category_id", "channel")


def upgrade() -> None:
    op.create_table(
        "indicator_rollups",
        sa.Column("grain", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("day", sa.Date, primary_key=True),
        *(sa.Column(column, sa.String(50), primary_key=True) for column in DIMENSIONS),
        *(
            sa.Column(name, sa.Integer, nullable=False, server_default="0")
            for name in COUNTERS
        ),
    )
    for column in DIMENSIONS:
        op.create_index(
            f"ix_indicator_rollups_grain_{column}_day",
            "indicator_rollups",
            ["grain", column, "day"],
        )

    op.create_table(
        "rollup_contributions",
        sa.Column("subject", sa.String(20), primary_key=True),
        sa.Column("fact_id", sa.String(100), primary_key=True),
        sa.Column("day", sa.Date),
        *(
            sa.Column(column, sa.String(50), nullable=False, server_default="")
            for column in DIMENSIONS
        ),
        sa.Column("counters", sa.BigInteger, nullable=False, server_default="0"),
    )

    op.create_table(
        "rollup_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("signature", sa.String(64), nullable=False, server_default=""),
        sa.Column("built_at", UTCDateTime()),
    )

    # The rollups find the return visits of an appeal whose day or place changed.
    op.create_index(
        "ix_return_visit_facts_appeal_id", "return_visit_facts", ["appeal_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_return_visit_facts_appeal_id", table_name="return_visit_facts")
    op.drop_table("rollup_state")
    op.drop_table("rollup_contributions")
    for column in DIMENSIONS:
        op.drop_index(
            f"ix_indicator_rollups_grain_{column}_day", table_name="indicator_rollups"
        )
    op.drop_table("indicator_rollups")
