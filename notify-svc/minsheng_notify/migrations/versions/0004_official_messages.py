"""Messages to units, agencies and leaders, the morning report and return visits:
appeal summaries, work-order units, warnings, overdue items, reminder letters,
morning reports, surveys and SMS replies.

Revision ID: 0004_official_messages
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from minsheng_common.db import UTCDateTime

revision = "0004_official_messages"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "appeal_summaries",
        sa.Column("appeal_id", sa.String(36), primary_key=True),
        sa.Column("tracking_code", sa.String(32), nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("category_id", sa.String(50)),
        sa.Column("subdistrict_id", sa.String(50)),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("basis", sa.Text),
        sa.Column("filed_at", UTCDateTime()),
        sa.Column("level_1_at", UTCDateTime()),
    )
    op.create_index(
        "ix_appeal_summaries_level_1_at", "appeal_summaries", ["level_1_at"]
    )
    op.create_table(
        "work_order_units",
        sa.Column("work_order_id", sa.String(36), primary_key=True),
        sa.Column("appeal_id", sa.String(36), nullable=False),
        sa.Column("unit_id", sa.String(50), nullable=False),
        sa.Column("dispatched_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_work_order_units_appeal_id", "work_order_units", ["appeal_id"])
    op.create_table(
        "raised_warnings",
        sa.Column("warning_id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("cluster_id", sa.String(36)),
        sa.Column("subdistrict_id", sa.String(50)),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("window_hours", sa.Integer),
        sa.Column("raised_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_raised_warnings_raised_at", "raised_warnings", ["raised_at"])
    op.create_table(
        "warning_appeals",
        sa.Column("warning_id", sa.String(36), primary_key=True),
        sa.Column("appeal_id", sa.String(36), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_index("ix_warning_appeals_appeal_id", "warning_appeals", ["appeal_id"])
    op.create_table(
        "overdue_items",
        sa.Column("deadline_id", sa.String(36), primary_key=True),
        sa.Column("work_order_id", sa.String(36), nullable=False),
        sa.Column("appeal_id", sa.String(36), nullable=False),
        sa.Column("unit_id", sa.String(50), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("overdue_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_overdue_items_overdue_at", "overdue_items", ["overdue_at"])
    op.create_table(
        "reminder_letters",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("request_id", sa.String(100), unique=True),
        sa.Column("unit_id", sa.String(50), nullable=False),
        sa.Column("work_order_ids", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("notice_id", sa.String(36), nullable=False),
    )
    op.create_table(
        "morning_reports",
        sa.Column("report_date", sa.Date, primary_key=True),
        sa.Column("covers", sa.Date, nullable=False),
        sa.Column("compiled_at", UTCDateTime(), nullable=False),
        sa.Column("level_1_count", sa.Integer, nullable=False),
        sa.Column("warning_count", sa.Integer, nullable=False),
        sa.Column("overdue_count", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("content", sa.Text, nullable=False),
    )
    op.create_table(
        "surveys",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("token", sa.String(64), nullable=False, unique=True),
        sa.Column("work_order_id", sa.String(36), nullable=False),
        sa.Column("appeal_id", sa.String(36), nullable=False),
        sa.Column("unit_id", sa.String(50), nullable=False),
        sa.Column("tracking_code", sa.String(32), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("notice_id", sa.String(36), nullable=False),
        sa.Column("contact_hash", sa.String(64)),
        sa.Column("answered_at", UTCDateTime()),
        sa.Column("answer_channel", sa.String(10)),
        sa.Column("speed", sa.Integer),
        sa.Column("effect", sa.Integer),
        sa.Column("service", sa.Integer),
        sa.Column("system", sa.Integer),
        sa.Column("solved", sa.Boolean),
        sa.Column("satisfied", sa.Boolean),
        sa.Column("reply_text", sa.Text),
        sa.Column("reopened_at", UTCDateTime()),
        sa.UniqueConstraint("work_order_id", "closed_at", name="uq_surveys_closure"),
    )
    op.create_index("ix_surveys_contact_hash", "surveys", ["contact_hash"])
    op.create_index("ix_surveys_work_order_id", "surveys", ["work_order_id"])
    op.create_index(
        "ix_surveys_satisfied_answered_at", "surveys", ["satisfied", "answered_at"]
    )
    op.create_table(
        "survey_replies",
        sa.Column("message_id", sa.String(100), primary_key=True),
        sa.Column("survey_id", sa.String(36), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "survey_replies",
        "surveys",
        "morning_reports",
        "reminder_letters",
        "overdue_items",
        "warning_appeals",
        "raised_warnings",
        "work_order_units",
        "appeal_summaries",
    ):
        op.drop_table(table)
