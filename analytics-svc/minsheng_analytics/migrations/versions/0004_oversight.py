"""What happens around a work order: warnings (Art. 23) with their appeals,
ownership disputes (Art. 24), weekly overdue lists (Art. 40), reply-template requests
(Art. 43), return visits (Art. 30) and calendar alerts get tables; work order facts
gain the reply-template clock, urging (Art. 39), dispute counts, replacement by split
or parallel orders and a cooperating unit's opinion.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from minsheng_common.db import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _counter(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer, nullable=False, server_default="0")


def _order_columns() -> list[sa.Column]:
    return [
        sa.Column("reply_template_deadline_at", UTCDateTime()),
        sa.Column("reply_template_provisional", sa.Boolean),
        sa.Column("reply_template_deadline_version", UTCDateTime()),
        sa.Column(
            "reply_template_reached",
            sa.Boolean,
            nullable=False,
            server_default=sa.false(),
        ),
        sa.Column("reply_template_met_at", UTCDateTime()),
        sa.Column("reply_template_met_late", sa.Boolean),
        sa.Column("replaced_at", UTCDateTime()),
        sa.Column("replaced_kind", sa.String(20)),
        _counter("replacements"),
        sa.Column("opinion_submitted_at", UTCDateTime()),
        sa.Column("opinion_on_time", sa.Boolean),
        sa.Column("urged_half_at", UTCDateTime()),
        sa.Column("urged_two_thirds_at", UTCDateTime()),
        sa.Column("urged_overdue_at", UTCDateTime()),
        _counter("disputes"),
        _counter("disputes_to_district_meeting"),
    ]


def upgrade() -> None:
    for column in _order_columns():
        op.add_column("work_order_facts", column)

    op.create_table(
        "warning_facts",
        sa.Column("warning_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(30)),
        sa.Column("cluster_id", sa.String(64)),
        sa.Column("subdistrict_id", sa.String(50)),
        sa.Column("count", sa.Integer),
        sa.Column("window_hours", sa.Integer),
        sa.Column("raised_at", UTCDateTime()),
        sa.Column("last_event_at", UTCDateTime()),
    )
    op.create_index("ix_warning_facts_raised_at", "warning_facts", ["raised_at"])
    op.create_index(
        "ix_warning_facts_cluster_id_kind", "warning_facts", ["cluster_id", "kind"]
    )
    op.create_table(
        "warning_appeal_facts",
        sa.Column("warning_id", sa.String(64), primary_key=True),
        sa.Column("appeal_id", sa.String(36), primary_key=True),
    )
    op.create_index(
        "ix_warning_appeal_facts_appeal_id", "warning_appeal_facts", ["appeal_id"]
    )

    op.create_table(
        "dispute_facts",
        sa.Column("dispute_id", sa.String(64), primary_key=True),
        sa.Column("work_order_id", sa.String(36)),
        sa.Column("appeal_id", sa.String(36)),
        sa.Column("unit_ids", sa.JSON),
        sa.Column("level", sa.String(30)),
        sa.Column("escalated_at", UTCDateTime()),
        sa.Column("district_meeting_at", UTCDateTime()),
        sa.Column("decided_level", sa.String(30)),
        sa.Column("owner_unit_id", sa.String(50)),
        sa.Column("decided_at", UTCDateTime()),
        sa.Column("last_event_at", UTCDateTime()),
    )
    op.create_index(
        "ix_dispute_facts_work_order_id", "dispute_facts", ["work_order_id"]
    )

    op.create_table(
        "overdue_list_facts",
        sa.Column("unit_id", sa.String(50), primary_key=True),
        sa.Column("week_of", sa.Date, primary_key=True),
        sa.Column("supervision_id", sa.String(64)),
        _counter("orders"),
        sa.Column("listed_at", UTCDateTime()),
        sa.Column("last_event_at", UTCDateTime()),
    )
    op.create_table(
        "overdue_list_order_facts",
        sa.Column("unit_id", sa.String(50), primary_key=True),
        sa.Column("week_of", sa.Date, primary_key=True),
        sa.Column("work_order_id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(30), primary_key=True),
        sa.Column("appeal_id", sa.String(36)),
        sa.Column("due_at", UTCDateTime()),
    )
    op.create_index(
        "ix_overdue_list_order_facts_work_order_id",
        "overdue_list_order_facts",
        ["work_order_id"],
    )

    op.create_table(
        "reply_template_facts",
        sa.Column("request_id", sa.String(64), primary_key=True),
        sa.Column("unit_id", sa.String(50)),
        sa.Column("category_id", sa.String(50)),
        sa.Column("work_order_id", sa.String(36)),
        sa.Column("appeal_id", sa.String(36)),
        sa.Column("closed_at", UTCDateTime()),
        sa.Column("requested_at", UTCDateTime()),
        sa.Column("received_at", UTCDateTime()),
        sa.Column("last_event_at", UTCDateTime()),
    )
    op.create_index(
        "ix_reply_template_facts_unit_id", "reply_template_facts", ["unit_id"]
    )

    op.create_table(
        "return_visit_facts",
        sa.Column("survey_id", sa.String(64), primary_key=True),
        sa.Column("work_order_id", sa.String(36)),
        sa.Column("appeal_id", sa.String(36)),
        sa.Column("unit_id", sa.String(50)),
        sa.Column("channel", sa.String(50)),
        sa.Column("speed", sa.SmallInteger),
        sa.Column("effect", sa.SmallInteger),
        sa.Column("service", sa.SmallInteger),
        sa.Column("system", sa.SmallInteger),
        sa.Column("satisfied", sa.Boolean),
        sa.Column("solved", sa.Boolean),
        sa.Column("answered_at", UTCDateTime()),
        sa.Column("last_event_at", UTCDateTime()),
    )
    op.create_index(
        "ix_return_visit_facts_work_order_id", "return_visit_facts", ["work_order_id"]
    )
    op.create_index("ix_return_visit_facts_unit_id", "return_visit_facts", ["unit_id"])

    op.create_table(
        "calendar_alert_facts",
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("provisional_deadlines", sa.Integer),
        sa.Column("first_raised_at", UTCDateTime()),
        sa.Column("raised_at", UTCDateTime()),
        sa.Column("last_event_at", UTCDateTime()),
    )


def downgrade() -> None:
    for table in (
        "calendar_alert_facts",
        "return_visit_facts",
        "reply_template_facts",
        "overdue_list_order_facts",
        "overdue_list_facts",
        "dispute_facts",
        "warning_appeal_facts",
        "warning_facts",
    ):
        op.drop_table(table)
    # SQLite drops a column only by copying the table: batch mode does that.
    with op.batch_alter_table("work_order_facts") as batch:
        for column in reversed(_order_columns()):
            batch.drop_column(column.name)
