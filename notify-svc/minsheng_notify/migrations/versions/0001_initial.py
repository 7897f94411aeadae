"""Recipients, notices, notice attempts, outbox and inbox.

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


def upgrade() -> None:
    create_bus_tables(op.get_bind())
    op.create_table(
        "recipients",
        sa.Column("appeal_id", sa.String(36), primary_key=True),
        sa.Column("tracking_code", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(50), nullable=False),
        sa.Column("contact_kind", sa.String(20), nullable=False),
        sa.Column("contact_encrypted", sa.Text, nullable=False),
        sa.Column("filed_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "notices",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("request_id", sa.String(100), nullable=False, unique=True),
        sa.Column("appeal_id", sa.String(36), nullable=False),
        sa.Column("work_order_id", sa.String(36)),
        sa.Column("unit_id", sa.String(50)),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime()),
        sa.Column("failed_at", UTCDateTime()),
        sa.Column("channel", sa.String(30)),
        sa.Column("recipient_masked", sa.String(100)),
        sa.Column("provider_ref", sa.String(200)),
        sa.Column("last_error", sa.Text),
    )
    op.create_index("ix_notices_appeal_id", "notices", ["appeal_id"])
    op.create_index("ix_notices_work_order_id", "notices", ["work_order_id"])
    op.create_index(
        "ix_notices_status_next_attempt_at", "notices", ["status", "next_attempt_at"]
    )
    op.create_table(
        "notice_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "notice_id", sa.String(36), sa.ForeignKey("notices.id"), nullable=False
        ),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(30)),
        sa.Column("provider_ref", sa.String(200)),
        sa.Column("detail", sa.Text),
    )
    op.create_index(
        "ix_notice_attempts_notice_id", "notice_attempts", ["notice_id", "id"]
    )


def downgrade() -> None:
    op.drop_table("notice_attempts")
    op.drop_table("notices")
    op.drop_table("recipients")
    drop_bus_tables(op.get_bind())
