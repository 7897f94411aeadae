"""Delivery through several channels with fallback, quiet hours, receipts and the
evidence of every attempt (Art. 36): the appeal's level and a second contact on
recipients; audience, own addresses, route position and delivery status on notices
(whose appeal may now be empty); recipient, content hash and receipt on attempts;
and the staff's call records.

Revision ID: 0004_delivery_evidence
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from minsheng_common.db import UTCDateTime

revision = "0004_delivery_evidence"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recipients") as batch:
        batch.add_column(
            sa.Column("level", sa.Integer, nullable=False, server_default="3")
        )
        batch.add_column(sa.Column("second_contact_kind", sa.String(20)))
        batch.add_column(sa.Column("second_contact_encrypted", sa.Text))

    with op.batch_alter_table("notices") as batch:
        batch.alter_column("appeal_id", existing_type=sa.String(36), nullable=True)
        batch.add_column(
            sa.Column(
                "audience", sa.String(20), nullable=False, server_default="citizen"
            )
        )
        batch.add_column(sa.Column("addresses", sa.Text))
        batch.add_column(sa.Column("level", sa.Integer))
        batch.add_column(
            sa.Column("route_step", sa.Integer, nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column(
                "channel_attempts", sa.Integer, nullable=False, server_default="0"
            )
        )
        batch.add_column(sa.Column("delivery_status", sa.String(20)))
        batch.add_column(sa.Column("receipt_at", UTCDateTime()))
    # A notice in the middle of its retries keeps its count on its one channel.
    op.execute("UPDATE notices SET channel_attempts = attempts")

    with op.batch_alter_table("notice_attempts") as batch:
        batch.add_column(sa.Column("recipient_masked", sa.String(100)))
        batch.add_column(sa.Column("content_sha256", sa.String(64)))
        batch.add_column(sa.Column("delivery_status", sa.String(20)))
        batch.add_column(sa.Column("receipt_at", UTCDateTime()))
    op.create_index(
        "ix_notice_attempts_provider_ref",
        "notice_attempts",
        ["channel", "provider_ref"],
    )

    op.create_table(
        "call_records",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "notice_id", sa.String(36), sa.ForeignKey("notices.id"), nullable=False
        ),
        sa.Column(
            "attempt_id",
            sa.Integer,
            sa.ForeignKey("notice_attempts.id"),
            nullable=False,
        ),
        sa.Column("called_by", sa.String(100), nullable=False),
        sa.Column("called_at", UTCDateTime(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("duration_seconds", sa.Integer, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("notice_id", "called_by", "called_at"),
    )
    op.create_index("ix_call_records_notice_id", "call_records", ["notice_id"])


def downgrade() -> None:
    op.drop_index("ix_call_records_notice_id", table_name="call_records")
    op.drop_table("call_records")
    op.drop_index("ix_notice_attempts_provider_ref", table_name="notice_attempts")
    with op.batch_alter_table("notice_attempts") as batch:
        for name in ("receipt_at", "delivery_status", "content_sha256"):
            batch.drop_column(name)
        batch.drop_column("recipient_masked")
    # Messages to officials have no appeal and cannot be kept by the older schema.
    op.execute(
        "DELETE FROM notice_attempts WHERE notice_id IN "
        "(SELECT id FROM notices WHERE appeal_id IS NULL)"
    )
    op.execute("DELETE FROM notices WHERE appeal_id IS NULL")
    with op.batch_alter_table("notices") as batch:
        for name in (
            "receipt_at",
            "delivery_status",
            "channel_attempts",
            "route_step",
            "level",
            "addresses",
            "audience",
        ):
            batch.drop_column(name)
        batch.alter_column("appeal_id", existing_type=sa.String(36), nullable=False)
    with op.batch_alter_table("recipients") as batch:
        for name in ("second_contact_encrypted", "second_contact_kind", "level"):
            batch.drop_column(name)
