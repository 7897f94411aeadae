"""Cursors, messages, items, attachments, signatures of signed requests, outbox and
inbox.

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
        "mailbox_cursors",
        sa.Column("folder", sa.String(200), primary_key=True),
        sa.Column("uidvalidity", sa.BigInteger, nullable=False),
        sa.Column("last_uid", sa.BigInteger, nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "mailbox_messages",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("folder", sa.String(200), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger, nullable=False),
        sa.Column("uid", sa.BigInteger, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(40)),
        sa.Column("item_id", sa.String(36)),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.Column("read_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_mailbox_messages_outcome", "mailbox_messages", ["outcome"])
    op.create_table(
        "mailbox_items",
        *queue.columns(),
        sa.Column("message_key", sa.String(80), nullable=False, unique=True),
        sa.Column("uid", sa.BigInteger, nullable=False),
        sa.Column("message_id", sa.Text),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.Column("attachments", sa.Integer, nullable=False),
    )
    op.create_index("ix_mailbox_items_appeal", "mailbox_items", ["appeal_id"])
    for name, columns in queue.index_specs("mailbox_items"):
        op.create_index(name, "mailbox_items", columns)
    op.create_table(
        "mailbox_attachments",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("ending", sa.String(10), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("stored_at", UTCDateTime(), nullable=False),
    )
    receipts.create_table(op)


def downgrade() -> None:
    op.drop_table(answer_store.TABLE)
    op.drop_table(receipts.TABLE)
    op.drop_table("mailbox_attachments")
    op.drop_table("mailbox_items")
    op.drop_table("mailbox_messages")
    op.drop_table("mailbox_cursors")
    drop_bus_tables(op.get_bind())
