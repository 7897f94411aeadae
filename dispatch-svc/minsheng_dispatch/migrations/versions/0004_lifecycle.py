"""The whole life of a work order: returns and re-dispatch (an appeal may have
several orders), handling, extensions, closure, reopening; the change log units poll;
attachments; idempotency keys.

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

# SQLite keeps the unique constraint of 0001 unnamed; this names it on reflection so
# batch mode can drop it. PostgreSQL named it itself.
_SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    _orders_per_appeal()
    _order_columns()
    _extensions()
    _change_log()
    _attachments()
    _idempotency_keys()


def _orders_per_appeal() -> None:
    # A returned order is replaced by a new order of the same appeal: the appeal id
    # is no longer unique; what made the order is (`origin_key`).
    op.add_column("work_orders", sa.Column("origin_key", sa.String(80)))
    op.add_column("work_orders", sa.Column("redispatched_from", sa.String(36)))
    op.add_column("work_orders", sa.Column("redispatched_to", sa.String(36)))
    op.execute("UPDATE work_orders SET origin_key = appeal_id")
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        with op.batch_alter_table(
            "work_orders", naming_convention=_SQLITE_NAMES, recreate="always"
        ) as batch:
            batch.drop_constraint("uq_work_orders_appeal_id", type_="unique")
            batch.alter_column(
                "origin_key", existing_type=sa.String(80), nullable=False
            )
            batch.create_unique_constraint("uq_work_orders_origin_key", ["origin_key"])
    else:
        op.drop_constraint("work_orders_appeal_id_key", "work_orders", type_="unique")
        op.alter_column("work_orders", "origin_key", nullable=False)
        op.create_unique_constraint(
            "uq_work_orders_origin_key", "work_orders", ["origin_key"]
        )
    op.create_index("ix_work_orders_appeal", "work_orders", ["appeal_id"])


def _order_columns() -> None:
    columns = [
        sa.Column("round", sa.Integer, nullable=False, server_default="1"),
        sa.Column(
            "clock_from", sa.String(20), nullable=False, server_default="created"
        ),
        sa.Column("updated_at", UTCDateTime()),
        sa.Column("handling_due_at", UTCDateTime()),
        sa.Column("handling_set_at", UTCDateTime()),
        sa.Column(
            "extended_working_days", sa.Integer, nullable=False, server_default="0"
        ),
        sa.Column("progress_started_at", UTCDateTime()),
        sa.Column("handling_notice_requested_at", UTCDateTime()),
        sa.Column("handling_notice_sent_at", UTCDateTime()),
        sa.Column("closure_requested_at", UTCDateTime()),
        sa.Column("handled_at", UTCDateTime()),
        sa.Column("staged", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("check_date", sa.Date),
        sa.Column("closed_at", UTCDateTime()),
        sa.Column("closed_by", sa.String(200)),
        sa.Column("outcome", sa.String(20)),
        sa.Column("staged_check", sa.String(20)),
    ]
    for column in columns:
        op.add_column("work_orders", column)
    # Orders from before this revision were last changed when they were signed or
    # dispatched.
    op.execute("UPDATE work_orders SET updated_at = COALESCE(signed_at, dispatched_at)")
    with op.batch_alter_table("work_orders") as batch:
        batch.alter_column("updated_at", existing_type=UTCDateTime(), nullable=False)
    op.create_index("ix_work_orders_updated_at", "work_orders", ["updated_at"])


def _extensions() -> None:
    op.create_table(
        "work_order_extensions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "work_order_id",
            sa.String(36),
            sa.ForeignKey("work_orders.id"),
            nullable=False,
        ),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("working_days", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("leader_approval", sa.String(64)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("decided_at", UTCDateTime()),
        sa.Column("decided_by", sa.String(200)),
        sa.Column("decision_reason", sa.Text),
    )
    op.create_index(
        "ix_work_order_extensions_order",
        "work_order_extensions",
        ["work_order_id", "id"],
    )


def _change_log() -> None:
    op.create_table(
        "work_order_changes",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("work_order_id", sa.String(36), nullable=False),
        sa.Column("unit_id", sa.String(50), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_work_order_changes_unit_seq", "work_order_changes", ["unit_id", "seq"]
    )
    sequence = op.create_table(
        "work_order_change_sequence",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(sequence, [{"id": 1, "value": 0}])


def _attachments() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("stored_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "attachment_uploads",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "attachment_id",
            sa.String(64),
            sa.ForeignKey("attachments.id"),
            nullable=False,
        ),
        sa.Column("unit_id", sa.String(50)),
        sa.Column("uploaded_by", sa.String(200), nullable=False),
        sa.Column("filename", sa.String(255)),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_attachment_uploads_attachment",
        "attachment_uploads",
        ["attachment_id", "unit_id"],
    )
    op.create_table(
        "work_order_attachments",
        sa.Column(
            "work_order_id",
            sa.String(36),
            sa.ForeignKey("work_orders.id"),
            primary_key=True,
        ),
        sa.Column(
            "attachment_id",
            sa.String(64),
            sa.ForeignKey("attachments.id"),
            primary_key=True,
        ),
        sa.Column("role", sa.String(20), primary_key=True),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("added_by", sa.String(200), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_work_order_attachments_attachment",
        "work_order_attachments",
        ["attachment_id"],
    )


def _idempotency_keys() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("caller", sa.String(200), primary_key=True),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("body", sa.JSON),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("completed_at", UTCDateTime()),
    )
    op.create_index("ix_idempotency_keys_created", "idempotency_keys", ["created_at"])


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_table("work_order_attachments")
    op.drop_table("attachment_uploads")
    op.drop_table("attachments")
    op.drop_table("work_order_change_sequence")
    op.drop_table("work_order_changes")
    op.drop_table("work_order_extensions")
    op.drop_index("ix_work_orders_updated_at", "work_orders")
    op.drop_index("ix_work_orders_appeal", "work_orders")
    with op.batch_alter_table("work_orders") as batch:
        batch.drop_constraint("uq_work_orders_origin_key", type_="unique")
        for name in (
            "staged_check",
            "outcome",
            "closed_by",
            "closed_at",
            "check_date",
            "staged",
            "handled_at",
            "closure_requested_at",
            "handling_notice_sent_at",
            "handling_notice_requested_at",
            "progress_started_at",
            "extended_working_days",
            "handling_set_at",
            "handling_due_at",
            "updated_at",
            "clock_from",
            "round",
            "redispatched_to",
            "redispatched_from",
            "origin_key",
        ):
            batch.drop_column(name)
        batch.create_unique_constraint("uq_work_orders_appeal_id", ["appeal_id"])
