"""The projection (appeal, work order, acceptance request and notice facts), outbox
and inbox.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from minsheng_common.bus.tables import create_bus_tables, drop_bus_tables
from minsheng_common.db import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_DEADLINE_KINDS = ("sign_off", "handling", "acceptance_notice")


def _time(name: str) -> sa.Column:
    return sa.Column(name, UTCDateTime())


def _deadline_columns(kind: str) -> list[sa.Column]:
    return [
        _time(f"{kind}_deadline_at"),
        sa.Column(f"{kind}_provisional", sa.Boolean),
        _time(f"{kind}_deadline_version"),
        sa.Column(
            f"{kind}_reached", sa.Boolean, nullable=False, server_default=sa.false()
        ),
        _time(f"{kind}_met_at"),
        sa.Column(f"{kind}_met_late", sa.Boolean),
    ]


def upgrade() -> None:
    create_bus_tables(op.get_bind())
    op.create_table(
        "appeal_facts",
        sa.Column("appeal_id", sa.String(36), primary_key=True),
        sa.Column("tracking_code", sa.String(32)),
        sa.Column("channel", sa.String(50)),
        sa.Column("appeal_type", sa.String(20)),
        sa.Column("category_id", sa.String(50)),
        sa.Column("subdistrict_id", sa.String(50)),
        sa.Column("title", sa.Text),
        _time("received_at"),
        sa.Column("decision", sa.String(20)),
        sa.Column("reason_code", sa.String(50)),
        sa.Column("reason_article", sa.String(30)),
        _time("filed_at"),
        _time("rejected_at"),
        _time("last_event_at"),
    )
    op.create_index("ix_appeal_facts_received_at", "appeal_facts", ["received_at"])
    op.create_index("ix_appeal_facts_decision", "appeal_facts", ["decision"])

    op.create_table(
        "work_order_facts",
        sa.Column("work_order_id", sa.String(36), primary_key=True),
        sa.Column("appeal_id", sa.String(36)),
        sa.Column("unit_id", sa.String(50)),
        sa.Column("appeal_type", sa.String(20)),
        sa.Column("status", sa.String(20)),
        _time("created_at"),
        _time("dispatched_at"),
        sa.Column("dispatch_seconds", sa.Integer),
        sa.Column("dispatch_within_limit", sa.Boolean),
        sa.Column("rules_edition", sa.String(50)),
        _time("signed_at"),
        sa.Column("sign_mode", sa.String(20)),
        _time("acceptance_notice_requested_at"),
        _time("acceptance_notice_sent_at"),
        *[column for kind in _DEADLINE_KINDS for column in _deadline_columns(kind)],
        _time("last_event_at"),
    )
    op.create_index("ix_work_order_facts_appeal_id", "work_order_facts", ["appeal_id"])
    op.create_index("ix_work_order_facts_unit_id", "work_order_facts", ["unit_id"])

    op.create_table(
        "acceptance_request_facts",
        sa.Column("request_id", sa.String(36), primary_key=True),
        sa.Column("work_order_id", sa.String(36)),
        sa.Column("appeal_id", sa.String(36)),
        sa.Column("unit_id", sa.String(50)),
        sa.Column("accepted", sa.Boolean),
        _time("requested_at"),
        _time("last_event_at"),
    )
    op.create_index(
        "ix_acceptance_request_facts_work_order_id",
        "acceptance_request_facts",
        ["work_order_id"],
    )

    op.create_table(
        "notice_facts",
        sa.Column("notice_id", sa.String(36), primary_key=True),
        sa.Column("request_id", sa.String(36)),
        sa.Column("appeal_id", sa.String(36)),
        sa.Column("work_order_id", sa.String(36)),
        sa.Column("kind", sa.String(50)),
        sa.Column("channel", sa.String(50)),
        sa.Column("status", sa.String(20)),
        _time("sent_at"),
        _time("failed_at"),
        sa.Column("attempts", sa.Integer),
        sa.Column("provider_ref", sa.String(200)),
        sa.Column("failure_reason", sa.Text),
        _time("last_event_at"),
    )
    op.create_index("ix_notice_facts_request_id", "notice_facts", ["request_id"])


def downgrade() -> None:
    op.drop_table("notice_facts")
    op.drop_table("acceptance_request_facts")
    op.drop_table("work_order_facts")
    op.drop_table("appeal_facts")
    drop_bus_tables(op.get_bind())
