"""Appeals, outbox and inbox.

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
        "appeals",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tracking_code", sa.String(32), nullable=False, unique=True),
        sa.Column("channel", sa.String(50), nullable=False),
        sa.Column("channel_ref", sa.String(200), nullable=False),
        sa.Column("appeal_type", sa.String(20), nullable=False),
        sa.Column("category_id", sa.String(50)),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("address", sa.Text),
        sa.Column("subdistrict_id", sa.String(50)),
        sa.Column("community", sa.String(50)),
        sa.Column("place_found_in", sa.String(20)),
        sa.Column("latitude", sa.Float),
        sa.Column("longitude", sa.Float),
        sa.Column("attachments", sa.JSON, nullable=False),
        sa.Column("contact_kind", sa.String(20)),
        sa.Column("contact_encrypted", sa.Text),
        sa.Column("contact_hash", sa.String(64)),
        sa.Column("contact_masked", sa.String(100)),
        sa.Column("consent_to_disclose", sa.Boolean, nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("received_zone_assumed", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason_code", sa.String(50)),
        sa.Column("reason_article", sa.String(30)),
        sa.Column("reason_detail", sa.Text),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("channel", "channel_ref", name="uq_appeals_channel_ref"),
    )
    op.create_index("ix_appeals_contact_hash", "appeals", ["contact_hash"])
    op.create_index("ix_appeals_status", "appeals", ["status"])


def downgrade() -> None:
    op.drop_table("appeals")
    drop_bus_tables(op.get_bind())
