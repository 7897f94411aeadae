"""Warning detection state (Art. 23): which thresholds fired for which cluster and
window: the reports detection counts, a lock row per cluster or place, one trigger
per kind, scope and window, unique, so a warning fires once, and the hazard gradings
that arrived before their appeal's filing.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from minsheng_common.db import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "warning_reports",
        sa.Column("appeal_id", sa.String(36), primary_key=True),
        sa.Column("cluster_id", sa.String(64)),
        sa.Column("category_id", sa.String(50)),
        sa.Column("subdistrict_id", sa.String(50)),
        sa.Column("community", sa.String(100)),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("filed_at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_warning_reports_cluster_id_received_at",
        "warning_reports",
        ["cluster_id", "received_at"],
    )
    op.create_index(
        "ix_warning_reports_place",
        "warning_reports",
        ["category_id", "subdistrict_id", "community", "received_at"],
    )

    op.create_table(
        "warning_scopes",
        sa.Column("scope", sa.String(250), primary_key=True),
    )

    op.create_table(
        "warning_triggers",
        sa.Column("kind", sa.String(30), primary_key=True),
        sa.Column("scope", sa.String(250), primary_key=True),
        sa.Column("window", sa.String(40), primary_key=True),
        sa.Column("warning_id", sa.String(64), nullable=False),
        sa.Column("appeal_id", sa.String(36), nullable=False),
        sa.Column("crossed_at", UTCDateTime(), nullable=False),
        sa.Column("raised_at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ux_warning_triggers_warning_id",
        "warning_triggers",
        ["warning_id"],
        unique=True,
    )

    op.create_table(
        "warning_gradings",
        sa.Column("appeal_id", sa.String(36), primary_key=True),
        sa.Column("graded_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("warning_gradings")
    op.drop_table("warning_triggers")
    op.drop_table("warning_scopes")
    op.drop_table("warning_reports")
