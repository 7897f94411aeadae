"""Work order facts keep the whole life of an order: how it was dispatched (round,
role, parallel group, split), returns, progress, extensions, the handling notice and
its clock, closure requests, rejections and outcomes, the staged-closure check,
reopening and merging. Request ids widen to notify's 100 characters (a handling
notice to a merged appeal's citizen is "<request id>:<appeal id>", an intake notice
"filed:<appeal id>").

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


def _deadline_columns(kind: str) -> list[sa.Column]:
    return [
        sa.Column(f"{kind}_deadline_at", UTCDateTime()),
        sa.Column(f"{kind}_provisional", sa.Boolean),
        sa.Column(f"{kind}_deadline_version", UTCDateTime()),
        sa.Column(
            f"{kind}_reached", sa.Boolean, nullable=False, server_default=sa.false()
        ),
        sa.Column(f"{kind}_met_at", UTCDateTime()),
        sa.Column(f"{kind}_met_late", sa.Boolean),
    ]


def _counter(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer, nullable=False, server_default="0")


def _columns() -> list[sa.Column]:
    return [
        *_deadline_columns("handling_notice"),
        *_deadline_columns("staged_check"),
        sa.Column("round", sa.SmallInteger),
        sa.Column("role", sa.String(20)),
        sa.Column("parallel_group_id", sa.String(36)),
        sa.Column("split_from", sa.String(36)),
        sa.Column("clock_from", sa.String(20)),
        sa.Column("return_requested_at", UTCDateTime()),
        sa.Column("return_decided_at", UTCDateTime()),
        sa.Column("return_approved", sa.Boolean),
        sa.Column("redispatched_to", sa.String(36)),
        _counter("progress_notes"),
        sa.Column("last_progress_at", UTCDateTime()),
        sa.Column("extension_requested_at", UTCDateTime()),
        _counter("extensions_approved"),
        _counter("extensions_refused"),
        _counter("extension_working_days"),
        sa.Column("handling_notice_requested_at", UTCDateTime()),
        sa.Column("handling_notice_sent_at", UTCDateTime()),
        sa.Column("closure_requested_at", UTCDateTime()),
        sa.Column("handled_at", UTCDateTime()),
        _counter("closure_rejections"),
        sa.Column("closure_rejected_at", UTCDateTime()),
        sa.Column("closed_at", UTCDateTime()),
        sa.Column("closure_outcome", sa.String(20)),
        sa.Column("check_date", sa.Date),
        sa.Column("reopened_at", UTCDateTime()),
        sa.Column("merged_into", sa.String(36)),
        sa.Column("merged_at", UTCDateTime()),
        _counter("absorbed_appeals"),
    ]


def upgrade() -> None:
    for column in _columns():
        op.add_column("work_order_facts", column)
    for table in ("acceptance_request_facts", "notice_facts"):
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "request_id", existing_type=sa.String(36), type_=sa.String(100)
            )


def downgrade() -> None:
    # Longer request ids would not fit back; they stay 100 characters wide.
    # SQLite drops a column only by copying the table: batch mode does that.
    with op.batch_alter_table("work_order_facts") as batch:
        for column in reversed(_columns()):
            batch.drop_column(column.name)
