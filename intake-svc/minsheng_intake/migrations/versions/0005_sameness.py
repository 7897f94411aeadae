"""Sameness: handling state of each appeal, event clusters and cluster membership
(Art. 11(3)5, Art. 18).

Revision ID: 0005
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from minsheng_common.db import UTCDateTime

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "appeal_handling",
        sa.Column("appeal_id", sa.String(36), primary_key=True),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "event_clusters",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("subdistrict_id", sa.String(50)),
        sa.Column("community", sa.String(50)),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("first_appeal_id", sa.String(36), nullable=False),
        sa.Column("tokens", sa.JSON, nullable=False),
        sa.Column("representative", sa.JSON, nullable=False),
    )
    op.create_index(
        "ix_event_clusters_subdistrict_seen",
        "event_clusters",
        ["subdistrict_id", "last_seen_at"],
    )
    op.create_table(
        "appeal_clusters",
        sa.Column("appeal_id", sa.String(36), primary_key=True),
        sa.Column("cluster_id", sa.String(36), nullable=False),
        sa.Column("similarity", sa.Float, nullable=False),
        sa.Column("joined_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_appeal_clusters_cluster", "appeal_clusters", ["cluster_id"])


def downgrade() -> None:
    op.drop_table("appeal_clusters")
    op.drop_table("event_clusters")
    op.drop_table("appeal_handling")
