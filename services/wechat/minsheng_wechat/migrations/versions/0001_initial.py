"""Appeals, messages, pictures, signatures of pushes, answers, outbox and inbox.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from minsheng_common.adapters import answer_store, queue, receipts
from minsheng_common.bus.tables import create_bus_tables, drop_bus_tables
from minsheng_common.db import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The adapter stages no events; the bus tables are there because every service's
    # runtime runs the same relay.
    create_bus_tables(op.get_bind())
    answer_store.create_table(op)
    op.create_table(
        "wechat_appeals",
        *queue.columns(),
        sa.Column("first_message_key", sa.String(100), nullable=False, unique=True),
        sa.Column("opened_by", sa.String(20), nullable=False),
        sa.Column("follow_ups", sa.Integer, nullable=False),
        sa.Column("may_have_reached_intake", sa.Boolean, nullable=False),
        sa.Column("instant_answer", sa.Text),
    )
    for name, columns in queue.index_specs("wechat_appeals"):
        op.create_index(name, "wechat_appeals", columns)
    op.create_table(
        "wechat_messages",
        sa.Column("message_key", sa.String(100), primary_key=True),
        sa.Column("citizen", sa.String(40), nullable=False),
        sa.Column("msg_type", sa.String(30), nullable=False),
        sa.Column("event", sa.String(50)),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("appeal_item_id", sa.String(36)),
        sa.Column("photo", sa.String(80)),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_wechat_messages_received_at", "wechat_messages", ["received_at"]
    )
    op.create_index(
        "ix_wechat_messages_appeal_item_id", "wechat_messages", ["appeal_item_id"]
    )
    op.create_table(
        "wechat_photos",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("content_type", sa.String(50), nullable=False),
        sa.Column("ending", sa.String(10), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("fetched_at", UTCDateTime(), nullable=False),
    )
    receipts.create_table(op)


def downgrade() -> None:
    op.drop_table(answer_store.TABLE)
    op.drop_table(receipts.TABLE)
    op.drop_table("wechat_photos")
    op.drop_table("wechat_messages")
    op.drop_table("wechat_appeals")
    drop_bus_tables(op.get_bind())
